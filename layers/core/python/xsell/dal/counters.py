"""Counters: the only module that knows the counters table's key scheme.

- ``quota#<scope>:<subject>#<metric>#<period>`` / ``<shard>`` — served creatives (``served``)
  and clicks (``clicks``) per campaign or destination brand; a hot cap's limit is split
  over ``shards`` items, each with its share, so no single partition takes every write;
- ``cust#<customer id>`` / ``freq#<campaign>#<period>`` — frequency caps per customer, and
  ``visit#<site>`` — the customer's behaviour on a site. One partition per customer, so
  erasure is one query and a batch delete;
- ``ledger#<from brand>#<to brand>`` / ``<period>`` — reciprocity credit and referrals sent;
- ``seen#<decision id>`` / ``<slot>#<event type>`` — events already accepted (see
  :mod:`xsell.dal.events`).

Writes on the decide path use the low-level client: one conditional ``UpdateItem`` when a
single item moves, ``TransactWriteItems`` when several must move together.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from botocore.exceptions import ClientError

from xsell import env
from xsell.dal import aws
from xsell.decisioning.volume import Claim, ClickCounter, ClickLimit, Frequency, Ledger, Quota

log = logging.getLogger(__name__)

RECENT_CATEGORIES = 10  # how many recent page categories a visit item keeps
BEHAVIOUR_TTL_S = 400 * 86400  # behaviour unseen for this long is forgotten
CONFLICT_RETRIES = 8


def customer_pk(customer_id: str) -> str:
    return f"cust#{customer_id}"


def quota_pk(scope: str, subject: str, metric: str, period_key: str) -> str:
    return f"quota#{scope}:{subject}#{metric}#{period_key}"


def ledger_pk(source: str, destination: str) -> str:
    return f"ledger#{source}#{destination}"


def _table() -> str:
    return env.table_name(env.COUNTERS_TABLE)


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _n(value: float | int) -> dict[str, str]:
    return {"N": str(Decimal(str(value)))}


# --- volume claims -------------------------------------------------------------------------


def _shard_limit(limit: int, shards: int, shard: int) -> int:
    return limit // shards + (1 if shard < limit % shards else 0)


def _increment(key: dict[str, Any], expires_at: int | None, limit: int | None = None) -> dict[str, Any]:
    """``count`` plus one as a transaction item, kept below ``limit`` when one is given."""
    values: dict[str, Any] = {":one": _n(1)}
    update = "ADD #c :one"
    if expires_at is not None:
        update += " SET expires_at = :exp"
        values[":exp"] = _n(expires_at)
    item: dict[str, Any] = {
        "TableName": _table(),
        "Key": key,
        "UpdateExpression": update,
        "ExpressionAttributeNames": {"#c": "count"},
        "ExpressionAttributeValues": values,
    }
    if limit is not None:
        item["ConditionExpression"] = "attribute_not_exists(#c) OR #c < :limit"
        values[":limit"] = _n(limit)
    return {"Update": item}


def _write(claim: Claim, shard: int) -> dict[str, Any]:
    """One claim as a transaction item (``Update`` or ``ConditionCheck``)."""
    table = _table()
    if isinstance(claim, Quota | Frequency):
        if isinstance(claim, Quota):
            key = _key(quota_pk(claim.scope, claim.subject, "served", claim.period_key), str(shard))
            limit = _shard_limit(claim.limit, claim.shards, shard)
        else:
            key = _key(customer_pk(claim.customer_id), f"freq#{claim.campaign_id}#{claim.period_key}")
            limit = claim.limit
        return _increment(key, claim.expires_at, limit)
    if isinstance(claim, ClickLimit):
        return {
            "ConditionCheck": {
                "TableName": table,
                "Key": _key(quota_pk(claim.scope, claim.subject, "clicks", claim.period_key), "0"),
                "ConditionExpression": "attribute_not_exists(#c) OR #c < :limit",
                "ExpressionAttributeNames": {"#c": "count"},
                "ExpressionAttributeValues": {":limit": _n(claim.limit)},
            }
        }
    # Ledger: spend one credit of source→destination (starting at the allowance).
    values = {":one": _n(1), ":allow": _n(claim.allowance), ":zero": _n(0)}
    update = "SET credit = if_not_exists(credit, :allow) - :one, sent = if_not_exists(sent, :zero) + :one"
    if claim.expires_at is not None:
        update += ", expires_at = :exp"
        values[":exp"] = _n(claim.expires_at)
    condition = "credit >= :one" if claim.allowance < 1 else "attribute_not_exists(credit) OR credit >= :one"
    return {
        "Update": {
            "TableName": table,
            "Key": _key(ledger_pk(claim.source, claim.destination), claim.period_key),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": values,
        }
    }


def _earn(claim: Ledger) -> dict[str, Any]:
    """The other direction of a ledger claim: destination→source gains ``ratio`` credits."""
    values = {":ratio": _n(claim.ratio), ":allow": _n(claim.allowance)}
    update = "SET credit = if_not_exists(credit, :allow) + :ratio"
    if claim.expires_at is not None:
        update += ", expires_at = :exp"
        values[":exp"] = _n(claim.expires_at)
    return {
        "Update": {
            "TableName": _table(),
            "Key": _key(ledger_pk(claim.destination, claim.source), claim.period_key),
            "UpdateExpression": update,
            "ExpressionAttributeValues": values,
        }
    }


class _Attempt:
    def __init__(self, claims: Sequence[Claim], shards: list[list[int]]) -> None:
        self.claims = claims
        self.shards = shards  # per claim, the shards still to try (first is current)

    @classmethod
    def start(cls, claims: Sequence[Claim]) -> _Attempt:
        shards = []
        for claim in claims:
            if isinstance(claim, Quota) and claim.shards > 1:
                order = [s for s in range(claim.shards) if _shard_limit(claim.limit, claim.shards, s) > 0]
                first = random.randrange(len(order))
                shards.append(order[first:] + order[:first])
            else:
                shards.append([0])
        return cls(claims, shards)

    def items(self, also: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        items = [_write(c, s[0]) for c, s in zip(self.claims, self.shards, strict=True)]
        items += [_earn(c) for c in self.claims if isinstance(c, Ledger)]
        return items + list(also)

    def refused(self, index: int) -> bool:
        """Claim ``index`` failed its condition: move to its next shard, or give up."""
        if index >= len(self.claims):
            return True
        remaining = self.shards[index]
        remaining.pop(0)
        return not remaining


def reserve(claims: Sequence[Claim], also: Sequence[dict[str, Any]] = ()) -> bool:
    """Make every claim or none: True when all limits held and all counters moved.

    ``also`` are unconditional writes that go in the same request (the visit being recorded),
    so serving a capped slot still costs one round trip.
    """
    if not claims and not also:
        return True
    attempt = _Attempt.start(claims)
    client = aws.client("dynamodb")
    conflicts = 0
    while True:
        items = attempt.items(also)
        try:
            if len(items) == 1 and "Update" in items[0]:
                client.update_item(**items[0]["Update"])
            else:
                client.transact_write_items(TransactItems=items)
            return True
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code == "ConditionalCheckFailedException":
                if attempt.refused(0):
                    return False
                continue
            if code != "TransactionCanceledException":
                raise
            reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
            failed = [n for n, reason in enumerate(reasons) if reason == "ConditionalCheckFailed"]
            if failed:
                if any(attempt.refused(n) for n in failed):
                    return False
                continue
            conflicts += 1
            if conflicts > CONFLICT_RETRIES:
                log.warning("volume claims refused after %d conflicts: %s", conflicts, reasons)
                return False
            time.sleep(random.uniform(0, 0.005 * 2 ** min(conflicts, 6)))


def count_clicks(counters: Sequence[ClickCounter]) -> None:
    """Add one click to each counter (called by collect for an accepted click)."""
    for counter in counters:
        key = _key(quota_pk(counter.scope, counter.subject, "clicks", counter.period_key), "0")
        write(_increment(key, counter.expires_at))


def served(scope: str, subject: str, period_key: str) -> int:
    """Creatives served so far in one cap's period (all shards summed)."""
    return _total(quota_pk(scope, subject, "served", period_key))


