"""Profiles: the importer's reads and puts of whole profile items, batched and retried.

The merge rules that decide what to put live with the importer (:mod:`xsell.importing.merging`);
this module only moves items: ``BatchGetItem`` (100 keys, strongly consistent),
``BatchWriteItem`` puts (25 items) and the deletion of decide's state item on an erasure.

Every request is preceded by the writer lease's check (the ``guard`` argument), so a chunk
that lost the lease stops before its next write. Throttled requests and unprocessed keys or
items are retried with backoff; the client itself never retries, so one request lasts at
most ``REQUEST_SECONDS`` and the lease's safety margin holds.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from xsell.dal import aws
from xsell.dal.customers import STATE_PREFIX, state_key
from xsell.errors import XsellError
from xsell.models import Profile

BATCH_GET = 100  # BatchGetItem's limit
BATCH_PUT = 25  # BatchWriteItem's limit
MAX_ROUNDS = 8  # per request: throttling and unprocessed retries together
CONNECT_SECONDS, READ_SECONDS = 5, 10
REQUEST_SECONDS = CONNECT_SECONDS + READ_SECONDS  # one attempt, at most (see xsell.dal.jobs.WriterLease)
RETRYABLE = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


class StoreUnavailable(XsellError):
    """Requests kept being throttled beyond the retry budget; try the chunk again later."""


class Transient(XsellError):
    """A request failed as a whole but may succeed when tried again (throttled, timed out)."""


class Refused(XsellError):
    """DynamoDB refused a request because of an item in it (ValidationException)."""


class Transport(Protocol):
    """The storage calls the writer makes; tests substitute their own."""

    def get(self, keys: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """One strongly consistent BatchGetItem: (items found, keys left unprocessed)."""
        ...

    def put(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One BatchWriteItem of puts: the items left unprocessed."""
        ...

    def erase_state(self, customer_id: str) -> None:
        """Delete decide's state item of the customer (behaviour and frequency counts)."""
        ...


@aws.cached
def _dynamodb() -> Any:
    """The writer's own client, created once per process on first use: it never retries by
    itself (the writer does, checking its lease first) and skips parameter validation (items
    are built here, from validated rows)."""
    config = Config(
        connect_timeout=CONNECT_SECONDS,
        read_timeout=READ_SECONDS,
        retries={"mode": "standard", "total_max_attempts": 1},
        parameter_validation=False,
        max_pool_connections=16,
    )
    return boto3.session.Session().client("dynamodb", config=config)


