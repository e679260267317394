"""How partner rows merge into profile items, and the writer that applies them.

Only the importer writes profile items (decide keeps its own ``state#`` item, see
:mod:`xsell.dal.customers`), and only the holder of the profiles writer lease
(:class:`xsell.dal.jobs.WriterLease`) imports. With one writer, nobody changes an item
between reading it and putting it back, so a batch of rows is applied as: read its
customers (:class:`xsell.dal.profiles.ProfileBatches`: ``BatchGetItem``, 100 keys, strongly
consistent), merge each row into its item here, put the changed items (``BatchWriteItem``,
25 items). The merge rules:

- a ``profiles`` row sets (or, for a blank cell, removes) rank and the attributes its
  file has columns for; brands, opt-outs and anything else on the item stay untouched;
- a ``brand_usage`` row replaces ``brands.<brand>`` and nothing else;
- an ``optouts`` row adds to the ``optouts`` string set;
- an ``erasure`` row reduces the item to a tombstone (``customer_id`` and
  ``erased_as_of``, no personal data) and deletes decide's state item of the customer.

Each part remembers the upload time of the file that last set it
(``profile_as_of#<partner>``, ``brands.<brand>.as_of``, ``erased_as_of``): a row of a
file uploaded earlier is *outdated* and not applied (equal times re-apply, so a replayed
chunk is idempotent; rows of a file uploaded no later than an erasure stay erased, a
newer file re-creates the customer). Each part also remembers which row of which job set
it (``<job>:<line>[:<line it replaced>]``): a later row with the same key in the same
file replaces the earlier one and reports it, an earlier row never overwrites a later
one, and a row replayed after a crash is recognised and not written again.

Every request is preceded by the writer lease's ``check`` (carried on the :class:`Stamp`),
so a chunk that lost the lease stops before its next write.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from xsell.dal.customers import ERASED_AS_OF, is_tombstone
from xsell.dal.profiles import ProfileBatches, Transport

WRITTEN = "written"  # the row's data is stored
OUTDATED = "outdated"  # not applied: the stored part comes from a file uploaded later, or was erased
SUPERSEDED = "superseded"  # not applied: a later row of the same file holds this key
REFUSED = "refused"  # DynamoDB refused the row's item (e.g. over 400 KB)


def _no_guard() -> None:
    return None


@dataclass(frozen=True, slots=True)
class Stamp:
    """Who writes, and how new their data is."""

    job: str  # short job id: the prefix of every mark this job leaves
    source: str  # partner id: profiles parts keep one upload time per partner
    as_of: str  # upload time of the file, ISO-8601 UTC (compared as text)
    now: str  # updated_at of every item touched
    # Called before every request: raises when this writer may no longer write (the
    # writer lease's check).
    guard: Callable[[], None] = field(default=_no_guard, compare=False)

    @property
    def profile_as_of_attribute(self) -> str:
        return f"profile_as_of#{self.source}"


@dataclass(frozen=True, slots=True)
class ProfileRow:
    customer_id: str
    line: int
    # attribute -> value; None removes it (a blank cell); attributes not named stay as they are.
    attributes: Mapping[str, object | None] = field(default_factory=dict)
    group_rank: str | None = None
    sets_group_rank: bool = False  # the file has a rank column (a blank cell clears the rank)


_new = object.__new__
_set_customer_id, _set_line, _set_attributes, _set_group_rank, _set_sets_group_rank = (
    ProfileRow.__dict__[name].__set__
    for name in ("customer_id", "line", "attributes", "group_rank", "sets_group_rank")
)


def profile_row(
    customer_id: str,
    line: int,
    attributes: Mapping[str, object | None],
    group_rank: str | None,
    sets_group_rank: bool,
) -> ProfileRow:
    """``ProfileRow(...)`` with every field given, built once per imported row: filling the
    slots directly skips the frozen dataclass ``__init__``, which costs several times more."""
    row = _new(ProfileRow)
    _set_customer_id(row, customer_id)
    _set_line(row, line)
    _set_attributes(row, attributes)
    _set_group_rank(row, group_rank)
    _set_sets_group_rank(row, sets_group_rank)
    return row


@dataclass(frozen=True, slots=True)
class BrandUsageRow:
    customer_id: str
    line: int
    brand: str
    usage: Mapping[str, object]  # first_used, last_purchase, ltv, rank (whatever the row has)


@dataclass(frozen=True, slots=True)
class OptOutRow:
    customer_id: str
    line: int
    brands: frozenset[str]  # brand ids, or "all"


@dataclass(frozen=True, slots=True)
class ErasureRow:
    customer_id: str
    line: int


Write = ProfileRow | BrandUsageRow | OptOutRow | ErasureRow


@dataclass(frozen=True, slots=True)
class Outcome:
    line: int
    customer_id: str
    status: str  # WRITTEN | OUTDATED | SUPERSEDED | REFUSED
    # WRITTEN: the earlier row of the same file this row replaced; SUPERSEDED: the later row.
    other_line: int | None = None
    replay: bool = False  # WRITTEN: an earlier attempt of this same job already stored this row
    detail: str | None = None  # OUTDATED: the stored upload time; REFUSED: DynamoDB's reason
    erased: bool = False  # OUTDATED: the stored upload time is that of an erasure


# --- marks ---------------------------------------------------------------------------


def mark(job: str, line: int, replaced: int | None = None) -> str:
    return f"{job}:{line}" if replaced is None else f"{job}:{line}:{replaced}"


def _parse_mark(node: Any, job: str) -> tuple[int, int | None] | None:
    """(line, replaced line) when the stored mark ``node`` was left by ``job``; None otherwise."""
    value = node.get("S") if isinstance(node, dict) else None
    if not value or not value.startswith(job + ":"):
        return None
    parts = value.split(":")
    try:
        return int(parts[1]), (int(parts[2]) if len(parts) > 2 else None)
    except (IndexError, ValueError):
        return None


# --- attribute values ----------------------------------------------------------------


def _av(value: object) -> dict[str, Any]:
    if value.__class__ is str:
        return {"S": value}
    if isinstance(value, bool):
        raise TypeError("booleans are not profile values")
    if isinstance(value, int | float):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, frozenset | set):
        return {"SS": sorted(str(v) for v in value)}
    if isinstance(value, Mapping):
        return {"M": {str(k): _av(v) for k, v in value.items()}}
    raise TypeError(f"cannot store {type(value).__name__}")


def _text(node: Any) -> str | None:
    return node.get("S") if isinstance(node, dict) else None


def _map(item: dict[str, Any], name: str) -> dict[str, Any]:
    """The map attribute ``name`` of ``item`` (created empty when missing or not a map)."""
    node = item.get(name)
    if node is None or "M" not in node:
        node = item[name] = {"M": {}}
    values: dict[str, Any] = node["M"]
    return values


# --- merging one row into one item ------------------------------------------------------
# Each merge takes the stored item (None: no such customer) and returns the item to keep,
# the row's outcome, and whether the item changed (and must be put).

Merged = tuple[dict[str, Any] | None, Outcome, bool]


def _erased(item: dict[str, Any], row: Write, stamp: Stamp) -> Outcome | None:
    erased = item.get(ERASED_AS_OF)
    if erased is not None and erased["S"] >= stamp.as_of:
        return Outcome(row.line, row.customer_id, OUTDATED, detail=erased["S"], erased=True)
    return None


def _merge_profile(item: dict[str, Any] | None, row: ProfileRow, stamp: Stamp) -> Merged:
    replaced = None
    if item is None:
        values = {
            name: {"S": v} if v.__class__ is str else _av(v)
            for name, v in row.attributes.items()
            if v is not None
        }
        item = {"customer_id": {"S": row.customer_id}, "attributes": {"M": values}, "brands": {"M": {}}}
    else:
        outdated = _erased(item, row, stamp)
        if outdated is not None:
            return item, outdated, False
        stored_as_of = _text(item.get(stamp.profile_as_of_attribute))
        if stored_as_of is not None and stored_as_of > stamp.as_of:
            return item, Outcome(row.line, row.customer_id, OUTDATED, detail=stored_as_of), False
        ours = _parse_mark(item.get("profile_import"), stamp.job)
        if ours is not None:
            line, earlier = ours
            if line == row.line:
                return (
                    item,
                    Outcome(row.line, row.customer_id, WRITTEN, other_line=earlier, replay=True),
                    False,
                )
            if line > row.line:
                return item, Outcome(row.line, row.customer_id, SUPERSEDED, other_line=line), False
            replaced = line
        values = _map(item, "attributes")
        _map(item, "brands")
        for name, value in row.attributes.items():
            if value is None:
                values.pop(name, None)
            else:
                values[name] = _av(value)
    if row.sets_group_rank:
        if row.group_rank is None:
            item.pop("group_rank", None)
        else:
            item["group_rank"] = {"S": row.group_rank}
    item[stamp.profile_as_of_attribute] = {"S": stamp.as_of}
    item["profile_import"] = {"S": mark(stamp.job, row.line, replaced)}
    item["updated_at"] = {"S": stamp.now}
    return item, Outcome(row.line, row.customer_id, WRITTEN, other_line=replaced), True


def _merge_brand_usage(item: dict[str, Any] | None, row: BrandUsageRow, stamp: Stamp) -> Merged:
    replaced = None
    if item is None:
        brands: dict[str, Any] = {}
        item = {"customer_id": {"S": row.customer_id}, "attributes": {"M": {}}, "brands": {"M": brands}}
    else:
        outdated = _erased(item, row, stamp)
        if outdated is not None:
            return item, outdated, False
        brands = _map(item, "brands")
        _map(item, "attributes")
        part = brands.get(row.brand)
        if part is not None and "M" in part:
            stored_as_of = _text(part["M"].get("as_of"))
            if stored_as_of is not None and stored_as_of > stamp.as_of:
                return item, Outcome(row.line, row.customer_id, OUTDATED, detail=stored_as_of), False
            ours = _parse_mark(part["M"].get("mark"), stamp.job)
            if ours is not None:
                line, earlier = ours
                if line == row.line:
                    outcome = Outcome(row.line, row.customer_id, WRITTEN, other_line=earlier, replay=True)
                    return item, outcome, False
                if line > row.line:
                    return item, Outcome(row.line, row.customer_id, SUPERSEDED, other_line=line), False
                replaced = line
    usage = {"used": {"N": "1"}}
    for name, value in row.usage.items():
        usage[name] = _av(value)
    usage["as_of"] = {"S": stamp.as_of}
    usage["mark"] = {"S": mark(stamp.job, row.line, replaced)}
    brands[row.brand] = {"M": usage}
    item["updated_at"] = {"S": stamp.now}
    return item, Outcome(row.line, row.customer_id, WRITTEN, other_line=replaced), True


def _merge_optout(item: dict[str, Any] | None, row: OptOutRow, stamp: Stamp) -> Merged:
    written = Outcome(row.line, row.customer_id, WRITTEN)
    if item is None:
        item = {
            "customer_id": {"S": row.customer_id},
            "optouts": {"SS": sorted(row.brands)},
            "attributes": {"M": {}},
            "brands": {"M": {}},
        }
    else:
        outdated = _erased(item, row, stamp)
        if outdated is not None:
            return item, outdated, False
        stored = item.get("optouts")
        current = set(stored["SS"]) if stored is not None and "SS" in stored else set()
        if row.brands <= current:
            return item, written, False  # already opted out: nothing to write
        item["optouts"] = {"SS": sorted(current | row.brands)}
        _map(item, "attributes")
        _map(item, "brands")
    item["updated_at"] = {"S": stamp.now}
    return item, written, True


def _merge_erasure(item: dict[str, Any] | None, row: ErasureRow, stamp: Stamp) -> Merged:
    # An erasure removes everything whatever its upload time; the tombstone keeps the newest
    # erasure's time so that rows of files uploaded until then stay erased.
    written = Outcome(row.line, row.customer_id, WRITTEN)
    erased_as_of = stamp.as_of
    if item is not None:
        stored = _text(item.get(ERASED_AS_OF))
        if stored is not None and stored >= erased_as_of:
            if is_tombstone(item):
                return item, written, False
            erased_as_of = stored
    return {"customer_id": {"S": row.customer_id}, ERASED_AS_OF: {"S": erased_as_of}}, written, True


_MERGE: dict[type, Callable[[Any, Any, Stamp], Merged]] = {
    ProfileRow: _merge_profile,
    BrandUsageRow: _merge_brand_usage,
    OptOutRow: _merge_optout,
    ErasureRow: _merge_erasure,
}


# --- the writer ----------------------------------------------------------------------


class ProfileStore:
    """Writes rows of partner files into profiles; see the module docstring for the rules."""

    def __init__(
        self,
        transport: Transport | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._table = ProfileBatches(transport, sleep=sleep, jitter=jitter)

    def write(self, rows: Sequence[Write], stamp: Stamp) -> list[Outcome]:
        """Apply ``rows`` (any number, any mix, a customer's rows in file order); one outcome per row."""
        by_customer: dict[str, list[Write]] = {}
        for row in rows:
            same = by_customer.get(row.customer_id)
            if same is None:
                by_customer[row.customer_id] = [row]
            else:
                same.append(row)
        stored = self._table.read(list(by_customer), stamp.guard)
        outcomes: list[Outcome] = []
        puts: dict[str, tuple[dict[str, Any], list[int]]] = {}  # customer -> (item, outcomes it carries)
        erased: list[str] = []
        for customer_id, same in by_customer.items():
            item = stored.get(customer_id)
            carried: list[int] = []
            for row in same:
                item, outcome, changed = _MERGE[row.__class__](item, row, stamp)
                if changed:
                    carried.append(len(outcomes))
                outcomes.append(outcome)
                if row.__class__ is ErasureRow:
                    erased.append(customer_id)
            if carried:
                assert item is not None
                puts[customer_id] = (item, carried)
        refused = self._table.put([item for item, _ in puts.values()], stamp.guard)
        for customer_id, reason in refused.items():
            for index in puts[customer_id][1]:
                was = outcomes[index]
                outcomes[index] = Outcome(was.line, was.customer_id, REFUSED, detail=reason)
        for customer_id in dict.fromkeys(erased):
            self._table.erase_state(customer_id)
        return outcomes
