"""The one place domain exceptions become HTTP answers, for every API handler."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types

from xsell.errors import (
    BodyTooLarge,
    IdentityRejected,
    InvalidRequest,
    OriginRejected,
    UnknownSite,
    XsellError,
)

# Most specific first: BodyTooLarge is an InvalidRequest.
STATUS: tuple[tuple[type[XsellError], int, str], ...] = (
    (BodyTooLarge, 413, "body_too_large"),
    (InvalidRequest, 400, "invalid_request"),
    (IdentityRejected, 401, "identity_rejected"),
    (OriginRejected, 403, "origin_rejected"),
    (UnknownSite, 404, "unknown_site"),
)


def error_response(status: int, code: str, message: str) -> Response:
    return Response(status, content_types.APPLICATION_JSON, {"error": code, "message": message})


def register_domain_errors(app: APIGatewayRestResolver) -> None:
    """Answer every domain error with its status and a JSON body ``{error, message}``."""

    @app.exception_handler([exc for exc, _, _ in STATUS])
    def _domain_error(exc: XsellError) -> Response:
        for kind, status, code in STATUS:
            if isinstance(exc, kind):
                return error_response(status, code, str(exc))
        raise exc  # unreachable: registered only for the kinds above
