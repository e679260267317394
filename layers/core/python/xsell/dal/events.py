"""Measured events: the replay guard on the counters table, and the Firehose stream to S3.

The replay guard is one conditional update per event on ``seen#<decision id>`` /
``<slot>#<event type>`` (conversions add ``#<order id>``) that sets its ``count`` to 1 unless
it has one: the first writer wins, a replay finds the count and is dropped. Releasing a guard
(its record could not be stored) removes the count, so the event may be sent again; nothing is
ever deleted, the item expires (TTL) once the token it guards could no longer be verified anyway.

Conversions through the browser's conversion tag are also capped per referral token: one
transaction puts the order's guard and adds one to ``seen#<decision id>`` / ``<slot>#conversions``
while it is below the cap, so concurrent requests can neither count an order twice nor pass the
cap. Server-to-server conversions are guarded on ``<slot>#s2s#<order id>`` (the two paths are
counted apart), and each signed request once on ``sig#<signature>``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from xsell import env
from xsell.dal import aws, items
from xsell.dal.counters import SEEN_PREFIX, SIGNATURE_PREFIX

log = logging.getLogger(__name__)
PUT_ATTEMPTS = 3  # PutRecordBatch may fail some records; those are retried this often in all


def seen_key(decision_id: str, slot: str, event_type: str, order_id: str | None = None) -> tuple[str, str]:
    """The counters-table key that marks one event as accepted."""
    sk = f"{slot}#{event_type}" + (f"#{order_id}" if order_id is not None else "")
    return f"{SEEN_PREFIX}{decision_id}", sk


def conversions_key(decision_id: str, slot: str) -> tuple[str, str]:
    """The counters-table key counting the browser conversions of one referral token."""
    return f"{SEEN_PREFIX}{decision_id}", f"{slot}#conversions"


def signature_key(signature: str, route: str = "s2s") -> tuple[str, str]:
    """The counters-table key that marks one signed server-to-server request as used: a signed
    conversion (``s2s``) or a signed decide call (``decide``)."""
    return f"{SIGNATURE_PREFIX}{signature}", route


class Claim(StrEnum):
    CLAIMED = "claimed"
    DUPLICATE = "duplicate"
    CAPPED = "capped"


def _key(key: tuple[str, str]) -> dict[str, Any]:
    return {"pk": {"S": key[0]}, "sk": {"S": key[1]}}


def _taking(guard: tuple[str, str], expires: dict[str, str]) -> dict[str, Any]:
    """The conditional update that takes a guard: its count becomes 1 unless it has one."""
    return {
        "Key": _key(guard),
        "UpdateExpression": "SET #c = :one, expires_at = :exp",
        "ConditionExpression": "attribute_not_exists(#c)",
        "ExpressionAttributeNames": {"#c": "count"},
        "ExpressionAttributeValues": {":one": items.n(1), ":exp": expires},
    }


def claim_capped(guard: tuple[str, str], tally: tuple[str, str], cap: int, expires_at: dt.datetime) -> Claim:
    """In one transaction: mark the event as seen and add one to ``tally`` if it is below ``cap``.
    DUPLICATE when the event was seen before, CAPPED when ``tally`` has reached ``cap``."""
    table = env.table_name(env.COUNTERS_TABLE)
    expires = items.n(int(expires_at.timestamp()))
    try:
        aws.client("dynamodb").transact_write_items(
            TransactItems=[
                {"Update": {"TableName": table, **_taking(guard, expires)}},
                {
                    "Update": {
                        "TableName": table,
                        "Key": _key(tally),
                        "UpdateExpression": "ADD #c :one SET expires_at = :exp",
                        "ConditionExpression": "attribute_not_exists(#c) OR #c < :cap",
                        "ExpressionAttributeNames": {"#c": "count"},
                        "ExpressionAttributeValues": {
                            ":one": items.n(1),
                            ":cap": items.n(cap),
                            ":exp": expires,
                        },
                    }
                },
            ]
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
            raise
        codes = [reason.get("Code") for reason in exc.response.get("CancellationReasons", [])]
        if codes[:1] == ["ConditionalCheckFailed"]:
            return Claim.DUPLICATE
        if codes[1:2] == ["ConditionalCheckFailed"]:
            return Claim.CAPPED
        raise
    return Claim.CLAIMED


def release_capped(guard: tuple[str, str], tally: tuple[str, str]) -> None:
    """Undo :func:`claim_capped` for an event that could not be stored."""
    release(guard)
    try:
        aws.client("dynamodb").update_item(
            TableName=env.table_name(env.COUNTERS_TABLE),
            Key=_key(tally),
            UpdateExpression="ADD #c :minus",
            ConditionExpression="#c > :zero",
            ExpressionAttributeNames={"#c": "count"},
            ExpressionAttributeValues={":minus": items.n(-1), ":zero": items.n(0)},
        )
    except (BotoCoreError, ClientError):
        log.warning("could not give back the conversion counted on %s %s", *tally)


def claim(key: tuple[str, str], expires_at: dt.datetime) -> bool:
    """Mark the event as seen; False when it was seen before (a replay or a duplicate)."""
    table = env.table_name(env.COUNTERS_TABLE)
    return items.update(table, **_taking(key, items.n(int(expires_at.timestamp())))) is None


def release(key: tuple[str, str]) -> None:
    """Forget a claim whose event could not be stored, so that sending it again is not a duplicate."""
    try:
        items.update(
            env.table_name(env.COUNTERS_TABLE),
            Key=_key(key),
            UpdateExpression="REMOVE #c",
            ConditionExpression="attribute_exists(pk)",  # never create an item to release
            ExpressionAttributeNames={"#c": "count"},
        )
    except (BotoCoreError, ClientError):
        log.warning("could not release replay guard %s %s", *key)


def put_records(records: Sequence[bytes]) -> list[int]:
    """Write ``records`` to the events stream; returns the indexes that could not be written."""
    stream = env.get(env.EVENTS_STREAM)
    pending = list(range(len(records)))
    for _ in range(PUT_ATTEMPTS):
        if not pending:
            break
        try:
            answer = aws.client("firehose").put_record_batch(
                DeliveryStreamName=stream, Records=[{"Data": records[i]} for i in pending]
            )
        except (BotoCoreError, ClientError):
            log.exception("PutRecordBatch to %s failed", stream)
            continue
        if not answer.get("FailedPutCount"):
            return []
        pending = [
            index
            for index, result in zip(pending, answer["RequestResponses"], strict=True)
            if result.get("ErrorCode")
        ]
    return pending
