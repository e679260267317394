"""Import benchmarks: parse + validate speed, end-to-end writes against BatchWriteItem, peak memory.

- ``import.parse_validate_rows_per_s``: one core, a 1M-row profiles file (Japanese headers
  and values) read, validated and turned into writes; the slower of UTF-8 and CP932.
  Beside it, csv.DictReader over the same bytes as the familiar reference.
- ``import.end_to_end_ratio``: the importer's rows/s into DynamoDB Local (S3 read, parse,
  validate, write, job commit) divided by the rows/s of raw BatchWriteItem writing the same
  items into the same table with the importer's own concurrency (``THREADS`` writers, each
  task ``BATCH_ROWS`` items sent as puts of 25), both creating new customers; the median of
  three interleaved rounds. ``import.end_to_end_vs_sequential_batch_write`` is the same
  importer against a single-threaded BatchWriteItem loop (the figure's former baseline), and
  ``import.end_to_end_vs_read_put_loop`` against a plain sequential loop of the very requests
  it sends (a consistent BatchGetItem of 100 customers, then BatchWriteItem puts of 25),
  which shows what the importer's parsing, merging and bookkeeping cost, and what its
  concurrency gains.
- ``import.peak_rss_mb_<N>_rows``: peak RSS of a fresh process importing an N-row file from
  (local) S3 with a store that discards writes: streaming, validation, batching, error
  report and job record, without DynamoDB's own share. Two sizes show it does not grow.

The emulators run in this process's children; the measurements that need them run in
subprocesses with the emulators' endpoints in their environment.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PARSE_ROWS = 1_000_000
E2E_ROWS = 20_000
E2E_ROUNDS = 3
WARM_ROWS = 20_000
RSS_ROWS = (200_000, 1_000_000)
HEADER = ["顧客ID", "グループランク", "性別", "生年", "都道府県", "入会日"]


def profiles_file(rows: int, prefix: str, seed: int = 7) -> str:
    """A profiles CSV as partners send it (BOM, Japanese header, CRLF), unique customer ids."""
    rng = random.Random(seed)
    prefectures = ("東京都", "大阪府", "神奈川県", "愛知県", "福岡県", "北海道", "京都府", "兵庫県")
    pool = [
        ",".join(
            (
                rng.choice(("bronze", "silver", "gold", "platinum")),
                rng.choice(("female", "male", "other")),
                str(rng.randint(1950, 2005)),
                rng.choice(prefectures),
                f"20{rng.randint(15, 25):02d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            )
        )
        for _ in range(4096)
    ]
    lines = [f"{prefix}{n:07d},{pool[n % 4096]}" for n in range(rows)]
    return "\ufeff" + ",".join(HEADER) + "\r\n" + "\r\n".join(lines) + "\r\n"


# --- parse + validate (in this process, one core) ---------------------------------------


def _parse_validate(data: bytes) -> int:
    import datetime as dt

    from xsell.importing.csvfile import CsvStream, Row
    from xsell.importing.datasets import DATASETS, ParseContext
    from xsell.importing.writing import to_write

    spec, ctx = DATASETS["profiles"], ParseContext(today=dt.date.today())
    rows = iter(CsvStream(io.BytesIO(data)))
    layout = spec.resolve_header(next(rows).values)  # type: ignore[union-attr]
    good = 0
    for row in rows:
        assert isinstance(row, Row)
        record, errors = spec.parse_row(row.values, layout, ctx)
        if not errors:
            to_write("profiles", record, row.line)
            good += 1
    return good


def _dictreader(data: bytes) -> int:
    reader = csv.DictReader(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline=""))
    return sum(1 for row in reader if dict(row))


def _rate(fn: Any, data: bytes, rows: int) -> float:
    start = time.perf_counter()
    assert fn(data) == rows
    return rows / (time.perf_counter() - start)


def _parse_figures() -> Iterator[tuple[str, float, str]]:
    text = profiles_file(PARSE_ROWS, "P")
    utf8 = text.encode("utf-8")
    cp932 = text.lstrip("\ufeff").encode("cp932")
    rates = {
        "utf8": _rate(_parse_validate, utf8, PARSE_ROWS),
        "cp932": _rate(_parse_validate, cp932, PARSE_ROWS),
    }
    baseline = _rate(_dictreader, utf8, PARSE_ROWS)
    yield "import.parse_validate_rows_per_s", round(min(rates.values())), "rows/s"
    yield "import.parse_validate_rows_per_s_utf8", round(rates["utf8"]), "rows/s"
    yield "import.parse_validate_rows_per_s_cp932", round(rates["cp932"]), "rows/s"
    yield "import.dictreader_rows_per_s", round(baseline), "rows/s"
    yield "import.parse_validate_vs_dictreader", round(rates["utf8"] / baseline, 3), "ratio"


# --- end to end (subprocess, against the emulators) -------------------------------------


def _items(text: str, stamp: Any) -> list[dict[str, Any]]:
    """The items the importer stores for ``text``, as BatchWriteItem takes them."""
    import datetime as dt

    from xsell.importing.csvfile import CsvStream
    from xsell.importing.datasets import DATASETS, ParseContext
    from xsell.importing.merging import _av, mark
    from xsell.importing.writing import to_write

    spec, ctx = DATASETS["profiles"], ParseContext(today=dt.date.today())
    rows = iter(CsvStream(io.BytesIO(text.encode())))
    layout = spec.resolve_header(next(rows).values)  # type: ignore[union-attr]
    items = []
    for row in rows:
        record, _ = spec.parse_row(row.values, layout, ctx)  # type: ignore[union-attr]
        write = to_write("profiles", record, row.line)  # type: ignore[union-attr]
        items.append(
            {
                "customer_id": {"S": write.customer_id},
                "group_rank": {"S": write.group_rank},  # type: ignore[union-attr]
                "attributes": _av(dict(write.attributes)),  # type: ignore[union-attr]
                "brands": {"M": {}},
                stamp.profile_as_of_attribute: {"S": stamp.as_of},
                "profile_import": {"S": mark(stamp.job, write.line)},
                "updated_at": {"S": stamp.now},
            }
        )
    return items


def _batch_write_loop(client: Any, table: str, items: list[dict[str, Any]]) -> float:
    start = time.perf_counter()
    for n in range(0, len(items), 25):
        request = {table: [{"PutRequest": {"Item": item}} for item in items[n : n + 25]]}
        while request:
            request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
    return len(items) / (time.perf_counter() - start)


def _batch_write_concurrent(client: Any, table: str, items: list[dict[str, Any]]) -> float:
    """Raw BatchWriteItem with the importer's concurrency: THREADS writers, tasks of BATCH_ROWS
    items each sent as puts of 25 (what one importer task puts, without its read and merge)."""
    from concurrent.futures import ThreadPoolExecutor

    from xsell.importing.writing import BATCH_ROWS, THREADS

    def task(batch: list[dict[str, Any]]) -> None:
        for m in range(0, len(batch), 25):
            request = {table: [{"PutRequest": {"Item": item}} for item in batch[m : m + 25]]}
            while request:
                request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}

    start = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(task, (items[n : n + BATCH_ROWS] for n in range(0, len(items), BATCH_ROWS))))
    return len(items) / (time.perf_counter() - start)


def _read_put_loop(client: Any, table: str, items: list[dict[str, Any]]) -> float:
    start = time.perf_counter()
    for n in range(0, len(items), 100):
        batch = items[n : n + 100]
        keys = {table: {"Keys": [{"customer_id": i["customer_id"]} for i in batch], "ConsistentRead": True}}
        while keys:
            keys = client.batch_get_item(RequestItems=keys).get("UnprocessedKeys") or {}
        for m in range(0, len(batch), 25):
            request = {table: [{"PutRequest": {"Item": item}} for item in batch[m : m + 25]]}
            while request:
                request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
    return len(items) / (time.perf_counter() - start)


BENCH_PARTNER = "bench"


def _import(bucket: str, key: str, text: str) -> tuple[float, Any]:
    import boto3

    from xsell.dal import jobs
    from xsell.importing.checkpoints import Budget
    from xsell.importing.notifications import ObjectRef
    from xsell.importing.runner import Importer

    put = boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=text.encode())
    ref = ObjectRef(bucket, key, put["ETag"], put.get("VersionId"))
    start = time.perf_counter()
    step = Importer().import_object(ref, Budget.for_invocation(max_rows=10**9))
    elapsed = time.perf_counter() - start
    job = jobs.find(ref.job_id)
    assert step.state == "finished" and job is not None and job.rows_imported == text.count("\r\n") - 1, job
    return job.rows_imported / elapsed, job


def end_to_end() -> dict[str, float]:
    import boto3
    from botocore.config import Config

    from local.bootstrap import bootstrap
    from tests.fixtures.csv import register
    from xsell.importing.merging import Stamp
    from xsell.importing.writing import THREADS
    from xsell.models import Profile

    resources = bootstrap()
    register(BENCH_PARTNER)  # only registered partners import
    table = Profile.Meta.table_name
    # boto3's own client, with a connection per writer thread (as the importer's client has).
    client = boto3.client("dynamodb", config=Config(max_pool_connections=max(10, THREADS)))
    run = f"{int(time.time())}"

    def stamp_of(job: Any) -> Stamp:
        return Stamp(job.job_id[:16], job.partner, job.as_of, "2026-01-01T00:00:00.000000+0000")

    # Warm both paths up (DynamoDB Local's JIT compiles each request path on first use: 3,000
    # rows left the importer's reads running at half speed through the first measured round),
    # then interleave the measured rounds.
    _, warm_job = _import(
        resources.drop_bucket, f"incoming/bench/profiles/{run}-warm.csv", profiles_file(WARM_ROWS, "W")
    )
    _batch_write_concurrent(client, table, _items(profiles_file(WARM_ROWS, "X"), stamp_of(warm_job)))
    _batch_write_loop(client, table, _items(profiles_file(WARM_ROWS, "Y"), stamp_of(warm_job)))
    ratios, importer_rates, baseline_rates, sequential_rates = [], [], [], []
    for n in range(E2E_ROUNDS):
        text = profiles_file(E2E_ROWS, f"I{run}r{n}-")
        rate, job = _import(resources.drop_bucket, f"incoming/bench/profiles/{run}-{n}.csv", text)
        baseline = _batch_write_concurrent(
            client, table, _items(profiles_file(E2E_ROWS, f"B{run}r{n}-"), stamp_of(job))
        )
        sequential = _batch_write_loop(
            client, table, _items(profiles_file(E2E_ROWS, f"S{run}r{n}-"), stamp_of(job))
        )
        ratios.append(rate / baseline)
        importer_rates.append(rate)
        baseline_rates.append(baseline)
        sequential_rates.append(sequential)
    # The same customers again (a daily snapshot): the importer updates, BatchWriteItem overwrites.
    again, job = _import(resources.drop_bucket, f"incoming/bench/profiles/{run}-again.csv", text)
    overwrite = _batch_write_concurrent(client, table, _items(text, stamp_of(job)))
    read_put = _read_put_loop(client, table, _items(profiles_file(E2E_ROWS, f"Q{run}-"), stamp_of(job)))
    importer = statistics.median(importer_rates)
    return {
        "ratio": statistics.median(ratios),
        "importer": importer,
        "baseline": statistics.median(baseline_rates),
        "sequential": statistics.median(sequential_rates),
        "vs_sequential": importer / statistics.median(sequential_rates),
        "existing_ratio": again / overwrite,
        "vs_read_put": importer / read_put,
    }


# --- peak memory (subprocess) -----------------------------------------------------------


class _Discard:
    """A store that accepts every row and writes nothing."""

    def write(self, rows: list[Any], stamp: Any) -> list[Any]:
        from xsell.importing.merging import WRITTEN, Outcome

        return [Outcome(row.line, row.customer_id, WRITTEN) for row in rows]


def peak_rss(bucket: str, key: str, etag: str) -> dict[str, float]:
    from xsell.dal import jobs
    from xsell.importing.checkpoints import Budget
    from xsell.importing.notifications import ObjectRef
    from xsell.importing.runner import Importer

    ref = ObjectRef(bucket, key, etag)
    Importer(store=_Discard()).import_object(ref, Budget.for_invocation(max_rows=10**9))
    job = jobs.find(ref.job_id)
    assert job is not None and job.status == "succeeded", job
    return {"rows": job.rows_read, "peak_rss_mb": _high_water_mark_mb()}


def _high_water_mark_mb() -> float:
    """Peak RSS of this process image. (Not ru_maxrss: Linux carries that across exec, so a
    child would report the RSS of the parent it was forked from.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _upload_for_rss(env: dict[str, str], rows: int) -> tuple[str, str, str]:
    code = (
        "import sys, json, boto3; from local.bootstrap import bootstrap; "
        "from tests.bench.imports import profiles_file; from tests.fixtures.csv import register; "
        "r = bootstrap(); register('bench'); "
        f"key = 'incoming/bench/profiles/rss-{rows}.csv'; body = profiles_file({rows}, 'M').encode(); "
        "put = boto3.client('s3').put_object(Bucket=r.drop_bucket, Key=key, Body=body); "
        "print(json.dumps([r.drop_bucket, key, put['ETag']]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    bucket, key, etag = json.loads(out.stdout.strip().splitlines()[-1])
    return bucket, key, etag


def _child(env: dict[str, str], *args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "tests.bench.imports", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise RuntimeError(f"tests.bench.imports {' '.join(args)} failed:\n{out.stderr[-4000:]}")
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def run() -> Iterator[tuple[str, float, str]]:
    yield from _parse_figures()

    from local.emulators import Emulators, free_port

    with Emulators(dynamodb_port=free_port(), moto_port=free_port()) as emulators:
        env = {**os.environ, **emulators.client_environment(), "XSELL_STAGE": "local"}
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "layers" / "core" / "python")])
        e2e = _child(env, "e2e")
        yield "import.end_to_end_ratio", round(e2e["ratio"], 3), "ratio"
        yield "import.end_to_end_rows_per_s", round(e2e["importer"]), "rows/s"
        yield "import.batch_write_item_rows_per_s", round(e2e["baseline"]), "rows/s"
        yield "import.sequential_batch_write_item_rows_per_s", round(e2e["sequential"]), "rows/s"
        yield "import.end_to_end_vs_sequential_batch_write", round(e2e["vs_sequential"], 3), "ratio"
        yield "import.end_to_end_ratio_existing_customers", round(e2e["existing_ratio"], 3), "ratio"
        yield "import.end_to_end_vs_read_put_loop", round(e2e["vs_read_put"], 3), "ratio"
        for rows in RSS_ROWS:
            bucket, key, etag = _upload_for_rss(env, rows)
            rss = _child(env, "rss", bucket, key, etag)
            label = f"{rows // 1_000_000}m" if rows >= 1_000_000 else f"{rows // 1000}k"
            yield f"import.peak_rss_mb_{label}_rows", round(rss["peak_rss_mb"], 1), "MB"


if __name__ == "__main__":
    if sys.argv[1] == "e2e":
        print(json.dumps(end_to_end()))
    elif sys.argv[1] == "rss":
        print(json.dumps(peak_rss(*sys.argv[2:5])))
    else:
        sys.exit(f"unknown mode {sys.argv[1]!r}")
