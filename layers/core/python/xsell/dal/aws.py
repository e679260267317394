"""Cached boto3 clients: created once per process, on first use (not at import).

DynamoDB requests are built by the DAL's own code and checked again by the service, so the
DynamoDB client skips botocore's client-side parameter validation: about 0.2 ms of Python per
call, on the decide path twice per page view. A malformed request still fails, with the
service's ``ValidationException`` instead of botocore's ``ParamValidationError``.

A client keeps the endpoint it was created for. In AWS that never changes within a process;
locally a process may start one emulated system after another, so :func:`reset` forgets every
client the DAL caches (those made here, those made with :func:`cached`, and PynamoDB's per-model
connections) and the next call creates them for the endpoints of the moment.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import cache
from typing import Any, Literal, TypeVar

import boto3
from botocore.config import Config

# The services the DAL calls (boto3-stubs types each client by its literal service name).
Service = Literal["athena", "cognito-idp", "dynamodb", "firehose", "s3", "secretsmanager", "sqs"]
_CONFIG: dict[str, Config] = {"dynamodb": Config(parameter_validation=False)}
_T = TypeVar("_T")
_CACHED: list[Any] = []


def cached(factory: Callable[[], _T]) -> Callable[[], _T]:
    """A client factory of the DAL's own, made once per process and forgotten by :func:`reset`."""
    made = cache(factory)
    _CACHED.append(made)
    return made


@cache
def client(service: Service) -> Any:
    return boto3.session.Session().client(service, config=_CONFIG.get(service))


@cache
def single_attempt_client(service: Service) -> Any:
    """A client that never resends a request by itself: for writes that must not land twice
    (a timed-out write may have landed)."""
    once = Config(retries={"mode": "standard", "total_max_attempts": 1})
    base = _CONFIG.get(service)
    return boto3.session.Session().client(service, config=base.merge(once) if base else once)


def reset() -> None:
    """Forget every cached client (a local system started after another one calls this)."""
    client.cache_clear()
    single_attempt_client.cache_clear()
    for made in _CACHED:
        made.cache_clear()
    models = sys.modules.get("xsell.models")  # PynamoDB's connections, if anything used them
    for model in getattr(models, "ALL_MODELS", ()):
        model._connection = None
