"""Counters: the only module that knows the counters table's key scheme.

- ``quota#<scope>:<subject>#<metric>#<period>`` / ``0`` — served creatives (``served``, leased
  in blocks by decide instances, see :mod:`xsell.decisioning.leases`) and clicks (``clicks``,
  counted by collect) per campaign or destination brand;
- ``ledger#<brand>#<brand>`` / ``<period>`` — reciprocity between two brands (names in sorted
  order): per way ``credit#<from>><to>`` and ``sent#<from>><to>``;
- ``seen#<decision id>`` / ``<slot>#<event type>`` — events already accepted (see
  :mod:`xsell.dal.events`).

Writes on the decide path use the low-level client, one ``UpdateItem`` each. The claims it
stores are described here by the fields it reads (:mod:`xsell.decisioning.volume` and
:mod:`xsell.decisioning.leases` define the values decide builds), so storage depends on no
decisioning module.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol

from xsell import env
from xsell.dal import items

Way = tuple[str, str]  # (source brand, destination brand)


class CapCounter(Protocol):
    """One counter of a cap in one period: what its key is made of (see :func:`quota_pk`)."""

    @property
    def scope(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def period_key(self) -> str: ...


class ClickLimit(CapCounter, Protocol):
    """A click cap: which clicks counter it reads."""


class ClickCounter(CapCounter, Protocol):
    """What one accepted click is added to, and when that counter may be dropped."""

    @property
    def expires_at(self) -> int | None: ...


class Quota(ClickCounter, Protocol):
    """Served creatives per campaign or destination brand and period, up to ``limit`` (the counter
    expires as a clicks counter does)."""

    @property
    def limit(self) -> int: ...


class Ledger(Protocol):
    """One way source→destination of a brand pair's ledger in a period."""

    @property
    def source(self) -> str: ...
    @property
    def destination(self) -> str: ...
    @property
    def period_key(self) -> str: ...
    @property
    def expires_at(self) -> int | None: ...
    @property
    def allowance(self) -> int | None: ...


class Settlement(Protocol):
    """What one instance owes a pair's ledger: referrals made and credit earned, per way."""

    @property
    def sent(self) -> Mapping[Way, int]: ...
    @property
    def earned(self) -> Mapping[Way, Decimal]: ...
    @property
    def allowances(self) -> Mapping[Way, int]: ...
    def __bool__(self) -> bool: ...


# Partition-key prefixes of the three kinds of item (IAM policies restrict each function to its own).
QUOTA_PREFIX = "quota#"
LEDGER_PREFIX = "ledger#"
SEEN_PREFIX = "seen#"  # events accepted (xsell.dal.events), and the browser conversions per referral
SIGNATURE_PREFIX = "sig#"  # signed server-to-server requests already received (xsell.dal.events)


def quota_pk(scope: str, subject: str, metric: str, period_key: str) -> str:
    return f"{QUOTA_PREFIX}{scope}:{subject}#{metric}#{period_key}"


def ledger_pk(one: str, other: str) -> str:
    return LEDGER_PREFIX + "{}#{}".format(*sorted((one, other)))


def _table() -> str:
    return env.table_name(env.COUNTERS_TABLE)


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _increment(key: dict[str, Any], expires_at: int | None, units: int = 1, limit: int | None = None) -> Any:
    """Add ``units`` to ``count`` (kept at or below ``limit``); the item as it was if refused."""
    values: dict[str, Any] = {":n": items.n(units)}
    update = "ADD #c :n"
    if expires_at is not None:
        update += " SET expires_at = :exp"
        values[":exp"] = items.n(expires_at)
    request: dict[str, Any] = {
        "Key": key,
        "UpdateExpression": update,
        "ExpressionAttributeNames": {"#c": "count"},
        "ExpressionAttributeValues": values,
    }
    if limit is not None:
        request["ConditionExpression"] = "attribute_not_exists(#c) OR #c <= :room"
        request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        values[":room"] = items.n(limit - units)
    return items.update(_table(), **request)


# --- shared limits, leased in blocks (see xsell.decisioning.leases) ---------------------------


class CounterStore:
    """The :class:`xsell.decisioning.leases.Store` of the counters table."""

    def lease_quota(self, quota: Quota, units: int) -> int:
        key = _key(quota_pk(quota.scope, quota.subject, "served", quota.period_key), "0")
        while units > 0:
            refused = _increment(key, quota.expires_at, units, quota.limit)
            if refused is None:
                return units
            units = min(units, quota.limit - int(items.number(refused, "count")))
        return 0

    def lease_credit(self, ledger: Ledger, units: int, settlement: Settlement) -> int:
        way = (ledger.source, ledger.destination)
        credit = f"credit#{ledger.source}>{ledger.destination}"
        while units or settlement:
            # One attempt: a resent write could earn the other way its credit twice.
            refused = items.update(_table(), once=True, **_ledger_write(ledger, units, settlement))
            if refused is None:
                return units
            have = items.number(refused, credit, str(ledger.allowance)) + Decimal(
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
            values[f":s{n}"] = items.n(sent)
            adds.append(f"#s{n} :s{n}")
        if earned or spend:
            names[f"#c{n}"] = f"credit#{way[0]}>{way[1]}"
            values[f":a{n}"] = items.n(settlement.allowances.get(way, 0))
            values[f":d{n}"] = items.n(earned - spend)
            sets.append(f"#c{n} = if_not_exists(#c{n}, :a{n}) + :d{n}")
    if ledger.expires_at is not None:
        values[":exp"] = items.n(ledger.expires_at)
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
        values[":need"] = items.n(need)
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


def _count(pk: str) -> int:
    return int(items.number(items.get(_table(), _key(pk, "0")), "count"))


def ledger(source: str, destination: str, period_key: str) -> tuple[float, int]:
    """(credit left in the table, referrals settled) for one way of a brand pair in a period."""
    item = items.get(_table(), _key(ledger_pk(source, destination), period_key))
    way = f"{source}>{destination}"
    return float(items.number(item, f"credit#{way}", "nan")), int(items.number(item, f"sent#{way}"))
