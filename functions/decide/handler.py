"""Decide: POST /v1/decide -> the creative each slot on a page shows."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig
from aws_lambda_powertools.utilities.typing import LambdaContext

from xsell import env, topology
from xsell.decisioning.service import SnapshotCache, decide
from xsell.errors import InvalidRequest
from xsell.http import register_domain_errors

env.require(topology.FUNCTIONS["decide"].env)
logger = Logger(service="xsell-decide")
# Sites call from their own origins. Trust comes from the site's signed identity token;
# a per-site origin allow-list is still to come with the decision API work.
app = APIGatewayRestResolver(cors=CORSConfig(allow_origin="*", max_age=600))
register_domain_errors(app)
snapshots = SnapshotCache()


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
