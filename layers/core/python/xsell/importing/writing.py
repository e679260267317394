"""From validated records to profile writes, several batches in flight at once.

Parsing runs on the calling thread while up to ``threads`` batches are written (each
one read of its customers and a few puts, see :mod:`xsell.importing.merging`), so
DynamoDB's round trips overlap with reading the file. Two rules keep a file's "last row
wins" exact, and whole-item read-merge-put exact, whatever the concurrency:

- a key repeated inside the batch being filled replaces the earlier row there
  (the earlier row is never written, and is reported as a duplicate);
- a row for a customer that a batch in flight is still writing waits for that batch
  to finish before it joins a new one, so two batches never read and put one customer
  at the same time (keyed by customer, not by the dataset's key: two brands' rows for
  one customer are merged into the same item).
"""

from __future__ import annotations

from collections.abc import Hashable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Protocol

from xsell.importing.datasets import ALL_BRANDS, EXTRA, PROFILE_ATTRIBUTES, Record
from xsell.importing.merging import (
    BrandUsageRow,
    ErasureRow,
    OptOutRow,
    Outcome,
    Stamp,
    Write,
    profile_row,
)

THREADS = 8
BATCH_ROWS = 100  # rows per task: one BatchGetItem of up to 100 customers, puts of 25
MAX_IN_FLIGHT = 16

_ABSENT = object()
_USAGE_FIELDS = {
    "first_used": "first_used",
    "last_purchase": "last_purchase",
    "ltv": "ltv",
    "brand_rank": "rank",
}


def to_write(dataset: str, record: Record, line: int) -> Write:
    """The profile write one valid record of ``dataset`` asks for."""
    customer_id = str(record["customer_id"])
    if dataset == "profiles":
        attributes: dict[str, object | None] = {f: record[f] for f in PROFILE_ATTRIBUTES if f in record}
        extra = record.get(EXTRA)
        if isinstance(extra, dict):
            attributes.update(extra)
        rank = record.get("group_rank", _ABSENT)
        if rank is _ABSENT:
            return profile_row(customer_id, line, attributes, None, False)
        return profile_row(customer_id, line, attributes, str(rank) if rank is not None else None, True)
    if dataset == "brand_usage":
        usage = {dst: record[src] for src, dst in _USAGE_FIELDS.items() if record.get(src) is not None}
        return BrandUsageRow(customer_id, line, str(record["brand"]), usage)
    if dataset == "optouts":
        brand = record.get("brand")
        return OptOutRow(customer_id, line, frozenset({str(brand) if brand is not None else ALL_BRANDS}))
    if dataset == "erasure":
        return ErasureRow(customer_id, line)
    raise ValueError(f"no write for dataset {dataset!r}")


class Store(Protocol):
    def write(self, rows: list[Write], stamp: Stamp) -> list[Outcome]: ...


class WritePipeline:
    def __init__(
        self,
        store: Store,
        stamp: Stamp,
        *,
        threads: int = THREADS,
        batch_rows: int = BATCH_ROWS,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        self._store, self._stamp = store, stamp
        self._batch_rows, self._max_in_flight = batch_rows, max_in_flight
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="xsell-import-write")
        self._buffer: dict[Hashable, Write] = {}
        self._in_flight: list[tuple[Future[list[Outcome]], frozenset[str]]] = []
        self._customers_in_flight: set[str] = set()
        self._done: list[Outcome] = []

    def add(self, key: Hashable, row: Write) -> int | None:
        """Queue ``row``; returns the line of an earlier queued row it replaces, if any."""
        earlier = self._buffer.get(key)
        if earlier is None and row.customer_id in self._customers_in_flight:
            self._wait([batch for batch in self._in_flight if row.customer_id in batch[1]])
        self._buffer[key] = row
        if len(self._buffer) >= self._batch_rows:
            self._submit()
        return earlier.line if earlier is not None else None

    def outcomes(self) -> list[Outcome]:
        """Outcomes of the batches finished so far (each returned once)."""
        self._collect()
        done, self._done = self._done, []
        return done

    def close(self) -> list[Outcome]:
        """Write what is queued, wait for everything, and return the remaining outcomes."""
        try:
            if self._buffer:
                self._submit()
            self._wait(self._in_flight)
            return self.outcomes()
        finally:
            self.shutdown()

    def shutdown(self) -> None:
        """Stop the writer threads (after a failure: queued batches are dropped)."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _submit(self) -> None:
        rows = list(self._buffer.values())
        self._buffer = {}
        customers = frozenset(row.customer_id for row in rows)
        if len(self._in_flight) >= self._max_in_flight:
            self._wait(self._in_flight[:1])
        self._in_flight.append((self._pool.submit(self._store.write, rows, self._stamp), customers))
        self._customers_in_flight |= customers

    def _wait(self, batches: list[tuple[Future[list[Outcome]], frozenset[str]]]) -> None:
        wait([future for future, _ in batches])
        self._collect()

    def _collect(self) -> None:
        still: list[tuple[Future[list[Outcome]], frozenset[str]]] = []
        for future, customers in self._in_flight:
            if future.done():
                self._done.extend(future.result())  # a failed write raises here, failing the chunk
                self._customers_in_flight -= customers
            else:
                still.append((future, customers))
        self._in_flight = still
