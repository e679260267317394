"""Admin routes for operations: imports, uploads, site tags, secrets, previews, users, pacing."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayRouter

router = APIGatewayRouter()
