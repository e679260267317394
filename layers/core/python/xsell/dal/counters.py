"""Counters: the only module that knows the counters table's key scheme.

- ``quota#<scope>:<subject>#<metric>#<period>`` / ``0`` — served creatives (``served``, leased
  in blocks by decide instances, see :mod:`xsell.decisioning.leases`) and clicks (``clicks``,
  counted by collect) per campaign or destination brand;
- ``cust#<customer id>`` / ``state`` — the customer's behaviour per site (``visits#<site>``,
  ``first#<site>``, ``last#<site>``, ``cats#<site>``) and frequency counts per campaign and
  period (``freq#<campaign>#<period>``), in one item, so that decide records a visit and keeps
  every frequency cap in one conditional write. One partition per customer: erasure is one
  query and a batch delete;
- ``ledger#<brand>#<brand>`` / ``<period>`` — reciprocity between two brands (names in sorted
  order): per way ``credit#<from>><to>`` and ``sent#<from>><to>``;
- ``seen#<decision id>`` / ``<slot>#<event type>`` — events already accepted (see
  :mod:`xsell.dal.events`).

Writes on the decide path use the low-level client, one ``UpdateItem`` each.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from botocore.exceptions import ClientError

from xsell import env
from xsell.dal import aws
from xsell.decisioning.leases import Settlement
from xsell.decisioning.volume import ClickCounter, ClickLimit, Frequency, Ledger, Quota

log = logging.getLogger(__name__)

RECENT_CATEGORIES = 10  # how many recent page categories the state keeps per site
BEHAVIOUR_TTL_S = 400 * 86400  # a customer unseen for this long is forgotten
STATE = "state"


def customer_pk(customer_id: str) -> str:
    return f"cust#{customer_id}"


def quota_pk(scope: str, subject: str, metric: str, period_key: str) -> str:
    return f"quota#{scope}:{subject}#{metric}#{period_key}"


def ledger_pk(one: str, other: str) -> str:
    return "ledger#{}#{}".format(*sorted((one, other)))


def _table() -> str:
    return env.table_name(env.COUNTERS_TABLE)


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _n(value: float | int | Decimal) -> dict[str, str]:
    return {"N": str(Decimal(str(value)))}


def _number(item: Mapping[str, Any], name: str, default: str = "0") -> Decimal:
    return Decimal(item.get(name, {}).get("N", default))


def _update(**request: Any) -> dict[str, Any] | None:
    """One ``UpdateItem``; None when done, the item as it was when its condition failed."""
    try:
        aws.client("dynamodb").update_item(TableName=_table(), **request)
        return None
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        return exc.response.get("Item", {})


def _increment(key: dict[str, Any], expires_at: int | None, units: int = 1, limit: int | None = None) -> Any:
    """Add ``units`` to ``count`` (kept at or below ``limit``); the item as it was if refused."""
    values: dict[str, Any] = {":n": _n(units)}
    update = "ADD #c :n"
    if expires_at is not None:
        update += " SET expires_at = :exp"
        values[":exp"] = _n(expires_at)
    request: dict[str, Any] = {
        "Key": key,
        "UpdateExpression": update,
        "ExpressionAttributeNames": {"#c": "count"},
        "ExpressionAttributeValues": values,
    }
    if limit is not None:
        request["ConditionExpression"] = "attribute_not_exists(#c) OR #c <= :room"
        request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        values[":room"] = _n(limit - units)
    return _update(**request)


# --- shared limits, leased in blocks (see xsell.decisioning.leases) ---------------------------


class CounterStore:
    """The :class:`xsell.decisioning.leases.Store` of the counters table."""

    def lease_quota(self, quota: Quota, units: int) -> int:
        key = _key(quota_pk(quota.scope, quota.subject, "served", quota.period_key), "0")
        while units > 0:
            refused = _increment(key, quota.expires_at, units, quota.limit)
            if refused is None:
                return units
            units = min(units, quota.limit - int(_number(refused, "count")))
        return 0

    def lease_credit(self, ledger: Ledger, units: int, settlement: Settlement) -> int:
        way = (ledger.source, ledger.destination)
        credit = f"credit#{ledger.source}>{ledger.destination}"
        while units or settlement:
            refused = _update(**_ledger_write(ledger, units, settlement))
            if refused is None:
                return units
            have = _number(refused, credit, str(ledger.allowance)) + Decimal(
                str(settlement.earned.get(way, 0))
            )
            units = max(0, min(units - 1, math.floor(have)))
        return 0

    def clicks(self, limit: ClickLimit) -> int:
        return clicks(limit.scope, limit.subject, limit.period_key)


STORE = CounterStore()


def _ledger_write(ledger: Ledger, units: int, settlement: Settlement) -> dict[str, Any]:
    """Settle what one instance owes the pair and spend ``units`` of one way's credit."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    sets, adds = [], []
    spending = (ledger.source, ledger.destination)
    ways = set(settlement.sent) | set(settlement.earned) | ({spending} if units else set())
    for n, way in enumerate(sorted(ways)):
        sent, earned = settlement.sent.get(way, 0), Decimal(str(settlement.earned.get(way, 0)))
        spend = units if way == spending else 0
        if sent:
            names[f"#s{n}"] = f"sent#{way[0]}>{way[1]}"
            values[f":s{n}"] = _n(sent)
            adds.append(f"#s{n} :s{n}")
        if earned or spend:
            names[f"#c{n}"] = f"credit#{way[0]}>{way[1]}"
            values[f":a{n}"] = _n(settlement.allowances.get(way, 0))
            values[f":d{n}"] = _n(earned - spend)
            sets.append(f"#c{n} = if_not_exists(#c{n}, :a{n}) + :d{n}")
    if ledger.expires_at is not None:
        values[":exp"] = _n(ledger.expires_at)
        sets.append("expires_at = :exp")
    update = " ".join(
        part for part in (sets and "SET " + ", ".join(sets), adds and "ADD " + ", ".join(adds)) if part
    )
    request: dict[str, Any] = {
        "Key": _key(ledger_pk(ledger.source, ledger.destination), ledger.period_key),
        "UpdateExpression": update,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }
    if units:
        n = sorted(ways).index(spending)
        # Credit before this write, plus what is earned in it, must cover the units spent.
        need = Decimal(units) - Decimal(str(settlement.earned.get(spending, 0)))
        values[":need"] = _n(need)
        condition = f"#c{n} >= :need"
        if Decimal(settlement.allowances.get(spending, 0)) >= need:
            condition = f"attribute_not_exists(#c{n}) OR {condition}"
        request["ConditionExpression"] = condition
        request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    return request