def clicks(scope: str, subject: str, period_key: str) -> int:
    return _total(quota_pk(scope, subject, "clicks", period_key))


def _total(pk: str) -> int:
    return sum(int(item.get("count", {}).get("N", "0")) for item in _query(pk))


def _query(pk: str) -> list[dict[str, Any]]:
    client = aws.client("dynamodb")
    request: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": pk}},
        "ConsistentRead": True,
    }
    items = []
    while True:
        page = client.query(**request)
        items += page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return items
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def frequency(customer_id: str, campaign_id: str, period_key: str) -> int:
    item = (
        aws.client("dynamodb")
        .get_item(
            TableName=_table(),
            Key=_key(customer_pk(customer_id), f"freq#{campaign_id}#{period_key}"),
            ConsistentRead=True,
        )
        .get("Item", {})
    )
    return int(item.get("count", {}).get("N", "0"))


def ledger(source: str, destination: str, period_key: str) -> tuple[float, int]:
    """(credit left, referrals sent) for one direction of a brand pair in a period."""
    response = aws.client("dynamodb").get_item(
        TableName=_table(), Key=_key(ledger_pk(source, destination), period_key), ConsistentRead=True
    )
    item = response.get("Item", {})
    return float(item.get("credit", {}).get("N", "nan")), int(item.get("sent", {}).get("N", "0"))


