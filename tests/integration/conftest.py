"""Integration tests talk to the local emulators on loopback, and to nothing else."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_socket import socket_allow_hosts

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _loopback_only() -> Iterator[None]:
    socket_allow_hosts(["127.0.0.1", "localhost", "::1"])
    yield
