"""Record every change and read the log back, filtered as the marketer asks.

Each entry says who (user, e-mail, role, brand), when, from where (IP, user agent), what was
done to which object, and the before/after documents with a readable diff. Brand marketers
see entries about their brand; group admins and viewers see all.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Iterator
from typing import Any

from xsell.admin.access import Principal
from xsell.admin.diff import changes
from xsell.dal import audit as audit_store
from xsell.errors import InvalidRequest
from xsell.export import to_csv

MAX_RANGE_DAYS = 366
MAX_ENTRIES = 1000
CSV_COLUMNS = ("at", "user", "email", "role", "action", "object", "brands", "ip", "user_agent", "diff")
# Every action an entry may record: the admin page names each in the reader's language and offers
# them as a filter (admin_spa/src/screens/audit.js AUDIT_ACTIONS, kept equal by a test).
ACTIONS = (
    "save",
    "delete",
    "request_approval",
    "approve",
    "reject",
    "publish",
    "restore",
    "presign_upload",
    "presign_errors",
    "upload_image",
    "mint_preview",
    "rotate_secret",
    "rotate_signing_key",
)


def record(
    principal: Principal,
    action: str,
    obj: str,
    brands: Collection[str] | None,
    *,
    before: Any = None,
    after: Any = None,
    detail: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Append one entry; ``obj`` is ``kind/id`` (``campaign/hana-to-tabi``, ``version/12``)."""
    if action not in ACTIONS:
        raise ValueError(f"audit action {action!r} is not one of audit.ACTIONS")
    moment = now or dt.datetime.now(dt.UTC)
    entry = {
        "id": uuid.uuid4().hex,
        "at": moment.isoformat(timespec="microseconds"),
        "user": principal.user,
        "email": principal.email,
        "role": principal.role,
        "user_brand": principal.brand,
        "action": action,
        "object": obj,
        "brands": sorted(brands) if brands is not None else [],
        "ip": principal.source_ip,
        "user_agent": principal.user_agent,
        "before": before,
        "after": after,
        "diff": changes(before, after) if before is not None or after is not None else [],
        "detail": detail or {},
    }
    audit_store.append(entry, moment)
    return entry


EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2999, 12, 31)  # what a log search can mean


def _day(value: str | None, name: str, default: dt.date) -> dt.date:
    if not value:
        return default
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidRequest(f"{name} must be a date such as 2026-12-01", name) from exc
    if not EARLIEST <= day <= LATEST:
        raise InvalidRequest(f"{name} must be between {EARLIEST} and {LATEST}", name)
    return day


def search(
    principal: Principal,
    *,
    since: str | None = None,
    until: str | None = None,
    user: str | None = None,
    brand: str | None = None,
    obj: str | None = None,
    action: str | None = None,
    today: dt.date | None = None,
) -> list[dict[str, Any]]:
    """Entries from ``since`` to ``until`` (dates, inclusive, UTC), newest first, at most 1,000."""
    principal.require_read()
    last = _day(until, "until", today or dt.datetime.now(dt.UTC).date())
    first = _day(since, "since", last - dt.timedelta(days=30))
    if first > last:
        raise InvalidRequest("since must not be after until", "since")
    if (last - first).days > MAX_RANGE_DAYS:
        raise InvalidRequest(f"a search covers at most {MAX_RANGE_DAYS} days", "since")
    if action and action not in ACTIONS:
        raise InvalidRequest(f"action must be one of {', '.join(ACTIONS)}", "action")
    start = dt.datetime.combine(first, dt.time(), dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), dt.UTC)
    found = []
    for entry in _visible(principal, audit_store.entries(start, end)):
        if user and user not in (entry["user"], entry["email"]):
            continue
        if brand and brand not in entry["brands"] and brand != entry.get("user_brand"):
            continue
        if obj and not entry["object"].startswith(obj):
            continue
        if action and entry["action"] != action:
            continue
        found.append(entry)
        if len(found) >= MAX_ENTRIES:
            break
    return found


def _visible(principal: Principal, entries: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for entry in entries:
        if principal.covers(entry["brands"] or None) or entry["user"] == principal.user:
            yield entry


def as_csv(entries: list[dict[str, Any]]) -> bytes:
    rows = [{**e, "brands": " ".join(e["brands"])} for e in entries]
    return to_csv(CSV_COLUMNS, rows)
