"""The local CDN (local.static) over a real socket: every answer of a kept-alive connection is
whole, and goes out in one write with Nagle off (a second, small write of the body used to wait
for the browser's delayed ACK of the headers).

Only loopback servers of the test's own are involved: no emulator.
"""

from __future__ import annotations

import http.client
import http.server
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from local import static
from tests.http_stub import serve


class _CountingWriter:
    """The handler's ``wfile``, recording each write."""

    def __init__(self, raw: Any, writes: list[bytes]) -> None:
        self._raw, self._writes = raw, writes

    def write(self, data: bytes) -> int:
        self._writes.append(bytes(data))
        return self._raw.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


@pytest.fixture
def recorded(monkeypatch) -> dict[str, list[Any]]:
    """Every write the CDN's handlers make, and TCP_NODELAY on each connection they serve."""
    seen: dict[str, list[Any]] = {"writes": [], "nodelay": []}
    setup = static._Handler.setup

    def recording_setup(self: Any) -> None:
        setup(self)
        seen["nodelay"].append(self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        self.wfile = _CountingWriter(self.wfile, seen["writes"])

    monkeypatch.setattr(static._Handler, "setup", recording_setup)
    return seen


@pytest.fixture
def upstream() -> Iterator[str]:
    """An origin for the proxy mount: answers JSON with a header and a Date of its own."""

    def answer(path: str) -> tuple[str, bytes, dict[str, str]]:
        return "application/json", b'{"path": "%s"}' % path.encode(), {"X-Upstream": "yes"}

    with serve(answer, protocol="HTTP/1.1") as url:
        yield url


@pytest.fixture
def cdn(tmp_path: Path, upstream: str) -> Iterator[tuple[str, int]]:
    (tmp_path / "app.js").write_bytes(b"export const x = 1;\n" * 200)
    server = static.StaticServer({"/admin/": tmp_path, "/admin/v1/": static.Proxy(upstream)}).start()
    split = urlsplit(server.url)
    yield str(split.hostname), int(split.port or 0)
    server.stop()


def test_a_kept_alive_connection_gets_every_answer_whole_each_in_one_write(cdn, recorded) -> None:
    connection = http.client.HTTPConnection(*cdn, timeout=5)
    answers = []
    for method, path in [
        ("GET", "/admin/app.js"),
        ("GET", "/admin/app.js"),
        ("HEAD", "/admin/app.js"),
        ("GET", "/admin/missing.js"),
        ("GET", "/admin/v1/campaigns?x=1"),
        ("POST", "/admin/app.js"),
    ]:
        connection.request(method, path)
        answer = connection.getresponse()
        answers.append((answer.status, answer.headers, answer.read()))
    connection.close()

    file = b"export const x = 1;\n" * 200
    (ok, headers, body), (again, _, body_again), (head, head_headers, head_body) = answers[:3]
    assert (ok, body, again, body_again) == (200, file, 200, file)
    assert headers["content-type"] == "text/javascript; charset=utf-8"
    assert headers["cache-control"] == "no-cache"
    assert headers["x-content-type-options"] == "nosniff"
    assert (head, head_body, head_headers["content-length"]) == (200, b"", str(len(file)))
    missing, _, missing_body = answers[3]
    assert (missing, missing_body) == (404, b"not found")
    proxied, proxied_headers, proxied_body = answers[4]
    assert (proxied, proxied_body) == (200, b'{"path": "/admin/v1/campaigns?x=1"}')
    assert proxied_headers["x-upstream"] == "yes"
    assert len(proxied_headers.get_all("date")) == 1  # the origin's, not a second one
    refused, _, refused_body = answers[5]
    assert (refused, refused_body) == (405, b"method not allowed")

    assert recorded["nodelay"] == [1]  # one connection, Nagle off
    assert len(recorded["writes"]) == len(answers)
    for write, (status, _, answer_body) in zip(recorded["writes"], answers, strict=True):
        assert write.startswith(f"HTTP/1.1 {status} ".encode())
        assert write.endswith(b"\r\n\r\n" + answer_body)


def test_an_http_1_0_client_is_told_the_connection_closes(cdn) -> None:
    with socket.create_connection(cdn, timeout=5) as sock:
        sock.sendall(b"GET /admin/app.js HTTP/1.0\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\nconnection: close" in head
    assert body == b"export const x = 1;\n" * 200
