"""Admin API: /admin/v1/* behind Cognito. The marketer features arrive route by route."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.utilities.typing import LambdaContext

from xsell import env, topology
from xsell.dal import config as config_store

env.require(topology.FUNCTIONS["admin"].env)
logger = Logger(service="xsell-admin")
app = APIGatewayRestResolver()


@app.get("/admin/v1/health")
def health() -> dict[str, Any]:
    return {"status": "ok", "config_version": config_store.version()}


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