def count_clicks(counters: Sequence[ClickCounter]) -> None:
    """Add one click to each counter (called by collect for an accepted click)."""
    for counter in counters:
        _increment(
            _key(quota_pk(counter.scope, counter.subject, "clicks", counter.period_key), "0"),
            counter.expires_at,
        )


def served(scope: str, subject: str, period_key: str) -> int:
    """Creatives leased for serving so far in one cap's period (see xsell.decisioning.leases)."""
    return _count(quota_pk(scope, subject, "served", period_key))


def clicks(scope: str, subject: str, period_key: str) -> int:
    return _count(quota_pk(scope, subject, "clicks", period_key))


def _get(key: dict[str, Any]) -> dict[str, Any]:
    return aws.client("dynamodb").get_item(TableName=_table(), Key=key, ConsistentRead=True).get("Item", {})


def _count(pk: str) -> int:
    return int(_number(_get(_key(pk, "0")), "count"))


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


def ledger(source: str, destination: str, period_key: str) -> tuple[float, int]:
    """(credit left in the table, referrals settled) for one way of a brand pair in a period."""
    item = _get(_key(ledger_pk(source, destination), period_key))
    way = f"{source}>{destination}"
    return float(_number(item, f"credit#{way}", "nan")), int(_number(item, f"sent#{way}"))


# --- the customer's state: behaviour per site and frequency per campaign --------------------


class Visit(NamedTuple):
    """The customer's behaviour on a site, this visit included."""

    visit_count: int
    first_visit: bool
    first_seen: str  # ISO time of the first visit
    recent_categories: tuple[str, ...]  # newest first, at most RECENT_CATEGORIES


