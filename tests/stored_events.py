"""Read back what collect stored: the event records Firehose wrote to the events bucket."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable
from typing import Any

import boto3

from xsell import env
from xsell.measuring import records

Record = dict[str, Any]


# Stored objects never change: each one is read once per test process (the events bucket grows
# through a session, with decide's request and served events on every decision).
_read: dict[tuple[str, str, str], list[Record]] = {}


def _records(s3: Any, bucket: str, key: str, etag: str) -> list[Record]:
    cached = _read.get((bucket, key, etag))
    if cached is None:
        data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        if key.endswith(".gz"):
            data = gzip.decompress(data)
        cached = _read[(bucket, key, etag)] = [
            json.loads(line) for line in data.decode("utf-8").splitlines() if line
        ]
    return cached


def all_records(bucket: str | None = None) -> list[tuple[str, Record]]:
    """(object key, record) for every stored event, in key order."""
    s3 = boto3.session.Session().client("s3")
    bucket = bucket or env.get(env.EVENTS_BUCKET)
    out: list[tuple[str, Record]] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=records.EVENTS_PREFIX):
        for item in page.get("Contents", []):
            out.extend((item["Key"], record) for record in _records(s3, bucket, item["Key"], item["ETag"]))
    return out


def wait_for(
    match: Callable[[Record], bool],
    count: int = 1,
    timeout: float = 30,
    pause: Callable[[float], object] = time.sleep,
) -> list[tuple[str, Record]]:
    """The stored records that ``match``, once there are at least ``count`` of them (what there
    is after ``timeout`` seconds otherwise: a generous bound, since a passing wait returns early).

    Browser tests pass a ``pause`` that keeps Playwright's event loop turning (its
    routes are served from the test's own thread)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [(key, record) for key, record in all_records() if match(record)]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        pause(0.2)
