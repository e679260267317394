"""A static server standing in for CloudFront: the tag, the admin SPA, demo sites.

Mounts map a path prefix to a folder or to a function that renders a page.
Only GET and HEAD; no directory listings; paths never leave their folder.
"""

from __future__ import annotations

import mimetypes
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

Page = Callable[[str, str], tuple[str, bytes] | None]  # (path, query) -> (content type, body)
Mount = Path | Page

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

    def _serve(self, head: bool) -> None:
        split = urlsplit(self.path)
        path = unquote(split.path)
        for prefix, mount in self.server.mounts:
            if path == prefix.rstrip("/") or path.startswith(prefix):
                rest = path[len(prefix) :] if path.startswith(prefix) else ""
                found = _from_folder(mount, rest) if isinstance(mount, Path) else mount(rest, split.query)
                if found is not None:
                    self._reply(200, *found, head=head)
                    return
        self._reply(404, "text/plain; charset=utf-8", b"not found", head=head)

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
