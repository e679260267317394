"""Every server of the local system listens on loopback only, and holds a burst of new connections."""

from __future__ import annotations

import concurrent.futures
import os
import socket
import threading
from pathlib import Path
from urllib.parse import urlsplit

LISTEN = "0A"  # TCP state in /proc/net/tcp*
LOOPBACK = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}


def _address(hex_address: str) -> str:
    raw = bytes.fromhex(hex_address)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    # IPv6 in /proc: four 32-bit words, each in host (little-endian) order
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words)


def _listening_sockets() -> dict[int, tuple[str, int]]:
    """Socket inode -> (address, port) of every listening TCP socket on the machine."""
    found: dict[int, tuple[str, int]] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] != LISTEN:
                continue
            address, port = fields[1].split(":")
            found[int(fields[9])] = (_address(address), int(port, 16))
    return found


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[len("socket:[") : -1]))
    return inodes


def _opened_by(pids: list[int]) -> list[tuple[str, int]]:
    listening = _listening_sockets()
    return sorted({listening[i] for pid in pids for i in _socket_inodes(pid) if i in listening})


def test_every_listening_socket_of_the_local_system_is_on_loopback(emulators, local_system):
    opened = _opened_by([os.getpid(), *emulators.pids])
    ports = {port for _, port in opened}
    expected = {emulators.dynamodb_port, emulators.moto_port}
    expected |= {urlsplit(url).port for url in (local_system.gateway.url, local_system.cdn.url)}
    expected |= {urlsplit(url).port for url in local_system.site_urls.values()}
    assert expected <= ports, (expected, opened)
    assert [(address, port) for address, port in opened if address not in LOOPBACK] == []


def _burst(host: str, port: int, request: bytes, count: int = 256) -> list[bytes]:
    """``count`` connections opened at the same moment, one request on each; their status lines."""
    barrier = threading.Barrier(count)

    def one(_: int) -> bytes:
        barrier.wait(timeout=60)
        with socket.create_connection((host, port), timeout=60) as sock:
            sock.sendall(request)
            answer = b""
            while b"\r\n" not in answer:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
            return answer.split(b" ", 2)[0][: len(b"HTTP/1.")]

    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def _get(path: str = "/") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()


def test_the_cdn_and_a_demo_site_hold_a_burst_of_256_new_connections(local_system):
    for url in (local_system.cdn.url, local_system.site_urls["hana"]):
        split = urlsplit(url)
        assert _burst(split.hostname, split.port, _get("/")) == [b"HTTP/1."] * 256, url


def test_the_cdn_proxy_to_the_admin_api_holds_a_burst_of_256_new_connections(local_system):
    split = urlsplit(local_system.cdn.url)
    assert _burst(split.hostname, split.port, _get("/admin/v1/me")) == [b"HTTP/1."] * 256


def test_the_emulators_hold_a_burst_of_256_new_connections(emulators):
    answers = {
        name: _burst("127.0.0.1", port, _get("/"))
        for name, port in (("dynamodb", emulators.dynamodb_port), ("moto", emulators.moto_port))
    }
    assert {name: set(lines) for name, lines in answers.items()} == {
        "dynamodb": {b"HTTP/1."},
        "moto": {b"HTTP/1."},
    }
