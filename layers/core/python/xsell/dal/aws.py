"""Cached boto3 clients: created once per process, on first use (not at import)."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3


@cache
def client(service: str) -> Any:
    return boto3.session.Session().client(service)


def reset() -> None:
    """Forget cached clients (tests that re-point endpoints call this)."""
    client.cache_clear()
