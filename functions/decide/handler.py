"""Decide: POST /v1/decide -> the creative each slot on a page shows.

Routed by :mod:`xsell.proxy` rather than Powertools' event handler, whose import would add ~90 ms
to the cold start of the function every page view calls; ``python -m local.openapi`` still
documents these routes through Powertools.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from xsell import api_contract, env, observability, topology
from xsell.decisioning.request import ServerSignature
from xsell.decisioning.service import SnapshotCache, decide, instance_pool, preflight_origin
from xsell.proxy import TEXT, ProxyRouter, Request, Response
from xsell.server_calls import SIGNATURE_HEADER, TIMESTAMP_HEADER

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

env.require(topology.FUNCTIONS["decide"].env)
logger = Logger(service="xsell-decide")
tracer = observability.tracer("decide")  # Powertools Tracer in Lambda
metrics = observability.Emf("decide")
# No blanket CORS: each site's own origins are checked, and only an allowed one is echoed.
app = ProxyRouter()
snapshots = SnapshotCache()
blocks = instance_pool()  # this environment's leased units of caps and reciprocity credit


@app.post("/v1/decide", **api_contract.DECIDE_ROUTE)
def post_decide(request: Request) -> Response:
    origin = request.header("origin")
    signed = ServerSignature(request.header(TIMESTAMP_HEADER), request.header(SIGNATURE_HEADER), request.text)
    answer = decide(
        request.json,
        snapshots,
        origin=origin,
        user_agent=request.header("user-agent"),
        pool=blocks,
        signed=signed,
    )
    headers = {"Vary": "Origin"}
    if origin:
        headers["Access-Control-Allow-Origin"] = origin
    return Response(200, answer, headers)


# Not in the API document: a preflight, not a call.
@app.route("OPTIONS", "/v1/decide", include_in_schema=False)
def preflight_decide(request: Request) -> Response:
    """API Gateway (and the local gateway) forward preflights here: the origins of the published
    site documents are the only ones admitted."""
    origin = preflight_origin(snapshots, request.header("origin"))
    headers = {"Vary": "Origin"}
    if origin:
        headers |= {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "600",
        }
    return Response(204 if origin else 403, "", headers, content_type=TEXT)


@tracer.capture_lambda_handler(capture_response=False)  # answers carry signed tokens
@metrics.flushing
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event)