class DynamoTransport:
    """The low-level client with plain item dicts: no model objects on the hot path."""

    def get(self, keys: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        table = Profile.Meta.table_name
        request = {table: {"Keys": keys, "ConsistentRead": True}}
        with _translated_errors():
            response = _dynamodb().batch_get_item(RequestItems=request)
        items: list[dict[str, Any]] = response.get("Responses", {}).get(table, [])
        unprocessed: list[dict[str, Any]] = response.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
        return items, unprocessed

    def put(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        table = Profile.Meta.table_name
        request = {table: [{"PutRequest": {"Item": item}} for item in items]}
        with _translated_errors():
            result = _dynamodb().batch_write_item(RequestItems=request)
        return [r["PutRequest"]["Item"] for r in result.get("UnprocessedItems", {}).get(table, [])]

    def erase_state(self, customer_id: str) -> None:
        with _translated_errors():
            _dynamodb().delete_item(TableName=Profile.Meta.table_name, Key=state_key(customer_id))


@contextmanager
def _translated_errors() -> Iterator[None]:
    """Whole-request failures as the writer handles them: try again, or find the bad item."""
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in RETRYABLE:
            raise Transient(f"{code}: {exc.response['Error'].get('Message', '')}") from exc
        if code == "ValidationException":
            raise Refused(exc.response["Error"].get("Message", code)) from exc
        raise
    except (HTTPClientError, BotoConnectionError) as exc:
        raise Transient(f"{type(exc).__name__}: {exc}") from exc


class ProfileBatches:
    """Batched, retried reads and puts of whole profile items over a :class:`Transport`.

    Every request is preceded by ``guard()`` (the writer lease's check); throttled requests
    and unprocessed keys or items are tried again with backoff, at most ``MAX_ROUNDS`` times.
    """

    def __init__(
        self,
        transport: Transport | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._transport = transport or DynamoTransport()
        self._sleep = sleep
        self._jitter = jitter

    def read(self, customer_ids: list[str], guard: Callable[[], None]) -> dict[str, dict[str, Any]]:
        """The stored items of ``customer_ids`` (strongly consistent), by customer id."""
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(customer_ids), BATCH_GET):
            keys = [{"customer_id": {"S": cid}} for cid in customer_ids[start : start + BATCH_GET]]
            attempt = 0
            while keys:
                guard()
                try:
                    items, keys = self._transport.get(keys)
                except Transient:
                    items = []
                for item in items:
                    found[item["customer_id"]["S"]] = item
                if keys:
                    attempt += 1
                    self._backoff(attempt, "reads")
        return found

    def put(self, items: list[dict[str, Any]], guard: Callable[[], None]) -> dict[str, str]:
        """Put ``items``; returns the customers whose item DynamoDB refused, with its reason."""
        refused: dict[str, str] = {}
        for start in range(0, len(items), BATCH_PUT):
            self._put_batch(items[start : start + BATCH_PUT], guard, refused)
        return refused

    def erase_state(self, customer_id: str) -> None:
        """Delete decide's state item of the customer."""
        self._transport.erase_state(customer_id)

    def _put_batch(
        self, batch: list[dict[str, Any]], guard: Callable[[], None], refused: dict[str, str]
    ) -> None:
        attempt = 0
        while batch:
            guard()
            try:
                batch = self._transport.put(batch)
            except Refused as exc:
                if len(batch) == 1:
                    refused[batch[0]["customer_id"]["S"]] = str(exc)
                    return
                for item in batch:  # find the item at fault: the others are stored
                    self._put_batch([item], guard, refused)
                return
            except Transient:
                pass
            if batch:
                attempt += 1
                self._backoff(attempt, "writes")

    def _backoff(self, attempt: int, what: str) -> None:
        if attempt >= MAX_ROUNDS:
            raise StoreUnavailable(f"profiles {what} still failing after {MAX_ROUNDS} attempts")
        self._sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + self._jitter() / 2))


# --- the whole store, for brand affinity (xsell.reporting.affinity) ------------------------------


def _used(usage: dict[str, Any]) -> bool:
    flag = usage.get("M", {}).get("used", {})
    return flag.get("BOOL") is True or flag.get("N") not in (None, "0")


# The only attributes the affinity Scan reads; its IAM grant allows exactly these (infra).
BRAND_USAGE_ATTRIBUTES = ("customer_id", "brands")


def scan_brand_usage(segment: int, segments: int, page_size: int = 1000) -> Iterator[dict[str, Any]]:
    """One segment of a parallel Scan of the profiles table: ``{"customer_id", "brands": {brand:
    {"used": True}}}`` for every profile item (decide's state items are skipped), reading only
    the key and the brand map. The client retries throttling by itself (no lease to check)."""
    if not 0 <= segment < segments:
        raise ValueError(f"segment {segment} is not in 0..{segments - 1}")
    paginator = aws.client("dynamodb").get_paginator("scan")
    pages = paginator.paginate(
        TableName=Profile.Meta.table_name,
        Segment=segment,
        TotalSegments=segments,
        Select="SPECIFIC_ATTRIBUTES",
        ProjectionExpression=", ".join(BRAND_USAGE_ATTRIBUTES),
        PaginationConfig={"PageSize": page_size},
    )
    for page in pages:
        for item in page.get("Items", []):
            customer = item["customer_id"]["S"]
            if customer.startswith(STATE_PREFIX):
                continue
            brands = item.get("brands", {}).get("M", {})
            yield {
                "customer_id": customer,
                "brands": {b: {"used": True} for b, usage in brands.items() if _used(usage)},
            }
