"""A local API Gateway: HTTP requests become REST API proxy events for the real handlers.

Routes come from :data:`xsell.topology.API_ROUTES`, the list CDK builds the
deployed API from. Routes that are behind Cognito in AWS go through the local
authorizer (:mod:`local.authorizer`) and answer 401 without a valid token.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from local import lambda_runtime
from xsell.topology import API_ROUTES, Route

log = logging.getLogger("xsell.local.gateway")
Authorizer = Callable[[dict[str, str]], dict[str, str] | None]
STAGE = "local"
# What API Gateway answers when the authorizer refuses a token: the stack replaces its default
# ``{"message": "Unauthorized"}`` with the API's own error shape (infra/stacks/api.py).
UNAUTHORIZED = b'{"error":"not_signed_in","message":"Unauthorized"}'
# What a REST API answers for a path or method it has no route for (TRACE, CONNECT, any unknown
# verb included): a 403, not a 404 or 405.
MISSING_AUTHENTICATION_TOKEN = b'{"message":"Missing Authentication Token"}'
MAX_BODY = 1024 * 1024  # API Gateway's own limit is 10 MB; the public API needs far less


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route for ``method path`` and its path parameters, or None."""
    for route in API_ROUTES:
        if method != "OPTIONS" and route.method not in ("ANY", method):  # preflight goes to the handler
            continue
        if route.path.endswith("/{proxy+}"):
            base = route.path[: -len("{proxy+}")]
            if path.startswith(base) and len(path) > len(base):
                return route, {"proxy": path[len(base) :]}
        elif path == route.path:
            return route, {}
    return None


def proxy_event(
    route: Route,
    params: dict[str, str],
    method: str,
    raw_path: str,
    headers: dict[str, str],
    body: bytes,
    claims: dict[str, str] | None,
    source_ip: str,
) -> dict[str, Any]:
    """An API Gateway REST API (v1) proxy integration event."""
    split = urlsplit(raw_path)
    query = parse_qs(split.query, keep_blank_values=True)
    try:
        text, is_b64 = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, is_b64 = base64.b64encode(body).decode(), True
    context: dict[str, Any] = {
        "resourcePath": route.path,
        "httpMethod": method,
        "path": f"/{STAGE}{split.path}",
        "stage": STAGE,
        "requestId": lambda_runtime.request_id(),
        "requestTimeEpoch": int(time.time() * 1000),
        "accountId": lambda_runtime.ACCOUNT,
        "apiId": "local",
        "protocol": "HTTP/1.1",
        "identity": {"sourceIp": source_ip, "userAgent": headers.get("user-agent", "")},
    }
    if claims is not None:
        context["authorizer"] = {"claims": claims}
    return {
        "resource": route.path,
        "path": split.path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": params or None,
        "stageVariables": None,
        "requestContext": context,
        "body": text if body else None,
        "isBase64Encoded": is_b64,
    }


MAX_HEADER_LINE = 65536  # http.server's own limits
MAX_HEADERS = 100
_VERSION = re.compile(r"HTTP/\d\.\d")


_REASONS = {status.value: status.phrase for status in HTTPStatus}


class _Headers(dict[str, str]):
    """Request headers by lower-case name (a later duplicate wins, as API Gateway's map does)."""

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(name.lower(), default)


