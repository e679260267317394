"""Affinity: the nightly brand-affinity job (EventBridge schedule) -> a config version with the
brand lifts counted over the whole profile store (xsell.reporting.affinity.refresh)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from xsell import env, observability, topology
from xsell.reporting.affinity import refresh

env.require(topology.FUNCTIONS["affinity"].env)
logger = Logger(service="xsell-affinity")
tracer = observability.tracer("affinity")  # Powertools Tracer in Lambda


@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    published = refresh()
    logger.info("brand affinity published", extra=published)
    return published
