"""CSV parse + validate throughput on one core, against csv.DictReader in the same run."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator

from demo.customers import profiles_csv
from xsell.importing.csvfile import read_rows
from xsell.importing.datasets import DATASETS

ROWS = 200_000


def _ours(data: bytes) -> int:
    rows = read_rows(io.BytesIO(data))
    _, header = next(rows)
    spec = DATASETS["profiles"]
    positions = spec.resolve_header(header)
    good = 0
    for _, values in rows:
        _, errors = spec.parse_row(values, positions)
        good += not errors
    return good


def _baseline(data: bytes) -> int:
    reader = csv.DictReader(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline=""))
    return sum(1 for row in reader if dict(row))


def _rate(fn, data: bytes) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    count = fn(data)
    return count / (time.perf_counter() - start)


def run() -> Iterator[tuple[str, float, str]]:
    data = profiles_csv(ROWS).encode("utf-8")
    baseline = _rate(_baseline, data)
    ours = _rate(_ours, data)
    yield "import.parse_validate_rows_per_s", round(ours), "rows/s"
    yield "import.dictreader_rows_per_s", round(baseline), "rows/s"
    yield "import.parse_validate_vs_dictreader", round(ours / baseline, 3), "ratio"
