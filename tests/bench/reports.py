"""Report benchmarks: the daily funnel over 10M events (30 days) on local DuckDB.

Data set (built once, cached in ``.local/bench-events/``, git-ignored):

- ``events/dt=YYYY-MM-DD/xsell-bench-<day>-<worker>.gz``: GZIP JSON lines as Firehose writes them,
  produced by the demo's own generator (:func:`demo.events.generate`, the stored record format)
  scaled up to ~930k customers and cut at exactly :data:`EVENTS` records. It runs in one process
  per CPU; each process gets its own customer key and order-id prefix so that no two processes
  share a customer or an order. Streamed through ``gzip`` at level 6 (the demo's
  ``gzip.compress`` uses 9; the size differs by a few percent).
- ``compacted/dt=YYYY-MM-DD/part-00000.parquet``: every finished day compacted with the
  project's own path, :meth:`xsell.reporting.engines.DuckDBEngine.compact` (compact.sql
  transpiled by sqlglot, written as ZSTD Parquet, sorted by event type and campaign).
- ``manifest.json``: the event count and how long generation and compaction took. A later run
  reuses the cache when the manifest says :data:`EVENTS` and a ``count(*)`` over the Parquet
  matches the count it recorded (a handful of clicks fall on the day after the last one).

Figures:

- ``reports.funnel_10m_events_s``: median wall time (after one warm-up) of
  ``DuckDBEngine.execute`` on the transpiled ``funnel.sql`` (events.sql and credited.sql
  included, exactly what ``service.run`` executes) for the 30 days, default windows (click 7,
  view 1), no brand scope. The scan is planned with ``engines.plan_scan`` as the service does;
  its look-back days before the first generated day have no data, so plan_scan would add the
  first day's JSON folder for them (an artefact of the data set starting on that day: in steady
  state those days are compacted); it is dropped, and the report reads Parquet only.
  Each run opens a fresh in-memory DuckDB (as the engine does), so no cache carries over.
- ``reports.count_scan_s``: the same, for a bare ``SELECT count(*) FROM events_parquet`` over
  the same Parquet files through the same ``connect`` (fresh connection, same view).
- ``reports.funnel_vs_scan_ratio``: the two medians divided.
- ``reports.bytes_scanned_ratio``: bytes the funnel reads from the Parquet files over the bytes
  the same funnel reads from the raw GZIP JSON of the same days (the scan with no day compacted,
  i.e. the JSON folders plan_scan lists: the 30 days and a neighbour). Bytes read are measured as
  the growth of ``rchar`` in ``/proc/self/io`` around the query: every byte DuckDB's threads
  read(2)/pread(2) from a file, whether from disk or page cache (DuckDB does not mmap data
  files, and each run starts with a fresh database, so its external file cache is empty).
  DuckDB's own profiling metric ``total_bytes_read`` (1.5.6) was tried and does not count
  Parquet reads (it reported 3.9 kB for a 2 MB column read), so it is not used. For JSON the
  whole compressed files are read, and ``reports.json_bytes_read`` is checked against their size.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import itertools
import json
import multiprocessing
import os
import shutil
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2] / ".local" / "bench-events"
EVENTS = 10_000_000
DAYS = 30
END = dt.date(2026, 10, 31)  # fixed, so the cache does not depend on today
EVENTS_PER_CUSTOMER = 10.0  # the demo's plans give ~10.8; more customers than needed, then cut
REPEAT = 5

Figure = tuple[str, float, str]


def run() -> Iterator[Figure]:
    built = ensure_events()
    from xsell.reporting import engines, layout, service, sql

    store = engines.DirStore(ROOT)
    engine = engines.DuckDBEngine(store)
    first = layout.shift(END.isoformat(), -(DAYS - 1))
    spec = service.spec("funnel")
    params = service.parse(spec, {"from": first, "until": END.isoformat()})
    scan = engines.plan_scan(store, *service.scan_range(spec, params))
    missing = [d for d in layout.days(first, END.isoformat()) if d not in scan.compacted]
    if missing:
        raise RuntimeError(f"days not compacted: {missing}")
    scan.json = {}  # look-back days before the data set (see the module docstring)
    text = sql.load(spec.query)
    bound = {**params.sql(""), **scan.params}

    def funnel() -> int:
        return len(engine.execute(text, bound, scan).rows)

    def count() -> int:
        con = engine.connect(scan)
        try:
            return int(con.execute("SELECT count(*) FROM events_parquet").fetchone()[0])
        finally:
            con.close()

    rows = funnel()  # warm-up (imports, transpilation, page cache)
    counted = count()
    if counted != built["parquet_events"] or rows == 0:
        raise RuntimeError(f"parquet holds {counted} events, the funnel {rows} rows")
    funnel_s = _median(funnel)
    count_s = _median(count)

    parquet_read = _bytes_read(funnel)
    json_scan = engines.Scan(scan.scan_from, scan.scan_until)
    raw = store.listing(
        engines.EVENTS_PREFIX, layout.shift(scan.scan_from, -1), layout.shift(scan.scan_until, 1)
    )
    json_scan.json = {
        d: raw[d] for d in layout.json_folders(layout.days(scan.scan_from, scan.scan_until), raw)
    }
    json_files = sum(o.size for objs in json_scan.json.values() for o in objs)
    json_bound = {**params.sql(""), **json_scan.params}
    started = time.perf_counter()
    json_read = _bytes_read(lambda: len(engine.execute(text, json_bound, json_scan).rows))
    json_s = time.perf_counter() - started

    yield "reports.events", float(built["events"]), "events"
    yield "reports.parquet_events", float(counted), "events"
    yield "reports.generate_s", built["generate_s"], "s"
    yield "reports.compact_s", built["compact_s"], "s"
    yield "reports.raw_json_bytes", float(_size(ROOT / "events")), "bytes"
    yield "reports.parquet_bytes", float(_size(ROOT / "compacted")), "bytes"
    yield "reports.funnel_rows", float(rows), "rows"
    yield "reports.funnel_10m_events_s", round(funnel_s, 3), "s"
    yield "reports.count_scan_s", round(count_s, 4), "s"
    yield "reports.funnel_vs_scan_ratio", round(funnel_s / count_s, 1), "x"
    yield "reports.parquet_bytes_read", float(parquet_read), "bytes"
    yield "reports.json_bytes_read", float(json_read), "bytes"
    yield "reports.json_files_bytes", float(json_files), "bytes"
    yield "reports.bytes_scanned_ratio", round(parquet_read / json_read, 4), "x"
    yield "reports.funnel_json_s", round(json_s, 2), "s"


def _median(fn: Any) -> float:
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _rchar() -> int:
    with open("/proc/self/io") as io:
        for line in io:
            if line.startswith("rchar:"):
                return int(line.split()[1])
    raise RuntimeError("no rchar in /proc/self/io")


def _bytes_read(fn: Any) -> int:
    before = _rchar()
    fn()
    return _rchar() - before


def _size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


# --- the cached data set ------------------------------------------------------------------------


def _parquet_count() -> int:
    import duckdb

    files = sorted(ROOT.glob("compacted/dt=*/*.parquet"))
    if not files:
        return 0
    con = duckdb.connect()
    try:
        return int(
            con.execute("SELECT count(*) FROM read_parquet(?)", [[str(f) for f in files]]).fetchone()[0]
        )
    finally:
        con.close()


def ensure_events() -> dict[str, Any]:
    """The manifest of the cached data set, building it first if it is missing or incomplete.

    Generation and compaction are cached separately (``generated.json`` once the JSON lines
    are complete), so an interrupted compaction does not regenerate the events."""
    manifest = ROOT / "manifest.json"
    if manifest.exists():
        built = json.loads(manifest.read_text())
        if built.get("events") == EVENTS and _parquet_count() == built.get("parquet_events"):
            return built
    generated = ROOT / "generated.json"
    made = json.loads(generated.read_text()) if generated.exists() else {}
    if made.get("events") != EVENTS:
        if ROOT.exists():
            shutil.rmtree(ROOT)
        (ROOT / "events").mkdir(parents=True)
        started = time.perf_counter()
        workers = max(1, min(os.cpu_count() or 1, 8))
        shares = [EVENTS // workers + (1 if k < EVENTS % workers else 0) for k in range(workers)]
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            written = sum(pool.starmap(_generate, list(enumerate(shares))))
        if written != EVENTS:
            raise RuntimeError(f"generated {written} events, wanted {EVENTS}")
        made = {"events": EVENTS, "generate_s": round(time.perf_counter() - started, 1)}
        generated.write_text(json.dumps(made))

    from xsell.reporting import engines, layout

    shutil.rmtree(ROOT / "compacted", ignore_errors=True)
    started = time.perf_counter()
    engine = engines.DuckDBEngine(engines.DirStore(ROOT))
    for day in layout.days(layout.shift(END.isoformat(), -(DAYS - 1)), END.isoformat()):
        if not engine.compact(day):
            raise RuntimeError(f"nothing to compact for {day}")
    compact_s = time.perf_counter() - started
    # A click up to a minute after an impression at the very end of the last day falls on the
    # day after it: those few events lie outside the 30 compacted days.
    counted = _parquet_count()
    if not EVENTS - 1000 <= counted <= EVENTS:
        raise RuntimeError(f"compacted {counted} events, generated {EVENTS}")
    built = {**made, "days": DAYS, "parquet_events": counted, "compact_s": round(compact_s, 1)}
    manifest.write_text(json.dumps(built))
    return built


def _generate(worker: int, count: int) -> int:
    """Write ``count`` events of worker ``worker`` as GZIP JSON lines per arrival day."""
    from demo import events
    from xsell.measuring import records

    events.DEMO_KEY = events.DEMO_KEY + f"-bench-{worker}".encode()  # customers of its own
    customers = int(count / EVENTS_PER_CUSTOMER) + 1000
    files: dict[str, Any] = {}
    pending: dict[str, list[bytes]] = {}
    written = 0
    with contextlib.ExitStack() as stack:

        def flush(day: str) -> None:
            if day not in files:
                folder = ROOT / "events" / f"dt={day}"
                folder.mkdir(parents=True, exist_ok=True)
                part = folder / f".xsell-bench-{day}-{worker}.gz"
                files[day] = stack.enter_context(gzip.open(part, "wb", compresslevel=6))
            files[day].write(b"".join(pending[day]))
            pending[day] = []

        source = events.generate(days=DAYS, customers=customers, end=END, seed=7 + worker)
        for day, record in itertools.islice(source, count):
            if record["order_id"] is not None:
                record["order_id"] = f"W{worker}{record['order_id']}"  # order ids unique across workers
            lines = pending.setdefault(day, [])
            lines.append(records.encode(record))
            written += 1
            if len(lines) >= 20000:
                flush(day)
        for day in list(pending):
            if pending[day]:
                flush(day)
    for day in files:  # closed by the stack: now complete, give them their Firehose-like names
        folder = ROOT / "events" / f"dt={day}"
        os.replace(folder / f".xsell-bench-{day}-{worker}.gz", folder / f"xsell-bench-{day}-{worker}.gz")
    return written
