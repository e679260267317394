"""The write pipeline over a fake store: last row wins, two rows for one key never race."""

import threading
import time

import pytest

from xsell.importing.merging import WRITTEN, BrandUsageRow, ErasureRow, OptOutRow, Outcome, ProfileRow, Stamp
from xsell.importing.writing import WritePipeline, to_write

STAMP = Stamp(job="j", source="p", as_of="2026-11-23T00:00:00Z", now="n")


class SlowStore:
    """Records when each batch was written; each write takes a little while."""

    def __init__(self, delay: float = 0.0, fail_on: str | None = None) -> None:
        self.delay, self.fail_on = delay, fail_on
        self.batches: list[tuple[list[tuple[str, int]], float, float]] = []
        self.lock = threading.Lock()

    def write(self, rows, stamp):
        start = time.monotonic()
        time.sleep(self.delay)
        if any(r.customer_id == self.fail_on for r in rows):
            raise ConnectionError("store down")
        with self.lock:
            self.batches.append(([(r.customer_id, r.line) for r in rows], start, time.monotonic()))
        return [Outcome(r.line, r.customer_id, WRITTEN) for r in rows]


def row(cid: str, line: int) -> ProfileRow:
    return ProfileRow(cid, line, {})


def test_a_key_repeated_in_the_batch_being_filled_replaces_the_earlier_row():
    store = SlowStore()
    pipeline = WritePipeline(store, STAMP, batch_rows=10)
    assert pipeline.add(("A",), row("A", 2)) is None
    assert pipeline.add(("B",), row("B", 3)) is None
    assert pipeline.add(("A",), row("A", 4)) == 2
    outcomes = pipeline.close()
    assert sorted(o.line for o in outcomes) == [3, 4]
    assert [rows for rows, _, _ in store.batches] == [[("A", 4), ("B", 3)]]


def test_a_key_still_being_written_waits_for_its_batch_before_joining_another():
    store = SlowStore(delay=0.05)
    pipeline = WritePipeline(store, STAMP, threads=4, batch_rows=2)
    pipeline.add(("A",), row("A", 2))
    pipeline.add(("B",), row("B", 3))  # batch 1 goes out
    pipeline.add(("C",), row("C", 4))
    pipeline.add(("A",), row("A", 5))  # A is in flight: wait for batch 1 first
    pipeline.close()
    by_first_row = {rows[0][0]: (start, end) for rows, start, end in store.batches}
    assert by_first_row["C"][0] >= by_first_row["A"][1]


def test_another_key_of_a_customer_still_being_written_waits_too():
    # Brand usage keys are (customer, brand), but a batch reads and puts the customer's whole item.
    store = SlowStore(delay=0.05)
    pipeline = WritePipeline(store, STAMP, threads=4, batch_rows=2)
    pipeline.add(("A", "hana"), BrandUsageRow("A", 2, "hana", {}))
    pipeline.add(("B", "hana"), BrandUsageRow("B", 3, "hana", {}))  # batch 1 goes out
    pipeline.add(("C", "hana"), BrandUsageRow("C", 4, "hana", {}))
    assert pipeline.add(("A", "tabi"), BrandUsageRow("A", 5, "tabi", {})) is None  # not a duplicate
    pipeline.close()
    by_first_row = {rows[0][0]: (start, end) for rows, start, end in store.batches}
    assert by_first_row["C"][0] >= by_first_row["A"][1]


def test_independent_batches_are_written_concurrently():
    store = SlowStore(delay=0.1)
    pipeline = WritePipeline(store, STAMP, threads=4, batch_rows=1)
    started = time.monotonic()
    for n in range(4):
        pipeline.add((f"K{n}",), row(f"K{n}", n))
    assert len(pipeline.close()) == 4
    assert time.monotonic() - started < 0.3


def test_a_failed_write_fails_the_chunk():
    pipeline = WritePipeline(SlowStore(fail_on="B"), STAMP, batch_rows=1)
    pipeline.add(("A",), row("A", 2))
    pipeline.add(("B",), row("B", 3))
    with pytest.raises(ConnectionError):
        pipeline.close()


def test_records_become_the_writes_their_dataset_asks_for():
    profile = to_write(
        "profiles",
        {
            "customer_id": "C1",
            "group_rank": None,
            "gender": "female",
            "birth_year": None,
            "_extra": {"x": "1"},
        },
        7,
    )
    assert profile == ProfileRow(
        "C1", 7, {"gender": "female", "birth_year": None, "x": "1"}, group_rank=None, sets_group_rank=True
    )
    usage = to_write("brand_usage", {"customer_id": "C1", "brand": "hana", "ltv": 5, "brand_rank": None}, 8)
    assert (usage.brand, usage.usage) == ("hana", {"ltv": 5})
    assert to_write("optouts", {"customer_id": "C1", "brand": None}, 9) == OptOutRow(
        "C1", 9, frozenset({"all"})
    )
    assert to_write("erasure", {"customer_id": "C1"}, 10) == ErasureRow("C1", 10)
