"""Cached boto3 clients: created once per process, on first use (not at import).

DynamoDB requests are built by the DAL's own code and checked again by the service, so the
DynamoDB client skips botocore's client-side parameter validation: about 0.2 ms of Python per
call, on the decide path twice per page view. A malformed request still fails, with the
service's ``ValidationException`` instead of botocore's ``ParamValidationError``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = {"dynamodb": Config(parameter_validation=False)}


@cache
def client(service: str) -> Any:
    return boto3.session.Session().client(service, config=_CONFIG.get(service))


@cache
def single_attempt_client(service: str) -> Any:
    """A client that never resends a request by itself: for writes that must not land twice
    (a timed-out write may have landed)."""
    once = Config(retries={"mode": "standard", "total_max_attempts": 1})
    base = _CONFIG.get(service)
    return boto3.session.Session().client(service, config=base.merge(once) if base else once)


def reset() -> None:
    """Forget cached clients (tests that re-point endpoints call this)."""
    client.cache_clear()
    single_attempt_client.cache_clear()
