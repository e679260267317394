"""A throwaway HTTP server on loopback for tests and benchmarks: an origin with fixed answers."""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

# What a GET of a path gets: (Content-Type, body, further headers).
Answer = tuple[str, bytes, Mapping[str, str]]


@contextlib.contextmanager
def serve(answer: Callable[[str], Answer], protocol: str = "HTTP/1.0") -> Iterator[str]:
    """Answer every GET with ``answer(path)`` on a free loopback port, each request on its own
    thread; yields the base URL (``http://127.0.0.1:<port>``) and shuts the server down after."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = protocol

        def do_GET(self) -> None:  # noqa: N802
            content_type, body, headers = answer(self.path)
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
