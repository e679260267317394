"""Conversions: POST /v1/conversions -> one conversion signed by the destination site's server.

The trusted path for conversions (the browser's conversion tag goes to collect): the body is
signed with the site's secret, which is why this function, unlike collect, reads the sites
secret. Each signed request is accepted once and each order once per referral token.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from xsell import api_contract, env, observability, topology
from xsell.http import error_response, register_domain_errors, text_body
from xsell.measuring.conversions import record_conversion
from xsell.measuring.service import EventsUnavailable
from xsell.server_calls import SIGNATURE_HEADER, TIMESTAMP_HEADER

env.require(topology.FUNCTIONS["conversions"].env)
logger = Logger(service="xsell-conversions")
tracer = observability.tracer("conversions")  # Powertools Tracer in Lambda
metrics = observability.Emf("conversions")
app = APIGatewayRestResolver()  # called by sites' servers, never by browsers: no CORS
register_domain_errors(app)


@app.exception_handler(EventsUnavailable)
def _unavailable(exc: EventsUnavailable) -> Response:
    logger.error("conversion not stored", extra={"reason": str(exc)})
    return error_response(503, api_contract.UNAVAILABLE, "the conversion could not be stored; send it again")


@app.post("/v1/conversions", **api_contract.CONVERSION_ROUTE)
def post_conversion() -> dict[str, Any]:
    headers = app.current_event.headers
    return record_conversion(text_body(app), headers.get(TIMESTAMP_HEADER), headers.get(SIGNATURE_HEADER))


@tracer.capture_lambda_handler(capture_response=False)
@metrics.flushing
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
