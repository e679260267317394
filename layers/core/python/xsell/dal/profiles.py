"""Profiles: read one customer; merge partner rows into customers by read-merge-put.

Only the importer writes profile items (decide keeps its own ``state#`` item, see
:mod:`xsell.dal.customers`),
and only the holder of the profiles writer lease (:class:`xsell.dal.jobs.WriterLease`)
imports. With one writer, nobody changes an item between reading it and putting it
back, so a batch of rows is applied as: read its customers (``BatchGetItem``, 100 keys,
strongly consistent), merge each row into its item in Python, put the changed items
(``BatchWriteItem``, 25 items). The merge rules:

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
so a chunk that lost the lease stops before its next write. Throttled requests and
unprocessed keys or items are retried with backoff; the client itself never retries, so
one request lasts at most ``REQUEST_SECONDS`` and the lease's safety margin holds.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError
from pynamodb.exceptions import DoesNotExist

from xsell.dal.customers import ERASED_AS_OF, is_tombstone, state_key
from xsell.errors import XsellError
from xsell.models import Profile

BATCH_GET = 100  # BatchGetItem's limit
BATCH_PUT = 25  # BatchWriteItem's limit
MAX_ROUNDS = 8  # per request: throttling and unprocessed retries together
CONNECT_SECONDS, READ_SECONDS = 5, 10
REQUEST_SECONDS = CONNECT_SECONDS + READ_SECONDS  # one attempt, at most (see xsell.dal.jobs.WriterLease)
RETRYABLE = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)

WRITTEN = "written"  # the row's data is stored
OUTDATED = "outdated"  # not applied: the stored part comes from a file uploaded later, or was erased
SUPERSEDED = "superseded"  # not applied: a later row of the same file holds this key
REFUSED = "refused"  # DynamoDB refused the row's item (e.g. over 400 KB)


class StoreUnavailable(XsellError):
    """Requests kept being throttled beyond the retry budget; try the chunk again later."""


class Transient(XsellError):
    """A request failed as a whole but may succeed when tried again (throttled, timed out)."""


class Refused(XsellError):
    """DynamoDB refused a request because of an item in it (ValidationException)."""


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


class Transport(Protocol):
    """The storage calls the writer makes; tests substitute their own."""

    def get(self, keys: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """One strongly consistent BatchGetItem: (items found, keys left unprocessed)."""
        ...

    def put(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One BatchWriteItem of puts: the items left unprocessed."""
        ...

    def erase_state(self, customer_id: str) -> None:
        """Delete decide's state item of the customer (behaviour and frequency counts)."""
        ...


_client: Any = None
_client_lock = threading.Lock()


def _dynamodb() -> Any:
    """The writer's own client, created once per process on first use: it never retries by
    itself (the writer does, checking its lease first) and skips parameter validation (items
    are built here, from validated rows)."""
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                config = Config(
                    connect_timeout=CONNECT_SECONDS,
                    read_timeout=READ_SECONDS,
                    retries={"mode": "standard", "total_max_attempts": 1},
                    parameter_validation=False,
                    max_pool_connections=16,
                )
                _client = boto3.session.Session().client("dynamodb", config=config)
    return _client