class _Handler(BaseHTTPRequestHandler):
    server: _GatewayServer
    protocol_version = "HTTP/1.1"
    # Answers go out in one write (see _reply); should anything still write twice, Nagle
    # would hold the second part back by a kept-alive client's delayed ACK (~40 ms).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
        pass  # requests are logged by the handlers themselves

    def parse_request(self) -> bool:
        """The request line and headers, as http.server parses them but without the email
        package (a tenth of a millisecond per request, on every call through the gateway)."""
        self.command = None
        self.request_version = "HTTP/1.1"  # so that even an error about the request line has a status line
        self.close_connection = True
        self.requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        words = self.requestline.split()
        if len(words) != 3 or not _VERSION.fullmatch(words[2]):
            self.send_error(HTTPStatus.BAD_REQUEST, f"Bad request syntax ({self.requestline!r})")
            return False
        self.command, self.path, self.request_version = words
        if self.request_version != "HTTP/1.1" and self.request_version != "HTTP/1.0":
            self.send_error(HTTPStatus.HTTP_VERSION_NOT_SUPPORTED, f"Invalid HTTP version ({words[2]})")
            return False
        headers = _Headers()
        while True:
            line = self.rfile.readline(MAX_HEADER_LINE + 1)
            if len(line) > MAX_HEADER_LINE or len(headers) >= MAX_HEADERS:
                self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Header fields too large")
                return False
            if line in (b"\r\n", b"\n", b""):
                break
            name, colon, value = str(line, "iso-8859-1").partition(":")
            if not colon or not name.strip():
                self.send_error(HTTPStatus.BAD_REQUEST, f"Bad header line ({line!r})")
                return False
            headers[name.strip().lower()] = value.strip()
        self.headers = headers  # type: ignore[assignment]  # a Message in the base class
        connection = headers.get("connection", "").lower()
        self.close_connection = connection == "close" or (
            self.request_version == "HTTP/1.0" and connection != "keep-alive"
        )
        if headers.get("expect", "").lower() == "100-continue" and self.request_version == "HTTP/1.1":
            return self.handle_expect_100()  # curl waits for it before sending a larger body
        return True

    def _serve(self) -> None:
        split = urlsplit(self.path)
        found = match(self.command, split.path)
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY:
            self.close_connection = True  # the unread body would be taken for the next request
            self._reply(413, {"content-type": "application/json"}, b'{"message":"Request Entity Too Large"}')
            return
        body = self.rfile.read(length) if length else b""
        if found is None:
            self._reply(403, {"content-type": "application/json"}, MISSING_AUTHENTICATION_TOKEN)
            return
        route, params = found
        headers = dict(self.headers)
        claims = None
        if route.authorized and self.command != "OPTIONS":
            claims = self.server.authorizer(headers) if self.server.authorizer else None
            if claims is None:
                self._reply(401, {"content-type": "application/json"}, UNAUTHORIZED)
                return
        event = proxy_event(
            route, params, self.command, self.path, headers, body, claims, self.client_address[0]
        )
        try:
            result = lambda_runtime.invoke(route.function, event)
        except Exception:  # a crashed handler is a 502 at API Gateway too
            log.exception("handler %s crashed on %s %s", route.function, self.command, split.path)
            self.server.errors += 1
            self._reply(502, {"content-type": "application/json"}, b'{"message":"Internal server error"}')
            return
        out_headers = {k.lower(): str(v) for k, v in (result.get("headers") or {}).items()}
        for k, values in (result.get("multiValueHeaders") or {}).items():
            out_headers[k.lower()] = ", ".join(str(v) for v in values)
        payload = result.get("body") or ""
        data = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode("utf-8")
        self._reply(int(result.get("statusCode", 200)), out_headers, data)

    def _reply(self, status: int, headers: dict[str, str], data: bytes) -> None:
        """Status line, headers and body in one write: a second small write would wait on the
        client's delayed ACK (Nagle) or, with Nagle off, cost another wake-up."""
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, '')}", f"date: {self.date_time_string()}"]
        lines += [f"{k}: {v}" for k, v in headers.items() if k not in ("content-length", "connection")]
        lines.append(f"content-length: {len(data)}")
        if self.close_connection:
            lines.append("connection: close")
        body = b"" if self.command == "HEAD" else data  # a HEAD answer has the headers of a GET only
        self.wfile.write("\r\n".join(lines).encode("latin-1", "replace") + b"\r\n\r\n" + body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve

    def __getattr__(self, name: str) -> Any:
        """Any other method (TRACE, CONNECT, PROPFIND, ...) goes through routing as well, where it
        matches no route, instead of getting http.server's 501 page."""
        if name.startswith("do_") and self.command and name == f"do_{self.command}":
            return self._serve
        raise AttributeError(name)


class _GatewayServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default listen backlog is 5: a burst of new connections (a page's tag calls,
    # concurrent test clients) was reset by the kernel. API Gateway takes any burst.
    request_queue_size = 512
    authorizer: Authorizer | None = None
    errors = 0  # handler crashes seen (tests assert there were none)


class LocalGateway:
    """The gateway on a loopback port, served from a background thread."""

    def __init__(self, port: int = 0, authorizer: Authorizer | None = None) -> None:
        self._server = _GatewayServer(("127.0.0.1", port), _Handler)
        self._server.authorizer = authorizer
        self._thread = threading.Thread(target=self._server.serve_forever, name="xsell-gateway", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def errors(self) -> int:
        return self._server.errors

    def start(self) -> LocalGateway:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
