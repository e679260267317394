"""Data: the DynamoDB tables, one per PynamoDB model, the deployment secret and the sites secret."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Aws, CfnOutput, Duration, RemovalPolicy, SecretValue, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.tables import XsellTables
from infra.nag import acknowledge

# The secrets' JSON shapes are defined in xsell.dal.secrets. The deployment secret: the HMAC key
# that signs tokens (and, during a rotation, the previous one) and the pseudonym key; only the
# generated signing key is created here. The sites secret: per-site secrets, written by the admin
# API. They are apart so that collect, which verifies tokens, cannot read any site's secret.
SIGNING_KEY_FIELD = "signing_key"
SIGNING_KEY_LENGTH = 64


def stage_key(scope: Construct, stage: StageConfig) -> kms.Key:
    """The stage's customer-managed key: yearly rotation, and a key policy that trusts the
    account's IAM policies (each function is granted exactly the key actions it needs) and lets
    CloudWatch Logs encrypt this account's log groups in the stage's region."""
    key = kms.Key(
        scope,
        "StageKey",
        description=f"xsell {stage.name}: tables, buckets, events stream and logs",
        enable_key_rotation=True,
        rotation_period=Duration.days(365),
        pending_window=Duration.days(30),
        removal_policy=RemovalPolicy.RETAIN if stage.prod_like else RemovalPolicy.DESTROY,
    )
    key.add_alias(f"alias/xsell-{stage.name}")
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="CloudWatchLogsOfThisAccount",
            principals=[iam.ServicePrincipal(f"logs.{stage.region}.amazonaws.com")],
            actions=[
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:Encrypt",
                "kms:GenerateDataKey*",
                "kms:ReEncrypt*",
            ],
            resources=["*"],  # in a key policy, "*" is this key
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": (
                        f"arn:{Aws.PARTITION}:logs:{stage.region}:{Aws.ACCOUNT_ID}:log-group:*"
                    )
                }
            },
        )
    )
    return key


class DataStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: StageConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # AWS-owned keys by default (no key cost, no key policy to get wrong); with
        # customer_managed_key the stage's own key encrypts tables, buckets, stream and logs.
        self.key = stage_key(self, stage) if stage.customer_managed_key else None
        # One table per model in xsell.models. The jobs table holds one item per import, keyed on
        # bucket + key + ETag, with the checkpoint that lets a long file continue in chunks.
        self.tables = XsellTables(self, "Tables", prod_like=stage.prod_like, encryption_key=self.key)
        for name, table in self.tables.tables.items():
            CfnOutput(self, f"{name.capitalize()}TableName", value=table.table_name)

        # XSELL_SECRET starts as {"signing_key": <generated>}, XSELL_SITES_SECRET as {"sites": {}}.
        removal = RemovalPolicy.RETAIN if stage.prod_like else RemovalPolicy.DESTROY
        self.secret = secretsmanager.Secret(
            self,
            "DeploymentSecret",
            description=f"xsell {stage.name}: token signing and pseudonym keys",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps({}),
                generate_string_key=SIGNING_KEY_FIELD,
                password_length=SIGNING_KEY_LENGTH,
                exclude_punctuation=True,
            ),
            encryption_key=self.key,
            removal_policy=removal,
        )
        self.sites_secret = secretsmanager.Secret(
            self,
            "SitesSecret",
            description=f"xsell {stage.name}: each site's secret (identity tokens, signed calls)",
            # The starting document holds no secret: every site's secret is written by the admin API.
            secret_string_value=SecretValue.unsafe_plain_text(json.dumps({"sites": {}})),
            encryption_key=self.key,
            removal_policy=removal,
        )
        for secret in (self.secret, self.sites_secret):
            acknowledge(
                secret,
                "AwsSolutions-SMG4",
                "Keys rotate through the admin API (POST /admin/v1/signing-key, and per site), which keeps "
                "the replaced key valid for a stated overlap so no token or signed call in flight is "
                "refused; a scheduled Secrets Manager rotation would replace keys without that overlap.",
            )
        CfnOutput(self, "DeploymentSecretArn", value=self.secret.secret_arn)
        CfnOutput(self, "SitesSecretArn", value=self.sites_secret.secret_arn)
        if self.key is not None:
            CfnOutput(self, "StageKeyArn", value=self.key.key_arn)
