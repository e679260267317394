"""The replay guards on DynamoDB Local: taken once, released without a delete, re-taken after.

collect and conversions may only update counters items (no PutItem, no DeleteItem, see
tests/infra/test_least_privilege.py), so a guard is taken by a conditional update that sets its
count and released by removing that count.
"""

from __future__ import annotations

import datetime as dt
import uuid

from xsell import env
from xsell.dal import aws, events

LATER = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)


def _stored(key: tuple[str, str]) -> dict:
    answer = aws.client("dynamodb").get_item(
        TableName=env.table_name(env.COUNTERS_TABLE),
        Key={"pk": {"S": key[0]}, "sk": {"S": key[1]}},
        ConsistentRead=True,
    )
    return answer.get("Item", {})


def _guard(kind: str = "click") -> tuple[str, str]:
    return events.seen_key(uuid.uuid4().hex, "top", kind)


def test_a_guard_is_taken_once_released_by_removing_its_count_and_taken_again(local_system):
    guard = _guard()
    assert events.claim(guard, LATER) is True
    assert events.claim(guard, LATER) is False  # a replay
    assert _stored(guard)["count"] == {"N": "1"}
    assert int(_stored(guard)["expires_at"]["N"]) == int(LATER.timestamp())
    events.release(guard)
    assert "count" not in _stored(guard) and "expires_at" in _stored(guard)  # kept until its TTL
    assert events.claim(guard, LATER) is True  # sending the event again is not a duplicate
    assert events.claim(guard, LATER) is False


def test_releasing_a_guard_nobody_took_creates_nothing(local_system):
    guard = _guard()
    events.release(guard)
    assert _stored(guard) == {}


def test_a_capped_claim_released_gives_back_the_order_and_its_place_under_the_cap(local_system):
    decision = uuid.uuid4().hex
    tally = events.conversions_key(decision, "top")
    orders = [events.seen_key(decision, "top", "conversion", f"O-{n}") for n in range(3)]
    assert events.claim_capped(orders[0], tally, 2, LATER) is events.Claim.CLAIMED
    assert events.claim_capped(orders[0], tally, 2, LATER) is events.Claim.DUPLICATE
    assert events.claim_capped(orders[1], tally, 2, LATER) is events.Claim.CLAIMED
    assert events.claim_capped(orders[2], tally, 2, LATER) is events.Claim.CAPPED
    events.release_capped(orders[1], tally)
    assert _stored(tally)["count"] == {"N": "1"}
    assert events.claim_capped(orders[2], tally, 2, LATER) is events.Claim.CLAIMED
    assert events.claim_capped(orders[1], tally, 2, LATER) is events.Claim.CAPPED  # its place is taken