# --- behaviour -----------------------------------------------------------------------------


class Visit(NamedTuple):
    """The customer's behaviour on a site, this visit included."""

    visit_count: int
    first_visit: bool
    first_seen: str  # ISO time of the first visit
    recent_categories: tuple[str, ...]  # newest first, at most RECENT_CATEGORIES


def visit_key(customer_id: str, site_id: str) -> dict[str, Any]:
    return _key(customer_pk(customer_id), f"visit#{site_id}")


def this_visit(old: dict[str, Any] | None, category: str | None, now: datetime) -> Visit:
    """This visit, from the stored item (low-level attribute values) as it was before it."""
    old = old or {}
    previous = tuple(c["S"] for c in old.get("cats", {}).get("L", ()))
    recent = ((category,) if category else ()) + previous
    return Visit(
        visit_count=int(old.get("visits", {}).get("N", "0")) + 1,
        first_visit="visits" not in old,
        first_seen=old.get("first_seen", {}).get("S", now.isoformat(timespec="seconds")),
        recent_categories=recent[:RECENT_CATEGORIES],
    )


def visit_write(customer_id: str, site_id: str, visit: Visit, now: datetime) -> dict[str, Any]:
    """Record ``visit`` as a transaction item. The count is an ``ADD`` (exact under concurrent
    visits); the category list is this visit's bounded view (the last writer's view wins)."""
    values: dict[str, Any] = {
        ":one": _n(1),
        ":now": {"S": now.isoformat(timespec="seconds")},
        ":exp": _n(int(now.timestamp()) + BEHAVIOUR_TTL_S),
    }
    update = "ADD visits :one SET first_seen = if_not_exists(first_seen, :now), last_seen = :now"
    update += ", expires_at = :exp"
    if visit.recent_categories:
        values[":cats"] = {"L": [{"S": c} for c in visit.recent_categories]}
        update += ", cats = :cats"
    return {
        "Update": {
            "TableName": _table(),
            "Key": visit_key(customer_id, site_id),
            "UpdateExpression": update,
            "ExpressionAttributeValues": values,
        }
    }


def write(item: dict[str, Any]) -> None:
    """Send one transaction-shaped ``Update`` on its own."""
    aws.client("dynamodb").update_item(**item["Update"])


def record_visit(customer_id: str, site_id: str, category: str | None, now: datetime) -> Visit:
    """Read, count and store one visit (decide does the same in its own two round trips)."""
    old = aws.client("dynamodb").get_item(TableName=_table(), Key=visit_key(customer_id, site_id)).get("Item")
    visit = this_visit(old, category, now)
    write(visit_write(customer_id, site_id, visit, now))
    return visit


# --- erasure -------------------------------------------------------------------------------


def erase_customer(customer_id: str) -> int:
    """Delete every counter and behaviour item keyed on the customer; returns how many."""
    keys = [{"pk": item["pk"], "sk": item["sk"]} for item in _query(customer_pk(customer_id))]
    client = aws.client("dynamodb")
    for start in range(0, len(keys), 25):
        pending: dict[str, Any] = {
            _table(): [{"DeleteRequest": {"Key": k}} for k in keys[start : start + 25]]
        }
        for attempt in range(8):
            left = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
            if not left:
                break
            pending = left
            time.sleep(0.05 * 2**attempt)
        else:
            raise RuntimeError(f"counters of one customer could not all be deleted ({len(left)} left)")
    return len(keys)
