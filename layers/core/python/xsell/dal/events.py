"""Measured events: the replay guard on the counters table, and the Firehose stream to S3.

The replay guard is one conditional put per event on ``seen#<decision id>`` /
``<slot>#<event type>`` (conversions add ``#<order id>``): the first writer
wins, a replay finds the item and is dropped. The item expires (TTL) once the
token it guards could no longer be verified anyway.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import DeleteError, PutError

from xsell import env
from xsell.dal import aws
from xsell.models import Counter

log = logging.getLogger(__name__)
PUT_ATTEMPTS = 3  # PutRecordBatch may fail some records; those are retried this often in all


def seen_key(decision_id: str, slot: str, event_type: str, order_id: str | None = None) -> tuple[str, str]:
    """The counters-table key that marks one event as accepted."""
    sk = f"{slot}#{event_type}" + (f"#{order_id}" if order_id is not None else "")
    return f"seen#{decision_id}", sk


def claim(key: tuple[str, str], expires_at: dt.datetime) -> bool:
    """Mark the event as seen; False when it was seen before (a replay or a duplicate)."""
    item = Counter(key[0], key[1], count=1, expires_at=expires_at)
    try:
        item.save(condition=Counter.pk.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def release(key: tuple[str, str]) -> None:
    """Forget a claim whose event could not be stored, so that sending it again is not a duplicate."""
    try:
        Counter(key[0], key[1]).delete()
    except DeleteError:
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