class DynamoTransport:
    """The low-level client with plain item dicts: no model objects on the hot path."""

    def get(self, keys: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        table = Profile.Meta.table_name
        request = {table: {"Keys": keys, "ConsistentRead": True}}
        with _translated_errors():
            response = _dynamodb().batch_get_item(RequestItems=request)
        items: list[dict[str, Any]] = response.get("Responses", {}).get(table, [])
        unprocessed: list[dict[str, Any]] = response.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
        return items, unprocessed

    def put(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        table = Profile.Meta.table_name
        request = {table: [{"PutRequest": {"Item": item}} for item in items]}
        with _translated_errors():
            result = _dynamodb().batch_write_item(RequestItems=request)
        return [r["PutRequest"]["Item"] for r in result.get("UnprocessedItems", {}).get(table, [])]

    def erase_state(self, customer_id: str) -> None:
        with _translated_errors():
            _dynamodb().delete_item(TableName=Profile.Meta.table_name, Key=state_key(customer_id))


@contextmanager
def _translated_errors() -> Iterator[None]:
    """Whole-request failures as the writer handles them: try again, or find the bad item."""
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in RETRYABLE:
            raise Transient(f"{code}: {exc.response['Error'].get('Message', '')}") from exc
        if code == "ValidationException":
            raise Refused(exc.response["Error"].get("Message", code)) from exc
        raise
    except (HTTPClientError, BotoConnectionError) as exc:
        raise Transient(f"{type(exc).__name__}: {exc}") from exc


def get(customer_id: str) -> Profile | None:
    """The customer's profile; None when there is none, or only an erasure's tombstone."""
    try:
        profile = Profile.get(customer_id)
    except DoesNotExist:
        return None
    # Every write but an erasure stamps updated_at; an erasure leaves only the key and erased_as_of.
    if profile.erased_as_of is not None and profile.updated_at is None:
        return None
    return profile


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
        self._transport = transport or DynamoTransport()
        self._sleep = sleep
        self._jitter = jitter

    def write(self, rows: Sequence[Write], stamp: Stamp) -> list[Outcome]:
        """Apply ``rows`` (any number, any mix, a customer's rows in file order); one outcome per row."""
        by_customer: dict[str, list[Write]] = {}
        for row in rows:
            same = by_customer.get(row.customer_id)
            if same is None:
                by_customer[row.customer_id] = [row]
            else:
                same.append(row)
        stored = self._read(list(by_customer), stamp.guard)
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
        refused = self._put([item for item, _ in puts.values()], stamp.guard)
        for customer_id, reason in refused.items():
            for index in puts[customer_id][1]:
                was = outcomes[index]
                outcomes[index] = Outcome(was.line, was.customer_id, REFUSED, detail=reason)
        for customer_id in dict.fromkeys(erased):
            self._transport.erase_state(customer_id)
        return outcomes

    def _read(self, customer_ids: list[str], guard: Callable[[], None]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(customer_ids), BATCH_GET):
            keys = [{"customer_id": {"S": cid}} for cid in customer_ids[start : start + BATCH_GET]]
            attempt = 0
            while keys:
                guard()
                try:
                    items, keys = self._transport.get(keys)
                except Transient:
                    items = []
                for item in items:
                    found[item["customer_id"]["S"]] = item
                if keys:
                    attempt += 1
                    self._backoff(attempt, "reads")
        return found

    def _put(self, items: list[dict[str, Any]], guard: Callable[[], None]) -> dict[str, str]:
        """Put ``items``; returns the customers whose item DynamoDB refused, with its reason."""
        refused: dict[str, str] = {}
        for start in range(0, len(items), BATCH_PUT):
            self._put_batch(items[start : start + BATCH_PUT], guard, refused)
        return refused

    def _put_batch(
        self, batch: list[dict[str, Any]], guard: Callable[[], None], refused: dict[str, str]
    ) -> None:
        attempt = 0
        while batch:
            guard()
            try:
                batch = self._transport.put(batch)
            except Refused as exc:
                if len(batch) == 1:
                    refused[batch[0]["customer_id"]["S"]] = str(exc)
                    return
                for item in batch:  # find the item at fault: the others are stored
                    self._put_batch([item], guard, refused)
                return
            except Transient:
                pass
            if batch:
                attempt += 1
                self._backoff(attempt, "writes")

    def _backoff(self, attempt: int, what: str) -> None:
        if attempt >= MAX_ROUNDS:
            raise StoreUnavailable(f"profiles {what} still failing after {MAX_ROUNDS} attempts")
        self._sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + self._jitter() / 2))
