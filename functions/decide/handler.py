"""Decide: POST /v1/decide -> the creative each slot on a page shows."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext

from xsell import api_contract, env, topology
from xsell.decisioning.service import SnapshotCache, decide, preflight_origin
from xsell.errors import InvalidRequest
from xsell.http import register_domain_errors

env.require(topology.FUNCTIONS["decide"].env)
logger = Logger(service="xsell-decide")
# No blanket CORS: each site's own origins are checked, and only an allowed one is echoed.
app = APIGatewayRestResolver()
register_domain_errors(app)
snapshots = SnapshotCache()


@app.post("/v1/decide", **api_contract.DECIDE_ROUTE)
def post_decide() -> Response[dict[str, Any]]:
    event = app.current_event
    try:
        body = event.json_body
    except ValueError as exc:
        raise InvalidRequest("body is not valid JSON") from exc
    origin = event.headers.get("origin")
    answer = decide(body, snapshots, origin=origin, user_agent=event.headers.get("user-agent"))
    headers = {"Vary": "Origin"}
    if origin:
        headers["Access-Control-Allow-Origin"] = origin
    return Response(200, content_types.APPLICATION_JSON, answer, headers=headers)


# Not in the API document: in AWS, API Gateway answers preflights itself.
@app.route("/v1/decide", method=["OPTIONS"], include_in_schema=False)
def preflight_decide() -> Response[str]:
    """Locally the gateway forwards preflights; in AWS API Gateway answers them itself."""
    origin = preflight_origin(snapshots, app.current_event.headers.get("origin"))
    headers = {"Vary": "Origin"}
    if origin:
        headers |= {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "600",
        }
    return Response(204 if origin else 403, content_types.TEXT_PLAIN, "", headers=headers)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
