"""The one place domain exceptions become HTTP answers, for every API handler.

:func:`domain_error` is the mapping itself, plain Python: the decide function's router
(:mod:`xsell.proxy`) uses it directly. The Powertools resolvers of collect and admin use it through
:func:`register_domain_errors`. Powertools' event handler is imported only inside those helpers:
this module is on the decide function's cold start, and that package would cost it ~90 ms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from xsell.errors import (
    BodyTooLarge,
    Conflict,
    IdentityRejected,
    InvalidRequest,
    NotAllowed,
    NotFound,
    NotSignedIn,
    OriginRejected,
    SignatureExpired,
    SignatureInvalid,
    UnknownSite,
    XsellError,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

# Most specific first: BodyTooLarge is an InvalidRequest.
STATUS: tuple[tuple[type[XsellError], int, str], ...] = (
    (BodyTooLarge, 413, "body_too_large"),
    (InvalidRequest, 400, "invalid_request"),
    (IdentityRejected, 401, "identity_rejected"),
    (SignatureInvalid, 401, "signature_invalid"),
    (SignatureExpired, 401, "signature_expired"),
    (OriginRejected, 403, "origin_rejected"),
    (UnknownSite, 404, "unknown_site"),
    (NotSignedIn, 401, "not_signed_in"),
    (NotAllowed, 403, "forbidden"),
    (NotFound, 404, "not_found"),
    (Conflict, 409, "conflict"),
)


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The JSON body of every error answer: ``{error, message}``, plus ``field`` naming the part of
    the request at fault, or ``current`` holding what a conflicting write found stored."""
    return {"error": code, "message": message, **{k: v for k, v in extra.items() if v is not None}}


def domain_error(exc: BaseException) -> tuple[int, dict[str, Any]] | None:
    """The status and JSON body that answer ``exc``, or None when it is not a domain error."""
    for kind, status, code in STATUS:
        if isinstance(exc, kind):
            if isinstance(exc, Conflict):
                return status, error_body(exc.code, str(exc), current=exc.current)
            return status, error_body(code, str(exc), field=getattr(exc, "field", None))
    return None


def error_response(status: int, code: str, message: str, **extra: Any) -> Response[dict[str, Any]]:
    """An error answer for a Powertools resolver."""
    from aws_lambda_powertools.event_handler import Response, content_types

    return Response(status, content_types.APPLICATION_JSON, error_body(code, message, **extra))


def text_body(app: APIGatewayRestResolver) -> str | None:
    """The current request's body as text (base64 undone); InvalidRequest when it is not UTF-8."""
    try:
        body: str | None = app.current_event.decoded_body
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequest("body is not UTF-8 text", "body") from exc
    return body


def register_domain_errors(app: APIGatewayRestResolver) -> None:
    """Answer every domain error with its status and a JSON body ``{error, message}``."""

    # Powertools leaves exception_handler unannotated.
    @app.exception_handler([exc for exc, _, _ in STATUS])  # type: ignore[untyped-decorator]
    def _domain_error(exc: XsellError) -> Response[dict[str, Any]]:
        answer = domain_error(exc)
        if answer is None:
            raise exc  # unreachable: registered only for the kinds above
        status, body = answer
        from aws_lambda_powertools.event_handler import Response, content_types

        return Response(status, content_types.APPLICATION_JSON, body)