def state_key(customer_id: str) -> dict[str, Any]:
    return _key(customer_pk(customer_id), STATE)


def frequency_name(campaign_id: str, period_key: str) -> str:
    return f"freq#{campaign_id}#{period_key}"


def frequency_count(state: Mapping[str, Any] | None, claim: Frequency) -> int:
    return int(_number(state or {}, frequency_name(claim.campaign_id, claim.period_key)))


def frequency_counts(state: Mapping[str, Any] | None) -> Iterator[tuple[str, str]]:
    """(attribute name, campaign id) of every frequency count stored in ``state``."""
    for name in state or ():
        if name.startswith("freq#"):
            yield name, name[len("freq#") :].rpartition("#")[0]


def this_visit(state: Mapping[str, Any] | None, site_id: str, category: str | None, now: datetime) -> Visit:
    """This visit to ``site_id``, from the stored state (low-level values) as it was before it."""
    state = state or {}
    previous = tuple(c["S"] for c in state.get(f"cats#{site_id}", {}).get("L", ()))
    recent = ((category,) if category else ()) + previous
    return Visit(
        visit_count=int(_number(state, f"visits#{site_id}")) + 1,
        first_visit=f"visits#{site_id}" not in state,
        first_seen=state.get(f"first#{site_id}", {}).get("S", now.isoformat(timespec="seconds")),
        recent_categories=recent[:RECENT_CATEGORIES],
    )


def record(
    customer_id: str,
    site_id: str,
    visit: Visit,
    now: datetime,
    frequency: Sequence[Frequency] = (),
    stale: Sequence[str] = (),
) -> dict[str, Any] | None:
    """Record ``visit`` and count one creative against each frequency claim, if all hold.

    One conditional ``UpdateItem``: the visit count and frequency counts are ``ADD``s (exact
    under concurrent visits), the category list is this visit's bounded view (the last writer's
    wins), ``stale`` counts are removed. None when written; when a frequency limit was reached
    in the meantime nothing is written and the state as it now is comes back.
    """
    names = {
        "#v": f"visits#{site_id}",
        "#first": f"first#{site_id}",
        "#last": f"last#{site_id}",
    }
    values: dict[str, Any] = {
        ":one": _n(1),
        ":now": {"S": now.isoformat(timespec="seconds")},
        ":exp": _n(int(now.timestamp()) + BEHAVIOUR_TTL_S),
    }
    sets = ["#first = if_not_exists(#first, :now)", "#last = :now", "expires_at = :exp"]
    adds = ["#v :one"]
    conditions = []
    if visit.recent_categories:
        names["#cats"] = f"cats#{site_id}"
        values[":cats"] = {"L": [{"S": c} for c in visit.recent_categories]}
        sets.append("#cats = :cats")
    for n, claim in enumerate(frequency):
        names[f"#f{n}"] = frequency_name(claim.campaign_id, claim.period_key)
        values[f":f{n}"] = _n(claim.limit)
        adds.append(f"#f{n} :one")
        conditions.append(f"(attribute_not_exists(#f{n}) OR #f{n} < :f{n})")
    update = f"SET {', '.join(sets)} ADD {', '.join(adds)}"
    if stale:
        for n, name in enumerate(stale):
            names[f"#r{n}"] = name
        update += " REMOVE " + ", ".join(f"#r{n}" for n in range(len(stale)))
    request: dict[str, Any] = {
        "Key": state_key(customer_id),
        "UpdateExpression": update,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }
    if conditions:
        request["ConditionExpression"] = " AND ".join(conditions)
        request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    return _update(**request)


def frequency(customer_id: str, campaign_id: str, period_key: str) -> int:
    return frequency_count(_get(state_key(customer_id)), Frequency(campaign_id, period_key, 0))


def record_visit(customer_id: str, site_id: str, category: str | None, now: datetime) -> Visit:
    """Read, count and store one visit (decide reads the state with the profile instead)."""
    visit = this_visit(_get(state_key(customer_id)), site_id, category, now)
    record(customer_id, site_id, visit, now)
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
