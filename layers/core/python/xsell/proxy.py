"""A small router for API Gateway REST API (v1) proxy events, for the decide function.

Decide answers on every page view, so its cold start matters; Powertools' event handler package
imports every resolver it has, asyncio and the event data classes on the way (~90 ms). This router
does only what decide needs: fixed ``(method, path)`` routes, the request's headers and body, domain
errors answered through :func:`xsell.http.domain_error`, and proxy responses in the shape the
Powertools ``APIGatewayRestResolver`` gives them (``multiValueHeaders``, compact JSON, the same 404),
so that callers see no difference. Any other exception propagates: the Lambda runtime (or the local
gateway) answers it with a 502.

Each route keeps the Powertools route keywords that document it (:mod:`xsell.api_contract`), so that
``python -m local.openapi`` still has Powertools generate the API document from these routes.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any, NamedTuple

from xsell.errors import InvalidRequest
from xsell.http import domain_error

JSON = "application/json"
TEXT = "text/plain"
_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


class Request(NamedTuple):
    """What a route sees of the proxy event. Header names are lower-cased."""

    method: str
    path: str
    headers: Mapping[str, str] = _NO_HEADERS
    body: str | None = None  # as the event carries it: base64 when ``is_base64_encoded``
    is_base64_encoded: bool = False

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> Request:
        return cls(
            method=event["httpMethod"].upper(),
            path=event["path"],
            headers={name.lower(): value for name, value in (event.get("headers") or {}).items()},
            body=event.get("body"),
            is_base64_encoded=bool(event.get("isBase64Encoded")),
        )

    def header(self, name: str) -> str | None:
        """The value of header ``name``, whatever the case it is asked or was sent in."""
        return self.headers.get(name.lower())

    @property
    def text(self) -> str | None:
        """The body as text, base64-decoded when the event says so; None when there is none."""
        if not self.body or not self.is_base64_encoded:
            return self.body
        try:
            return base64.b64decode(self.body).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise InvalidRequest("body is not UTF-8 text", "body") from exc

    @property
    def json(self) -> Any:
        """The body parsed as JSON whatever its Content-Type; None when the body is empty."""
        try:
            text = self.text
            return json.loads(text) if text else None
        except (InvalidRequest, ValueError) as exc:  # bytes that are not UTF-8 are not JSON either
            raise InvalidRequest("body is not valid JSON", "body") from exc


class Response(NamedTuple):
    """An answer: ``body`` is serialised as JSON unless it is already text."""

    status: int
    body: Any = None
    headers: Mapping[str, str] = _NO_HEADERS
    content_type: str = JSON

    def to_proxy(self) -> dict[str, Any]:
        """The proxy integration's answer, as Powertools' REST resolver shapes it."""
        body = self.body
        if self.content_type == JSON and not isinstance(body, str):
            body = json.dumps(body, separators=(",", ":"), default=_json_default)
        headers = {**self.headers}
        headers.setdefault("Content-Type", self.content_type)
        return {
            "statusCode": self.status,
            "body": body,
            "isBase64Encoded": False,
            "multiValueHeaders": {name: [value] for name, value in headers.items()},
        }


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):  # as Powertools' encoder writes DynamoDB numbers
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


NOT_FOUND = Response(404, {"statusCode": 404, "message": "Not found"})
Handler = Callable[[Request], Any]


class Route(NamedTuple):
    """One route: what it answers, the function that answers, and the keywords that document it."""

    method: str
    path: str
    handler: Handler
    openapi: Mapping[str, Any]  # keyword arguments of a Powertools route declaration


def _route_path(path: str) -> str:
    return path.rstrip("/") or "/"  # trailing slashes are ignored, as Powertools' REST resolver does


class ProxyRouter:
    """Routes proxy events by method and exact path to functions of one :class:`Request`.

    A function returns a :class:`Response`, or any other JSON value for a 200.
    """

    def __init__(self) -> None:
        self._routes: dict[tuple[str, str], Route] = {}

    @property
    def routes(self) -> tuple[Route, ...]:
        """The routes in the order they were declared."""
        return tuple(self._routes.values())

    def route(self, method: str, path: str, **openapi: Any) -> Callable[[Handler], Handler]:
        """Declare ``handler`` as the answer to ``method path``; ``openapi`` documents the route."""
        key = (method.upper(), _route_path(path))

        def register(handler: Handler) -> Handler:
            if key in self._routes:
                raise ValueError(f"route {key[0]} {key[1]} is declared twice")
            self._routes[key] = Route(key[0], path, handler, openapi)
            return handler

        return register

    def post(self, path: str, **openapi: Any) -> Callable[[Handler], Handler]:
        return self.route("POST", path, **openapi)

    def resolve(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """The proxy response to ``event``."""
        request = Request.from_event(event)
        route = self._routes.get((request.method, _route_path(request.path)))
        if route is None:
            return NOT_FOUND.to_proxy()
        try:
            result = route.handler(request)
        except Exception as exc:
            answer = domain_error(exc)
            if answer is None:
                raise
            return Response(*answer).to_proxy()
        return (result if isinstance(result, Response) else Response(200, result)).to_proxy()
