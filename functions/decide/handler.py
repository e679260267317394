"""Decide: POST /v1/decide -> the creative each slot on a page shows."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext

from xsell import env, topology
from xsell.decisioning.service import SnapshotCache, decide
from xsell.errors import IdentityRejected, InvalidRequest, UnknownSite

env.require(topology.FUNCTIONS["decide"].env)
logger = Logger(service="xsell-decide")
# Sites call from their own origins; the per-site origin allow-list is checked in the domain.
app = APIGatewayRestResolver(cors=CORSConfig(allow_origin="*", max_age=600))
snapshots = SnapshotCache()


def _error(status: int, code: str, message: str) -> Response:
    return Response(status, content_types.APPLICATION_JSON, {"error": code, "message": message})


@app.exception_handler(InvalidRequest)
def _invalid(exc: InvalidRequest) -> Response:
    return _error(400, "invalid_request", str(exc))


@app.exception_handler(UnknownSite)
def _unknown_site(exc: UnknownSite) -> Response:
    return _error(404, "unknown_site", str(exc))


@app.exception_handler(IdentityRejected)
def _identity(exc: IdentityRejected) -> Response:
    return _error(401, "identity_rejected", str(exc))


@app.post("/v1/decide")
def post_decide() -> dict[str, Any]:
    try:
        body = app.current_event.json_body
    except ValueError as exc:
        raise InvalidRequest("body is not valid JSON") from exc
    return decide(body, snapshots)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
