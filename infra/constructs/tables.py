"""DynamoDB tables built from the PynamoDB models, never declared twice.

Each table's keys, global indexes and TTL attribute come from
``xsell.models.schema.all_table_schemas()``; local bootstrap and the test
fixtures create their tables from the same models, so a model change reaches
DynamoDB Local, the tests and CloudFormation together.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from xsell.models import TABLES
from xsell.models.schema import Key, TableSchema, all_table_schemas

_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}


# Every grant names its actions one by one (no Table.grant_*: those add Scan, DescribeTable and
# "<table>/index/*"), so each function's policy says exactly which calls its code makes.
ITEM_ACTIONS = (
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    # A SELECT naming its partitions (the drafts of several kinds at once); granted with a Deny
    # of any SELECT that would scan the whole table (see XsellTables.grant).
    "dynamodb:PartiQLSelect",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",  # the nightly affinity job's parallel Scan of profiles, nobody else's
    "dynamodb:UpdateItem",
)
PARTIQL_SELECT = "dynamodb:PartiQLSelect"
# Publishing a config version: the live version read by key and query, the drafts by one SELECT,
# the version reserved (a conditional put), its documents written in batches, the pointer moved
# (a conditional update).
CONFIG_PUBLISH_ACTIONS = (
    "dynamodb:BatchWriteItem",
    "dynamodb:GetItem",
    PARTIQL_SELECT,
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
)
# What a function needs of a customer-managed table key to read and write items.
KEY_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")


def grant_key_use(key: kms.IKey, grantee: iam.IGrantable) -> None:
    """Encrypt and decrypt with ``key`` (DynamoDB items, S3 objects under SSE-KMS): a grant in the
    principal's own policy, which the key policy honours because it trusts the account."""
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(actions=list(KEY_ACTIONS), resources=[key.key_arn])
    )


def _attribute(key: Key) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=key.name, type=_TYPES[key.type])


def _projection(schema: TableSchema, index_name: str) -> dynamodb.ProjectionType:
    # TableSchema does not carry projections yet; read the model's own index
    # definition so a KEYS_ONLY/INCLUDE index can never be silently widened.
    model = TABLES[schema.logical_name]
    for gsi in model._get_schema()["global_secondary_indexes"]:
        if gsi["index_name"] == index_name:
            projection = gsi["projection"]["ProjectionType"]
            if projection != "ALL":
                raise NotImplementedError(
                    f"{schema.logical_name}.{index_name}: projection {projection} is not supported by "
                    "infra/constructs/tables.py yet (non-key attributes are not in TableSchema)"
                )
            return dynamodb.ProjectionType.ALL
    raise KeyError(f"{schema.logical_name}: model has no index {index_name}")


class XsellTables(Construct):
    """One on-demand ``TableV2`` per model, PITR on, AWS-owned or customer-managed encryption."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prod_like: bool,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.encryption_key = encryption_key
        self.schemas: dict[str, TableSchema] = {}
        self.tables: dict[str, dynamodb.TableV2] = {}
        encryption = (
            dynamodb.TableEncryptionV2.customer_managed_key(encryption_key)
            if encryption_key
            else dynamodb.TableEncryptionV2.dynamo_owned_key()
        )
        for schema in all_table_schemas():
            table = dynamodb.TableV2(
                self,
                schema.logical_name.capitalize(),
                # No physical name: CloudFormation generates one, so a key change can
                # replace the table, and functions get the name via schema.env_var.
                partition_key=_attribute(schema.partition_key),
                sort_key=_attribute(schema.sort_key) if schema.sort_key else None,
                global_secondary_indexes=[
                    dynamodb.GlobalSecondaryIndexPropsV2(
                        index_name=index.name,
                        partition_key=_attribute(index.partition_key),
                        sort_key=_attribute(index.sort_key) if index.sort_key else None,
                        projection_type=_projection(schema, index.name),
                    )
                    for index in schema.global_indexes
                ]
                or None,
                time_to_live_attribute=schema.ttl_attribute,
                billing=dynamodb.Billing.on_demand(),
                point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True
                ),
                encryption=encryption,
                # Profiles and counters are the product's data: keep them when a
                # prod-like stack is deleted; dev stages clean up after themselves.
                removal_policy=RemovalPolicy.RETAIN if prod_like else RemovalPolicy.DESTROY,
                deletion_protection=prod_like,
            )
            self.schemas[schema.logical_name] = schema
            self.tables[schema.logical_name] = table

    def __getitem__(self, logical_name: str) -> dynamodb.TableV2:
        return self.tables[logical_name]

    def grant(
        self,
        grantee: iam.IGrantable,
        logical_name: str,
        actions: list[str] | tuple[str, ...],
        *,
        leading_keys: tuple[str, ...] = (),
        indexes: tuple[str, ...] = (),
        attributes: tuple[str, ...] = (),
    ) -> None:
        """Grant exactly ``actions`` on one table, nothing implied.

        ``leading_keys``: partition-key prefixes the items must have (``dynamodb:LeadingKeys``),
        for a function that may touch only its own kind of item in a shared table.
        ``attributes``: the only attributes a request may name (``dynamodb:Attributes``), and it
        must ask for those alone (``dynamodb:Select`` = ``SPECIFIC_ATTRIBUTES``, required: a
        request that leaves Select out, and so reads whole items, is refused).
        ``indexes``: named indexes that ``Query`` may read (never ``<table>/index/*``).
        """
        if not actions:
            raise ValueError(f"grant on {logical_name}: name at least one action")
        unknown = sorted(set(actions) - set(ITEM_ACTIONS))
        if unknown:
            raise ValueError(f"grant on {logical_name}: not item actions: {', '.join(unknown)}")
        table, schema = self.tables[logical_name], self.schemas[logical_name]
        conditions: dict[str, dict[str, Any]] = {}
        if leading_keys:
            conditions["ForAllValues:StringLike"] = {
                "dynamodb:LeadingKeys": [f"{prefix}*" for prefix in leading_keys]
            }
        if attributes:
            conditions["ForAllValues:StringEquals"] = {"dynamodb:Attributes": list(attributes)}
            conditions["StringEquals"] = {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"}
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=sorted(set(actions)), resources=[table.table_arn], conditions=conditions or None
            )
        )
        if PARTIQL_SELECT in actions:
            # A SELECT without an equality or IN on the partition key reads the whole table.
            grantee.grant_principal.add_to_principal_policy(
                iam.PolicyStatement(
                    effect=iam.Effect.DENY,
                    actions=[PARTIQL_SELECT],
                    resources=[table.table_arn],
                    conditions={"Bool": {"dynamodb:FullTableScan": "true"}},
                )
            )
        if indexes:
            known = {index.name for index in schema.global_indexes}
            missing = sorted(set(indexes) - known)
            if missing:
                raise KeyError(f"{logical_name} has no index {', '.join(missing)}")
            grantee.grant_principal.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["dynamodb:Query"],
                    resources=[f"{table.table_arn}/index/{name}" for name in sorted(indexes)],
                )
            )
        if self.encryption_key is not None:
            grant_key_use(self.encryption_key, grantee)

    def environment(self) -> dict[str, str]:
        """Environment variable -> physical table name, for every table."""
        return {self.schemas[name].env_var: table.table_name for name, table in self.tables.items()}
