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


class _Handler(BaseHTTPRequestHandler):
    server: _StaticServer
    protocol_version = "HTTP/1.1"

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
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _reply(self, status: int, content_type: str, data: bytes, head: bool) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        self.send_header("cache-control", "no-cache")
        for k, v in _SECURITY_HEADERS.items():
            self.send_header(k, v)
        self.end_headers()
        if not head:
            self.wfile.write(data)


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
