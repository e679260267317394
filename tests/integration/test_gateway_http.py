"""The local gateway's HTTP side over a real socket: keep-alive, malformed requests, Expect.

Only routes that exist nowhere are asked for, so no handler (and no emulator) is involved.
"""

from __future__ import annotations

import socket

import pytest

from local.gateway import LocalGateway


@pytest.fixture
def gateway():
    server = LocalGateway().start()
    yield server
    server.stop()


def _exchange(gateway, raw: bytes, close: bool = True) -> bytes:
    port = int(gateway.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(raw)
        if close:
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


def test_kept_alive_requests_are_read_one_after_another(gateway):
    body = b'{"a":1}'
    one = b"POST /v1/none HTTP/1.1\r\nHost: x\r\nCONTENT-LENGTH: 7\r\n\r\n" + body
    answer = _exchange(gateway, one + one)
    assert answer.count(b"HTTP/1.1 403 ") == 2  # the body was consumed, not taken for a request
    assert b"Missing Authentication Token" in answer


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"NONSENSE\r\n\r\n", b"400"),
        (b"GET / HTTP/2.0\r\n\r\n", b"505"),
        (b"GET / HTTP/1.1\r\nno colon here\r\n\r\n", b"400"),
        (b"GET / HTTP/1.1\r\n" + b"".join(b"x-h%d: v\r\n" % n for n in range(101)) + b"\r\n", b"431"),
    ],
)
def test_malformed_requests_get_http_s_own_answers(gateway, raw, status):
    assert _exchange(gateway, raw).split(b" ", 2)[1] == status


def test_expect_100_continue_is_answered_before_the_body(gateway):
    port = int(gateway.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(
            b"POST /v1/none HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"
        )
        assert sock.recv(65536).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(b"{}")
        assert sock.recv(65536).startswith(b"HTTP/1.1 403 ")


@pytest.mark.parametrize(
    "request_line",
    [
        b"TRACE /v1/decide HTTP/1.1",
        b"CONNECT /v1/decide HTTP/1.1",
        b"PROPFIND /v1/events HTTP/1.1",
        b"GET /v1/decide HTTP/1.1",
        b"POST /v1/nowhere HTTP/1.1",
    ],
)
def test_a_method_or_path_without_a_route_gets_api_gateway_s_403(gateway, request_line):
    answer = _exchange(gateway, request_line + b"\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 403 Forbidden\r\n")
    assert b"content-type: application/json" in head.lower()
    assert body == b'{"message":"Missing Authentication Token"}'


def test_a_head_request_gets_the_headers_without_the_body(gateway):
    answer = _exchange(gateway, b"HEAD /v1/decide HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/x HTTP/1.1\r\n\r\n")
    first, second = answer.split(b"HTTP/1.1 403 Forbidden\r\n")[1:]  # kept alive: the next answer follows
    assert first.endswith(b"\r\n\r\n") and b"content-length: 42" in first
    assert second.endswith(b'{"message":"Missing Authentication Token"}')


def test_http_1_0_closes_after_the_answer(gateway):
    answer = _exchange(gateway, b"GET /v1/none HTTP/1.0\r\n\r\n", close=False)
    assert answer.startswith(b"HTTP/1.1 403 ")  # and the server closed: recv returned b""


def test_a_burst_of_256_new_connections_is_served_without_a_reset(local_system):
    import concurrent.futures
    import socket
    from urllib.parse import urlsplit

    address = urlsplit(local_system.gateway.url)
    barrier = __import__("threading").Barrier(256)

    def one(_: int) -> bytes:
        barrier.wait(timeout=30)  # every connection opens at the same moment
        with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
            sock.sendall(b"GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return sock.recv(12)

    with concurrent.futures.ThreadPoolExecutor(256) as pool:
        answers = list(pool.map(one, range(256)))
    assert answers == [b"HTTP/1.1 403"] * 256
