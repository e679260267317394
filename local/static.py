"""A static server standing in for CloudFront: the tag, the admin SPA, demo sites.

Mounts map a path prefix to a folder, to a function that renders a page, or to a
:class:`Proxy` that forwards every request under it to another local server (as CloudFront
forwards ``/admin/v1/*`` to API Gateway). Folders and pages answer only GET and HEAD; no
directory listings; paths never leave their folder.
"""

from __future__ import annotations

import http.client
import mimetypes
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

Page = Callable[[str, str], tuple[str, bytes] | None]  # (path, query) -> (content type, body)


class Proxy:
    """Forward requests under the mount, path and query unchanged, to ``origin`` (``http://host:port``):
    method, headers (``Authorization`` included; ``Host`` becomes the origin's) and body; the
    origin's status, headers and body come back."""

    _HOP_BY_HOP = frozenset(
        (
            "connection",
            "keep-alive",
            "proxy-connection",
            "transfer-encoding",
            "te",
            "trailer",
            "upgrade",
            "host",
        )
    )

    def __init__(self, origin: str) -> None:
        split = urlsplit(origin)
        if split.scheme != "http" or not split.hostname:
            raise ValueError(f"a local proxy forwards to http://host:port, got {origin!r}")
        self.host, self.port = split.hostname, split.port or 80

    def forward(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        sent = {k: v for k, v in headers if k.lower() not in self._HOP_BY_HOP}
        sent["Host"] = f"{self.host}:{self.port}"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.request(
                method,
                target,
                body=body if body or method in ("POST", "PUT", "PATCH") else None,
                headers=sent,
            )
            answer = connection.getresponse()
            data = answer.read()
            kept = [
                (k, v)
                for k, v in answer.getheaders()
                if k.lower() not in self._HOP_BY_HOP and k.lower() != "content-length"
            ]
            return answer.status, kept, data
        finally:
            connection.close()


Mount = Path | Page | Proxy

_SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
}


_REASONS = {status.value: status.phrase for status in HTTPStatus}


class _Handler(BaseHTTPRequestHandler):
    server: _StaticServer
    protocol_version = "HTTP/1.1"
    # Every answer goes out in one write (_send). Headers and body written apart, the body of a
    # kept-alive connection's second answer waited for the browser's delayed ACK of the headers
    # (Nagle): about 40 ms on every request but a connection's first (config.json, each admin API
    # call, a page's second script). With Nagle off, nothing can wait on it should two writes remain.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_POST(self) -> None:
        self._serve(head=False)

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_POST

    def _serve(self, head: bool) -> None:
        split = urlsplit(self.path)
        path = unquote(split.path)
        for prefix, mount in self.server.mounts:
            if path == prefix.rstrip("/") or path.startswith(prefix):
                if isinstance(mount, Proxy):
                    self._proxy(mount)
                    return
                if self.command not in ("GET", "HEAD"):
                    self._reply(405, "text/plain; charset=utf-8", b"method not allowed", head=False)
                    return
                rest = path[len(prefix) :] if path.startswith(prefix) else ""
                found = _from_folder(mount, rest) if isinstance(mount, Path) else mount(rest, split.query)
                if found is not None:
                    self._reply(200, *found, head=head)
                    return
        self._reply(404, "text/plain; charset=utf-8", b"not found", head=head)

    def _proxy(self, proxy: Proxy) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        try:
            status, headers, data = proxy.forward(self.command, self.path, list(self.headers.items()), body)
        except OSError:
            self._reply(502, "text/plain; charset=utf-8", b"bad gateway", head=self.command == "HEAD")
            return
        self._send(status, headers, data, head=self.command == "HEAD")

    def _reply(self, status: int, content_type: str, data: bytes, head: bool) -> None:
        headers = [("content-type", content_type), ("cache-control", "no-cache"), *_SECURITY_HEADERS.items()]
        self._send(status, headers, data, head=head)

    def _send(self, status: int, headers: list[tuple[str, str]], data: bytes, head: bool) -> None:
        """Status line, headers and body in one write (see ``disable_nagle_algorithm``). A HEAD
        answer has the headers of the GET, its content-length included, and no body."""
        self.log_request(status, len(data))
        kept = [(k, v) for k, v in headers if k.lower() not in ("content-length", "connection")]
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, '')}"]
        if not any(k.lower() == "date" for k, _ in kept):  # a proxied answer brings its own
            lines.append(f"date: {self.date_time_string()}")
        lines += [f"{k}: {v}" for k, v in kept]
        lines.append(f"content-length: {len(data)}")
        if self.close_connection:
            lines.append("connection: close")
        head_bytes = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        self.wfile.write(head_bytes if head else head_bytes + data)


def _from_folder(folder: Path, rest: str) -> tuple[str, bytes] | None:
    target = (folder / (rest or "index.html")).resolve()
    if target.is_dir():
        target = target / "index.html"
    if not target.is_relative_to(folder.resolve()) or not target.is_file():
        return None
    ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    if ctype.startswith("text/") or ctype in ("application/javascript", "image/svg+xml", "application/json"):
        ctype += "; charset=utf-8"
    return ctype, target.read_bytes()


class _StaticServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512  # socketserver's default of 5 resets a burst of new connections
    mounts: list[tuple[str, Mount]]


class StaticServer:
    """Serve ``mounts`` (longest prefix first) on a loopback port from a background thread."""

    def __init__(self, mounts: dict[str, Mount], port: int = 0) -> None:
        self._server = _StaticServer(("127.0.0.1", port), _Handler)
        self._server.mounts = sorted(mounts.items(), key=lambda kv: -len(kv[0]))
        self._thread = threading.Thread(target=self._server.serve_forever, name="xsell-static", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> StaticServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
