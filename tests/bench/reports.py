"""Report benchmarks: the daily funnel over 10M events (30 days) on local DuckDB.

Data set (built once, cached in ``.local/bench-events/``, git-ignored):

- ``events/dt=YYYY-MM-DD/xsell-bench-<day>-<worker>.gz``: GZIP JSON lines as Firehose writes them,
  produced by the demo's own generator (:func:`demo.events.generate`, the stored record format)
  scaled up to ~370k customers and cut at exactly :data:`EVENTS` records (requests and served
  slots, impressions, clicks, holdout exposures, conversions). It runs in one process
  per CPU; each process gets its own customer key and order-id prefix so that no two processes
  share a customer or an order. Streamed through ``gzip`` at level 6 (the demo's
  ``gzip.compress`` uses 9; the size differs by a few percent).
- ``compacted/dt=YYYY-MM-DD/part-00000.parquet`` and ``rollups/<table>/dt=YYYY-MM-DD/``: every
  finished day compacted with the project's own path,
  :meth:`xsell.reporting.engines.DuckDBEngine.compact` (compact.sql, compact_funnel.sql and
  compact_touches.sql transpiled by sqlglot, written as Parquet compressed as
  ``layout.COMPRESSION`` says: ZSTD for the detail, Snappy for the rollups).
- ``manifest.json``: the event count, the compaction layout version and how long generation and
  compaction took. A later run reuses the cache when the manifest says :data:`EVENTS` and
  :data:`xsell.reporting.layout.LAYOUT_VERSION`, and a ``count(*)`` over the Parquet matches the
  count it recorded (a handful of clicks fall on the day after the last one).

Figures:

- ``reports.funnel_10m_events_s``: median wall time (after one warm-up) of
  ``DuckDBEngine.execute`` on the transpiled ``funnel.sql`` (exactly the text ``service.run``
  executes: with every day compacted, without its ``raw days`` sections) for the 30 days,
  default windows (click 7, view 1), no brand scope. The scan is planned with
  ``engines.plan_scan`` as the service does;
  its look-back days before the first generated day have no data, so plan_scan would add the
  first day's JSON folder for them (an artefact of the data set starting on that day: in steady
  state those days are compacted); it is dropped, and the report reads Parquet only.
  Each run opens a fresh in-memory DuckDB (as the engine does), so no cache carries over. The
  funnel, the count and the column scan below run in turn, :data:`REPEAT` rounds (medians), so
  the ratios compare runs made under the same load.
- ``reports.count_scan_s``: the same, for a bare ``SELECT count(*) FROM events_parquet`` over
  the same Parquet files through the same ``connect`` (fresh connection, same view).
- ``reports.funnel_vs_scan_ratio``: the two medians divided. DuckDB answers that ``count(*)``
  from the Parquet footers without reading a column, so the baseline is mostly opening 30 files.
- ``reports.column_scan_s`` and ``reports.funnel_vs_column_scan_ratio``: the same against a
  query that reads one whole column of the detail files, ``SELECT count(DISTINCT event_type)``
  (the smallest real scan of the 10M events).
- ``reports.bytes_scanned_ratio``: bytes the funnel reads from the Parquet files over the bytes
  the same funnel reads from the raw GZIP JSON of the same days (the scan with no day compacted,
  i.e. the JSON folders plan_scan lists: the 30 days and a neighbour). Bytes read are measured as
  the growth of ``rchar`` in ``/proc/self/io`` around the query: every byte DuckDB's threads
  read(2)/pread(2) from a file, whether from disk or page cache (DuckDB does not mmap data
  files, and each run starts with a fresh database, so its external file cache is empty).
  DuckDB's own profiling metric ``total_bytes_read`` (1.5.6) was tried and does not count
  Parquet reads (it reported 3.9 kB for a 2 MB column read), so it is not used. For JSON the
  whole compressed files are read, and ``reports.json_bytes_read`` is checked against their size.

Brand affinity (``reports.affinity_*``, :func:`affinity_figures`): :data:`AFFINITY_PROFILES`
profiles (three brands, each used by about half the customers, two of them correlated) written
to DynamoDB Local, then :func:`xsell.reporting.affinity.compute` (a parallel Scan in
:data:`AFFINITY_SEGMENTS` segments through ``xsell.dal.profiles``) timed once.
``reports.affinity_1m_profiles_s`` is that time scaled linearly to 1M profiles (a Scan reads
every item once, so the work grows with the item count); it is an extrapolation, not a run at
1M. DynamoDB Local is much slower per item than DynamoDB, so it overstates the AWS time;
``reports.affinity_count_1m_profiles_s`` is the counting alone over 1M profiles in memory.
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
EVENTS_PER_CUSTOMER = 27.0  # the demo's plans give ~28.9; more customers than needed, then cut
GENERATOR = 2  # bumped whenever demo.events writes different records (requests, served, devices)
REPEAT = 9
AFFINITY_PROFILES = 100_000
AFFINITY_SEGMENTS = 8

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
    text = sql.load(spec.query, raw=bool(scan.json))  # as service.run chooses it: every day compacted
    bound = {**params.sql(""), **scan.params}

    def funnel() -> int:
        return len(engine.execute(text, bound, scan).rows)

    def count() -> int:
        con = engine.connect(scan, "events_parquet")
        try:
            return int(con.execute("SELECT count(*) FROM events_parquet").fetchone()[0])
        finally:
            con.close()

    def column() -> int:
        con = engine.connect(scan, "events_parquet")
        try:
            return int(con.execute("SELECT count(DISTINCT event_type) FROM events_parquet").fetchone()[0])
        finally:
            con.close()

    rows = funnel()  # warm-up (imports, transpilation, page cache)
    column()
    counted = count()
    if counted != built["parquet_events"] or rows == 0:
        raise RuntimeError(f"parquet holds {counted} events, the funnel {rows} rows")
    funnel_s, count_s, column_s = _medians(funnel, count, column)

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
    json_text = sql.load(spec.query, raw=True)
    json_read = _bytes_read(lambda: len(engine.execute(json_text, json_bound, json_scan).rows))
    json_s = time.perf_counter() - started

    yield "reports.events", float(built["events"]), "events"
    yield "reports.parquet_events", float(counted), "events"
    yield "reports.generate_s", built["generate_s"], "s"
    yield "reports.compact_s", built["compact_s"], "s"
    yield "reports.raw_json_bytes", float(_size(ROOT / "events")), "bytes"
    yield "reports.parquet_bytes", float(_size(ROOT / "compacted")), "bytes"
    yield "reports.rollup_bytes", float(_size(ROOT / layout.ROLLUPS_PREFIX)), "bytes"
    yield "reports.funnel_rows", float(rows), "rows"
    yield "reports.funnel_10m_events_s", round(funnel_s, 3), "s"
    yield "reports.count_scan_s", round(count_s, 4), "s"
    yield "reports.funnel_vs_scan_ratio", round(funnel_s / count_s, 2), "x"
    yield "reports.column_scan_s", round(column_s, 4), "s"
    yield "reports.funnel_vs_column_scan_ratio", round(funnel_s / column_s, 2), "x"
    yield "reports.parquet_bytes_read", float(parquet_read), "bytes"
    yield "reports.json_bytes_read", float(json_read), "bytes"
    yield "reports.json_files_bytes", float(json_files), "bytes"
    yield "reports.bytes_scanned_ratio", round(parquet_read / json_read, 4), "x"
    yield "reports.funnel_json_s", round(json_s, 2), "s"
    yield from affinity_figures()


def affinity_figures() -> Iterator[Figure]:
    import random
    from concurrent.futures import ThreadPoolExecutor

    from local import bootstrap
    from local.emulators import Emulators, free_port

    with Emulators(dynamodb_port=free_port(), moto_port=free_port()) as emulators:
        os.environ.update({**emulators.client_environment(), "XSELL_STAGE": "local"})
        from xsell.dal import aws
        from xsell.models import Profile
        from xsell.reporting import affinity

        aws.reset()
        bootstrap.create_tables()
        client = aws.client("dynamodb")
        rng = random.Random(11)

        def item(n: int) -> dict[str, Any]:
            hana = rng.random() < 0.5
            used = {"hana": hana, "tabi": rng.random() < (0.7 if hana else 0.3), "umi": rng.random() < 0.5}
            brands = {b: {"M": {"used": {"N": "1"}, "ltv": {"N": "12000"}}} for b, u in used.items() if u}
            return {"customer_id": {"S": f"B{n:07d}"}, "brands": {"M": brands}, "group_rank": {"S": "gold"}}

        def write(start: int) -> None:
            batch = [
                {"PutRequest": {"Item": item(n)}} for n in range(start, min(start + 25, AFFINITY_PROFILES))
            ]
            while batch:
                answer = client.batch_write_item(RequestItems={Profile.Meta.table_name: batch})
                batch = answer.get("UnprocessedItems", {}).get(Profile.Meta.table_name, [])

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(write, range(0, AFFINITY_PROFILES, 25)))
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        counted = affinity.compute(AFFINITY_SEGMENTS)
        seconds = time.perf_counter() - started
        if counted.customers != AFFINITY_PROFILES:
            raise RuntimeError(f"affinity counted {counted.customers} profiles, wrote {AFFINITY_PROFILES}")
        lift = next(
            r["lift"]
            for r in affinity.lifts(counted)
            if (r["source_brand"], r["destination_brand"]) == ("hana", "tabi")
        )
    yield "reports.affinity_load_profiles_s", round(load_s, 1), "s"
    yield f"reports.affinity_{AFFINITY_PROFILES // 1000}k_profiles_s", round(seconds, 2), "s"
    yield "reports.affinity_1m_profiles_s", round(seconds * 1_000_000 / AFFINITY_PROFILES, 1), "s"
    yield "reports.affinity_hana_tabi_lift", round(lift, 3), "x"
    # The counting alone (no store): what the function's CPU spends per 1M profiles.
    profiles = [
        {"brands": {b: {"used": 1} for b in ("hana", "tabi", "umi") if rng.random() < 0.5}}
        for _ in range(1_000_000)
    ]
    started = time.perf_counter()
    affinity.tally(profiles)
    yield "reports.affinity_count_1m_profiles_s", round(time.perf_counter() - started, 2), "s"


def _medians(*fns: Any) -> list[float]:
    """Each function's median wall time over REPEAT rounds; a round runs each once, in turn, so
    a ratio of two of them compares runs made under the same load."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(REPEAT):
        for fn, spent in zip(fns, times, strict=True):
            started = time.perf_counter()
            fn()
            spent.append(time.perf_counter() - started)
    return [statistics.median(spent) for spent in times]


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
    from xsell.reporting import engines, layout

    manifest = ROOT / "manifest.json"
    if manifest.exists():
        built = json.loads(manifest.read_text())
        if (
            built.get("events") == EVENTS
            and built.get("generator") == GENERATOR
            and built.get("layout") == layout.LAYOUT_VERSION
            and _parquet_count() == built.get("parquet_events")
        ):
            return built
    generated = ROOT / "generated.json"
    made = json.loads(generated.read_text()) if generated.exists() else {}
    if made.get("events") != EVENTS or made.get("generator") != GENERATOR:
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
        made = {
            "events": EVENTS,
            "generator": GENERATOR,
            "generate_s": round(time.perf_counter() - started, 1),
        }
        generated.write_text(json.dumps(made))

    shutil.rmtree(ROOT / "compacted", ignore_errors=True)
    shutil.rmtree(ROOT / layout.ROLLUPS_PREFIX, ignore_errors=True)
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
    built = {
        **made,
        "days": DAYS,
        "layout": layout.LAYOUT_VERSION,
        "parquet_events": counted,
        "compact_s": round(compact_s, 1),
    }
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
