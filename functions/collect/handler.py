"""Collect: POST /v1/events -> viewable impressions, clicks, holdout exposures and conversions.

The tag sends batches with ``Content-Type: text/plain`` (a CORS simple request,
no preflight); the body is still JSON. A bad body is a 4xx and nothing is
stored; within a good body each event is accepted or rejected with a reason.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from xsell import api_contract, env, observability, topology
from xsell.http import error_response, register_domain_errors, text_body
from xsell.measuring.service import EventsUnavailable, collect

env.require(topology.FUNCTIONS["collect"].env)
logger = Logger(service="xsell-collect")
tracer = observability.tracer("collect")  # Powertools Tracer in Lambda
metrics = observability.Emf("collect")
# Events carry signed tokens, so any origin may send them; the tokens say which site they are for.
app = APIGatewayRestResolver(cors=CORSConfig(allow_origin="*", max_age=600))
register_domain_errors(app)


@app.exception_handler(EventsUnavailable)
def _unavailable(exc: EventsUnavailable) -> Response:
    logger.error("events not stored", extra={"reason": str(exc)})
    return error_response(503, api_contract.UNAVAILABLE, "events could not be stored; they may be sent again")


@app.post("/v1/events", **api_contract.EVENTS_ROUTE)
def post_events() -> dict[str, Any]:
    result = collect(text_body(app))
    if result["rejected"]:  # forged or replayed events are worth seeing; accepted ones are in S3
        logger.info("events rejected", extra={k: result[k] for k in ("accepted", "rejected", "reasons")})
    return result


@tracer.capture_lambda_handler(capture_response=False)
@metrics.flushing
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
