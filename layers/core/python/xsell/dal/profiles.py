"""Profiles: read one customer; merge partner rows into customers, 25 rows per request.

Every import write is a PartiQL ``UPDATE`` (``BatchExecuteStatement``, up to 25
statements per call, each with its own outcome), so a row changes only its own
part of the customer item and never what other writers keep there:

- a ``profiles`` row sets (or, for a blank cell, removes) rank and the attributes
  its file has columns for; brands, opt-outs and behaviour stay untouched;
- a ``brand_usage`` row replaces ``brands.<brand>`` and nothing else;
- an ``optouts`` row adds to the ``optouts`` string set;
- an ``erasure`` row deletes the item and every counter keyed on the customer.

Each update carries two conditions. *Older file after newer*: the part remembers
the upload time of the file that last set it (``profile_as_of#<partner>``,
``brands.<brand>.as_of``) and a file uploaded earlier is not applied over it.
*Same file twice*: the part remembers which row of which job set it
(``<job>:<line>``), so a later row with the same key in the same file is reported as
replacing the earlier one, a replayed row (after a crash) is recognised, and an
earlier row never overwrites a later one. When a condition fails the old item comes
back with the failure (``ReturnValuesOnConditionCheckFailure``), and the outcome is
decided from it without another read. A customer the table does not have yet is
created with ``INSERT`` (which fails if someone created it meanwhile; then it is
updated instead). When most of a batch turns out to be new customers, the next
batch tries ``INSERT`` first.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pynamodb.exceptions import DoesNotExist

from xsell.dal import aws
from xsell.dal import counters as counter_store
from xsell.errors import XsellError
from xsell.models import Profile

BATCH_STATEMENTS = 25  # BatchExecuteStatement's limit
BATCH_DELETES = 25  # BatchWriteItem's limit
MAX_ROUNDS = 8  # per row: condition outcomes and throttling retries together
RETRYABLE = frozenset(
    {
        "ThrottlingError",
        "ProvisionedThroughputExceeded",
        "RequestLimitExceeded",
        "InternalServerError",
        "TransactionConflict",
    }
)

WRITTEN = "written"  # the row's data is stored
OUTDATED = "outdated"  # not applied: the stored part comes from a file uploaded later
SUPERSEDED = "superseded"  # not applied: a later row of the same file holds this key
REFUSED = "refused"  # DynamoDB refused the row itself (e.g. an item over 400 KB)


class StoreUnavailable(XsellError):
    """Writes kept being throttled or contended beyond the retry budget; try the chunk again later."""


@dataclass(frozen=True, slots=True)
class Stamp:
    """Who writes, and how new their data is."""

    job: str  # short job id: the prefix of every mark this job leaves
    source: str  # partner id: profiles parts keep one upload time per partner
    as_of: str  # upload time of the file, ISO-8601 UTC (compared as text)
    now: str  # updated_at of every item touched

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


class Transport(Protocol):
    """The three storage calls the writer makes; tests substitute their own."""

    def execute(self, statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """BatchExecuteStatement: one response per statement, in order."""
        ...

    def delete(self, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """BatchWriteItem deletes; returns the keys DynamoDB left unprocessed."""
        ...

    def erase_counters(self, customer_id: str) -> int: ...


class DynamoTransport:
    def execute(self, statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
        responses: list[dict[str, Any]] = aws.client("dynamodb").batch_execute_statement(
            Statements=statements
        )["Responses"]
        return responses

    def delete(self, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        table = Profile.Meta.table_name
        result = aws.client("dynamodb").batch_write_item(
            RequestItems={table: [{"DeleteRequest": {"Key": key}} for key in keys]}
        )
        return [r["DeleteRequest"]["Key"] for r in result.get("UnprocessedItems", {}).get(table, [])]

    def erase_counters(self, customer_id: str) -> int:
        return counter_store.erase_customer(customer_id)


def get(customer_id: str) -> Profile | None:
    try:
        return Profile.get(customer_id)
    except DoesNotExist:
        return None


# --- marks ---------------------------------------------------------------------------


def mark(job: str, line: int, replaced: int | None = None) -> str:
    return f"{job}:{line}" if replaced is None else f"{job}:{line}:{replaced}"


def _parse_mark(value: str | None, job: str) -> tuple[int, int | None] | None:
    """(line, replaced line) when ``value`` was left by ``job``; None otherwise."""
    if not value or not value.startswith(job + ":"):
        return None
    parts = value.split(":")
    try:
        return int(parts[1]), (int(parts[2]) if len(parts) > 2 else None)
    except (IndexError, ValueError):
        return None


# --- attribute values ----------------------------------------------------------------


def _av(value: object) -> dict[str, Any]:
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


def _ident(name: str) -> str:
    """A PartiQL quoted identifier (attribute names come from configured brands and headers)."""
    return '"' + name.replace('"', '""') + '"'


def _old(item: Mapping[str, Any] | None, *path: str) -> Any:
    """A value inside an old item returned with a failed condition (AttributeValue JSON)."""
    if not item:
        return None
    node = item.get(path[0])
    for name in path[1:]:
        if not _is_map(node):
            return None
        node = node["M"].get(name)
    return node


def _old_text(item: Mapping[str, Any] | None, *path: str) -> str | None:
    node = _old(item, *path)
    return node.get("S") if isinstance(node, Mapping) else None


def _is_map(node: Any) -> bool:
    return isinstance(node, Mapping) and "M" in node


# --- the writer ----------------------------------------------------------------------

UPDATE, INSERT, CREATE_MAP, SUPERSEDE = "update", "insert", "create_map", "supersede"


@dataclass(slots=True)
class _Task:
    row: Write
    action: str
    old_mark: str | None = None  # SUPERSEDE: the mark of the earlier row being replaced
    replaced: int | None = None  # SUPERSEDE: that earlier row's line
    rounds: int = 0


class ProfileStore:
    """Writes rows of partner files into profiles; see the module docstring for the rules."""

    def __init__(
        self,
        transport: Transport | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._transport = transport or DynamoTransport()
        self._sleep = sleep
        self._jitter = jitter
        self._new_share = 0.0  # share of new customers in the last batch: decides INSERT-first

    def write(self, rows: Sequence[Write], stamp: Stamp) -> list[Outcome]:
        """Apply ``rows`` (any number, any mix); one outcome per row."""
        erasures = [r for r in rows if isinstance(r, ErasureRow)]
        outcomes = self._erase(erasures) if erasures else []
        others = [r for r in rows if not isinstance(r, ErasureRow)]
        for group in _distinct_customer_groups(others, BATCH_STATEMENTS):
            outcomes.extend(self._write_group(group, stamp))
        return outcomes

    def _write_group(self, rows: list[Write], stamp: Stamp) -> list[Outcome]:
        first = INSERT if self._new_share > 0.5 else UPDATE
        pending = [_Task(row, first) for row in rows]
        outcomes: list[Outcome] = []
        new = 0
        while pending:
            statements = [self._statement(task, stamp) for task in pending]
            responses = self._transport.execute(statements)
            retry: list[_Task] = []
            throttled = False
            for task, response in zip(pending, responses, strict=True):
                task.rounds += 1
                error = response.get("Error")
                if error is None:
                    new += task.action == INSERT
                    outcomes.append(self._success(task))
                    continue
                code = error.get("Code", "")
                if code in RETRYABLE:
                    throttled = True
                    retry.append(task)
                elif code == "ValidationError":
                    outcomes.append(
                        Outcome(
                            task.row.line, task.row.customer_id, REFUSED, detail=error.get("Message", code)
                        )
                    )
                elif code == "DuplicateItem":
                    task.action = UPDATE
                    retry.append(task)
                elif code == "ConditionalCheckFailed":
                    decided = self._after_failed_condition(task, error.get("Item"), stamp)
                    if decided is None:
                        retry.append(task)
                    else:
                        outcomes.append(decided)
                else:
                    raise StoreUnavailable(f"profiles write failed: {code}: {error.get('Message', '')}")
            if any(task.rounds >= MAX_ROUNDS for task in retry):
                raise StoreUnavailable(f"profiles writes still failing after {MAX_ROUNDS} attempts")
            if throttled:
                self._backoff(max(task.rounds for task in retry))
            pending = retry
        self._new_share = new / len(rows)
        return outcomes

    def _success(self, task: _Task) -> Outcome:
        if task.action == SUPERSEDE:
            return Outcome(task.row.line, task.row.customer_id, WRITTEN, other_line=task.replaced)
        return Outcome(task.row.line, task.row.customer_id, WRITTEN)

    def _after_failed_condition(
        self, task: _Task, item: Mapping[str, Any] | None, stamp: Stamp
    ) -> Outcome | None:
        """Decide a failed condition from the old item; None means: try again (task updated)."""
        row = task.row
        if item is None:  # no such customer yet
            task.action = INSERT
            return None
        if isinstance(row, OptOutRow):
            task.action = UPDATE  # created meanwhile: add to the set
            return None
        if isinstance(row, ProfileRow):
            container_ok = _is_map(item.get("attributes"))
            stored_as_of = _old_text(item, stamp.profile_as_of_attribute)
            stored_mark = _old_text(item, "profile_import")
        else:
            assert isinstance(row, BrandUsageRow)
            container_ok = _is_map(item.get("brands"))
            stored_as_of = _old_text(item, "brands", row.brand, "as_of") if container_ok else None
            stored_mark = _old_text(item, "brands", row.brand, "mark") if container_ok else None
        if stored_as_of is not None and stored_as_of > stamp.as_of:
            return Outcome(row.line, row.customer_id, OUTDATED, detail=stored_as_of)
        ours = _parse_mark(stored_mark, stamp.job)
        if ours is not None:
            line, replaced = ours
            if line == row.line:
                return Outcome(row.line, row.customer_id, WRITTEN, other_line=replaced, replay=True)
            if line > row.line:
                return Outcome(row.line, row.customer_id, SUPERSEDED, other_line=line)
            task.action, task.old_mark, task.replaced = SUPERSEDE, stored_mark, line
            return None
        task.action = UPDATE if container_ok else CREATE_MAP
        return None

    def _backoff(self, attempt: int) -> None:
        self._sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + self._jitter() / 2))

    # --- statements ------------------------------------------------------------------

    def _statement(self, task: _Task, stamp: Stamp) -> dict[str, Any]:
        row = task.row
        if isinstance(row, ProfileRow):
            text, params = _profile_statement(row, task, stamp)
        elif isinstance(row, BrandUsageRow):
            text, params = _brand_usage_statement(row, task, stamp)
        else:
            assert isinstance(row, OptOutRow)
            text, params = _optout_statement(row, task, stamp)
        statement: dict[str, Any] = {"Statement": text, "Parameters": params}
        if task.action != INSERT:
            statement["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        return statement

    # --- erasure ---------------------------------------------------------------------

    def _erase(self, rows: list[ErasureRow]) -> list[Outcome]:
        unique = list(dict.fromkeys(row.customer_id for row in rows))
        for start in range(0, len(unique), BATCH_DELETES):
            keys = [{"customer_id": {"S": cid}} for cid in unique[start : start + BATCH_DELETES]]
            attempt = 0
            while keys:
                keys = self._transport.delete(keys)
                if keys:
                    attempt += 1
                    if attempt >= MAX_ROUNDS:
                        raise StoreUnavailable(f"erasure deletes unprocessed after {MAX_ROUNDS} attempts")
                    self._backoff(attempt)
        for customer_id in unique:
            self._transport.erase_counters(customer_id)
        return [Outcome(row.line, row.customer_id, WRITTEN) for row in rows]


def _table() -> str:
    return _ident(Profile.Meta.table_name)


def _profile_statement(row: ProfileRow, task: _Task, stamp: Stamp) -> tuple[str, list[dict[str, Any]]]:
    as_of_attr = stamp.profile_as_of_attribute
    line_mark = mark(stamp.job, row.line, task.replaced)
    present = {k: v for k, v in row.attributes.items() if v is not None}
    if task.action == INSERT:
        names = ["customer_id", "attributes", "brands", as_of_attr, "profile_import", "updated_at"]
        params = [
            {"S": row.customer_id},
            _av(present),
            {"M": {}},
            {"S": stamp.as_of},
            {"S": line_mark},
            {"S": stamp.now},
        ]
        if row.sets_group_rank and row.group_rank is not None:
            names.append("group_rank")
            params.append({"S": row.group_rank})
        fields = ", ".join(f"'{name}': ?" for name in names)
        return f"INSERT INTO {_table()} VALUE {{{fields}}}", params

    sets: list[str] = []
    removes: list[str] = []
    params = []
    if task.action == CREATE_MAP:
        sets.append("attributes = ?")
        params.append(_av(present))
    else:
        for name, value in row.attributes.items():
            path = f"attributes.{_ident(name)}"
            if value is None:
                removes.append(path)
            else:
                sets.append(f"{path} = ?")
                params.append(_av(value))
    if row.sets_group_rank:
        if row.group_rank is None:
            removes.append("group_rank")
        else:
            sets.append("group_rank = ?")
            params.append({"S": row.group_rank})
    sets += [f"{_ident(as_of_attr)} = ?", "profile_import = ?", "updated_at = ?"]
    params += [{"S": stamp.as_of}, {"S": line_mark}, {"S": stamp.now}]
    container = "attributes IS MISSING" if task.action == CREATE_MAP else "attributes IS NOT MISSING"
    if task.action == SUPERSEDE:
        mark_condition = "profile_import = ?"
        mark_param = task.old_mark or ""
    else:
        mark_condition = "(profile_import IS MISSING OR NOT begins_with(profile_import, ?))"
        mark_param = stamp.job + ":"
    as_of = _ident(as_of_attr)
    text = (
        f"UPDATE {_table()} "
        + " ".join([f"SET {s}" for s in sets] + [f"REMOVE {r}" for r in removes])
        + f" WHERE customer_id = ? AND {container}"
        + f" AND ({as_of} IS MISSING OR {as_of} <= ?) AND {mark_condition}"
    )
    params += [{"S": row.customer_id}, {"S": stamp.as_of}, {"S": mark_param}]
    return text, params


def _brand_usage_statement(row: BrandUsageRow, task: _Task, stamp: Stamp) -> tuple[str, list[dict[str, Any]]]:
    usage = {"used": 1, **row.usage, "as_of": stamp.as_of, "mark": mark(stamp.job, row.line, task.replaced)}
    if task.action == INSERT:
        text = (
            f"INSERT INTO {_table()} VALUE "
            "{'customer_id': ?, 'brands': ?, 'attributes': ?, 'updated_at': ?}"
        )
        params = [{"S": row.customer_id}, _av({row.brand: usage}), {"M": {}}, {"S": stamp.now}]
        return text, params
    if task.action == CREATE_MAP:
        text = (
            f"UPDATE {_table()} SET brands = ? SET updated_at = ? WHERE customer_id = ? AND brands IS MISSING"
        )
        return text, [_av({row.brand: usage}), {"S": stamp.now}, {"S": row.customer_id}]
    brand = f"brands.{_ident(row.brand)}"
    if task.action == SUPERSEDE:
        mark_condition, mark_param = f"{brand}.mark = ?", task.old_mark or ""
    else:
        mark_condition = f"({brand}.mark IS MISSING OR NOT begins_with({brand}.mark, ?))"
        mark_param = stamp.job + ":"
    text = (
        f"UPDATE {_table()} SET {brand} = ? SET updated_at = ?"
        f" WHERE customer_id = ? AND brands IS NOT MISSING"
        f" AND ({brand}.as_of IS MISSING OR {brand}.as_of <= ?) AND {mark_condition}"
    )
    params = [_av(usage), {"S": stamp.now}, {"S": row.customer_id}, {"S": stamp.as_of}, {"S": mark_param}]
    return text, params


def _optout_statement(row: OptOutRow, task: _Task, stamp: Stamp) -> tuple[str, list[dict[str, Any]]]:
    if task.action == INSERT:
        text = (
            f"INSERT INTO {_table()} VALUE "
            "{'customer_id': ?, 'optouts': ?, 'brands': ?, 'attributes': ?, 'updated_at': ?}"
        )
        return text, [{"S": row.customer_id}, _av(row.brands), {"M": {}}, {"M": {}}, {"S": stamp.now}]
    text = f"UPDATE {_table()} SET optouts = set_add(optouts, ?) SET updated_at = ? WHERE customer_id = ?"
    return text, [_av(row.brands), {"S": stamp.now}, {"S": row.customer_id}]


def _distinct_customer_groups(rows: Iterable[Write], size: int) -> Iterable[list[Write]]:
    """Groups of at most ``size`` rows, no customer twice in a group (one request may not
    name an item twice). Rows for a customer already in the current group wait for the next."""
    waiting = list(rows)
    while waiting:
        group: list[Write] = []
        seen: set[str] = set()
        rest: list[Write] = []
        for row in waiting:
            if len(group) < size and row.customer_id not in seen:
                group.append(row)
                seen.add(row.customer_id)
            else:
                rest.append(row)
        yield group
        waiting = rest
