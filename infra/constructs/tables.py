"""DynamoDB tables built from the PynamoDB models, never declared twice.

Each table's keys, global indexes and TTL attribute come from
``xsell.models.schema.all_table_schemas()``; local bootstrap and the test
fixtures create their tables from the same models, so a model change reaches
DynamoDB Local, the tests and CloudFormation together.
"""

from __future__ import annotations

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


# Explicit action lists instead of Table.grant_*: those grant on "<table>/index/*";
# here every index is named, so a function can reach exactly the indexes that exist.
# TransactWriteItems is authorised by the Put/Update/Delete/ConditionCheck actions it wraps.
READ_ACTIONS = (
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
)
WRITE_ACTIONS = (
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
)
INDEX_READ_ACTIONS = ("dynamodb:Query", "dynamodb:Scan")


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
        self, grantee: iam.IGrantable, logical_name: str, *, read: bool = False, write: bool = False
    ) -> None:
        """Grant item-level access to one table and, for reads, to each of its named indexes."""
        if not (read or write):
            raise ValueError("grant read, write or both")
        table, schema = self.tables[logical_name], self.schemas[logical_name]
        actions = sorted(set(READ_ACTIONS if read else ()) | set(WRITE_ACTIONS if write else ()))
        iam.Grant.add_to_principal(grantee=grantee, actions=actions, resource_arns=[table.table_arn])
        if read and schema.global_indexes:
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=list(INDEX_READ_ACTIONS),
                resource_arns=[f"{table.table_arn}/index/{index.name}" for index in schema.global_indexes],
            )
        if self.encryption_key is not None:
            self.encryption_key.grant_encrypt_decrypt(grantee)

    def grant_actions(self, grantee: iam.IGrantable, logical_name: str, actions: list[str]) -> None:
        """Grant exactly ``actions`` on one table (no index), e.g. append-only access."""
        iam.Grant.add_to_principal(
            grantee=grantee, actions=sorted(actions), resource_arns=[self.tables[logical_name].table_arn]
        )
        if self.encryption_key is not None:
            self.encryption_key.grant_encrypt_decrypt(grantee)

    def grant_updates_under(self, grantee: iam.IGrantable, logical_name: str, key_prefix: str) -> None:
        """Allow ``UpdateItem`` only on items whose partition key starts with ``key_prefix``."""
        table = self.tables[logical_name]
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["dynamodb:UpdateItem"],
                resources=[table.table_arn],
                conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{key_prefix}*"]}},
            )
        )
        if self.encryption_key is not None:
            self.encryption_key.grant_encrypt_decrypt(grantee)

    def environment(self) -> dict[str, str]:
        """Environment variable -> physical table name, for every table."""
        return {self.schemas[name].env_var: table.table_name for name, table in self.tables.items()}
