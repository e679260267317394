"""The customer's two items in the profiles table, as decide reads and writes them.

- ``<customer id>`` — the profile, imported (see :mod:`xsell.importing.merging`; decide only reads it);
- ``state#<customer id>`` — decide's own: behaviour per site (``visits#<site>``,
  ``first#<site>``, ``cats#<site>``) and frequency counts per campaign and period
  (``freq#<campaign>#<period>``). Customer ids never contain ``#``, so the two cannot meet.

A decision reads both in one ``BatchGetItem`` of one table and writes the state once
(:func:`record`): two requests in all, like a bare read and write. The importer stays the
only writer of profile items; decide's IAM policy lets it update ``state#`` items only.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from xsell import env
from xsell.dal import aws, items

ERASED_AS_OF = "erased_as_of"  # set on a profile item by an erasure (see xsell.importing.merging)
STATE_PREFIX = "state#"
RECENT_CATEGORIES = 10  # how many recent page categories the state keeps per site
BEHAVIOUR_TTL_S = 400 * 86400  # a customer unseen for this long is forgotten


def _table() -> str:
    return env.table_name(env.PROFILES_TABLE)


def profile_key(customer_id: str) -> dict[str, Any]:
    return {"customer_id": {"S": customer_id}}


def state_key(customer_id: str) -> dict[str, Any]:
    return {"customer_id": {"S": STATE_PREFIX + customer_id}}


def is_tombstone(item: Mapping[str, Any]) -> bool:
    """An erased customer: nothing left but the key and the erasure's upload time."""
    return ERASED_AS_OF in item and len(item) == 2


class CustomerRead(NamedTuple):
    profile: dict[str, Any] | None  # plain Python values; None when unknown or erased
    state: dict[str, Any] | None  # the stored state item (low-level values), None before the first


def read_request(customer_id: str) -> dict[str, Any]:
    """The ``RequestItems`` of the one ``BatchGetItem`` a decision reads the customer with."""
    return {_table(): {"Keys": [profile_key(customer_id), state_key(customer_id)]}}


def read(customer_id: str) -> CustomerRead:
    table = _table()
    request = read_request(customer_id)
    found: list[dict[str, Any]] = []
    client = aws.client("dynamodb")
    for attempt in range(8):
        answer = client.batch_get_item(RequestItems=request)
        found += answer.get("Responses", {}).get(table, [])
        request = answer.get("UnprocessedKeys") or {}
        if not request:
            break
        time.sleep(0.01 * 2**attempt)
    else:
        raise RuntimeError("the customer's profile and state could not be read")
    profile = state = None
    for item in found:
        if item["customer_id"]["S"] == customer_id:
            profile = None if is_tombstone(item) else item
        else:
            state = item
    return CustomerRead(
        profile={k: items.plain(v) for k, v in profile.items()} if profile else None,
        state=state,
    )


# --- the state: behaviour per site and frequency per campaign --------------------------------


class Visit(NamedTuple):
    """The customer's behaviour on a site, this visit included."""

    visit_count: int
    first_visit: bool
    first_seen: str  # ISO time of the first visit
    recent_categories: tuple[str, ...]  # newest first, at most RECENT_CATEGORIES


class Frequency(Protocol):
    """A frequency limit: creatives of one campaign per customer and period, fewer than ``limit``
    before this one (decide builds them, see :class:`xsell.decisioning.volume.Frequency`)."""

    @property
    def campaign_id(self) -> str: ...
    @property
    def period_key(self) -> str: ...
    @property
    def limit(self) -> int: ...


def frequency_name(campaign_id: str, period_key: str) -> str:
    return f"freq#{campaign_id}#{period_key}"


def frequency_count(state: Mapping[str, Any] | None, claim: Frequency) -> int:
    return int(items.number(state or {}, frequency_name(claim.campaign_id, claim.period_key)))


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
    first = state.get(f"first#{site_id}")
    return Visit(
        visit_count=int(items.number(state, f"visits#{site_id}")) + 1,
        first_visit=f"visits#{site_id}" not in state,
        first_seen=first["S"] if first else now.isoformat(timespec="seconds"),
        recent_categories=recent[:RECENT_CATEGORIES],
    )


def record(update: dict[str, Any]) -> dict[str, Any] | None:
    """Send a :func:`visit_update`: None when written; when a frequency limit was reached in
    the meantime nothing is written and the state as it now is comes back."""
    return items.update(_table(), **update)


def visit_update(
    customer_id: str,
    site_id: str,
    visit: Visit,
    now: datetime,
    frequency: Sequence[Frequency] = (),
    stale: Sequence[str] = (),
) -> dict[str, Any]:
    """The ``UpdateItem`` (all but the table) recording ``visit`` and counting one creative
    against each frequency claim, if all hold.

    The visit count and frequency counts are ``ADD``s (exact under concurrent visits), the
    category list is this visit's bounded view (the last writer's wins), ``stale`` counts are
    removed; each frequency count must still be under its limit.
    """
    names = {"#v": f"visits#{site_id}", "#first": f"first#{site_id}"}
    values: dict[str, Any] = {
        ":one": items.n(1),
        ":now": {"S": now.isoformat(timespec="seconds")},
        ":exp": items.n(int(now.timestamp()) + BEHAVIOUR_TTL_S),
    }
    sets = ["#first = if_not_exists(#first, :now)", "expires_at = :exp"]
    adds = ["#v :one"]
    conditions = []
    if visit.recent_categories:
        names["#cats"] = f"cats#{site_id}"
        values[":cats"] = {"L": [{"S": c} for c in visit.recent_categories]}
        sets.append("#cats = :cats")
    for n, claim in enumerate(frequency):
        names[f"#f{n}"] = frequency_name(claim.campaign_id, claim.period_key)
        values[f":f{n}"] = items.n(claim.limit)
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
    return request


def frequency(customer_id: str, campaign_id: str, period_key: str) -> int:
    """Creatives of ``campaign_id`` the customer was served in the period."""
    state = items.get(_table(), state_key(customer_id))
    return int(items.number(state or {}, frequency_name(campaign_id, period_key)))


def record_visit(customer_id: str, site_id: str, category: str | None, now: datetime) -> Visit:
    """Read, count and store one visit (decide reads the state with the profile instead)."""
    visit = this_visit(items.get(_table(), state_key(customer_id)), site_id, category, now)
    record(visit_update(customer_id, site_id, visit, now))
    return visit
