"""Data: the DynamoDB tables, one per PynamoDB model, and the deployment secret."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import CfnOutput, RemovalPolicy, Stack
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.tables import XsellTables
from infra.nag import acknowledge

# The secret's JSON shape (xsell.dal.secrets): the HMAC key that signs customer
# tokens, and per-site keys filled in by the operators.
SIGNING_KEY_FIELD = "signing_key"
SIGNING_KEY_LENGTH = 64


class DataStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: StageConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # AWS-owned encryption keys: no key cost, no key policy to get wrong. Pass
        # encryption_key=kms.Key(...) here to switch every table to a CMK.
        self.tables = XsellTables(self, "Tables", prod_like=stage.prod_like)
        for name, table in self.tables.tables.items():
            CfnOutput(self, f"{name.capitalize()}TableName", value=table.table_name)

        # XSELL_SECRET: {"signing_key": <generated>, "sites": {}}.
        self.secret = secretsmanager.Secret(
            self,
            "DeploymentSecret",
            description=f"xsell {stage.name}: token signing key and per-site settings",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps({"sites": {}}),
                generate_string_key=SIGNING_KEY_FIELD,
                password_length=SIGNING_KEY_LENGTH,
                exclude_punctuation=True,
            ),
            removal_policy=RemovalPolicy.RETAIN if stage.prod_like else RemovalPolicy.DESTROY,
        )
        acknowledge(
            self.secret,
            "AwsSolutions-SMG4",
            "Signing key rotation is a manual, planned operation: rotating it invalidates every customer "
            "token in flight, so it is not put on an automatic schedule.",
        )
        CfnOutput(self, "DeploymentSecretArn", value=self.secret.secret_arn)
