"""Where a report's SQL runs: Athena in AWS, DuckDB over the same objects locally.

Both read the events bucket's layout (:mod:`xsell.reporting.layout`) through a :class:`Store`
that lists objects per day. DuckDB gets the Trino text transpiled by sqlglot, and reads the
objects from a local copy (the S3 store downloads each object once, keyed by its ETag). duckdb,
pyarrow and sqlglot are local/test dependencies only: Lambda imports none of them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xsell.measuring.records import EVENTS_PREFIX
from xsell.reporting import layout, sql

# The stored JSON record's fields as the JSON table declares them (dt comes from the folder).
JSON_COLUMNS = {
    "event_id": "VARCHAR",
    "event_type": "VARCHAR",
    "received_at": "VARCHAR",
    "decision_id": "VARCHAR",
    "site_id": "VARCHAR",
    "slot": "VARCHAR",
    "campaign_id": "VARCHAR",
    "creative_id": "VARCHAR",
    "source_brand": "VARCHAR",
    "destination_brand": "VARCHAR",
    "customer_hash": "VARCHAR",
    "holdout": "BOOLEAN",
    "order_id": "VARCHAR",
    "value": "DOUBLE",
    "currency": "VARCHAR",
    "conversion_site": "VARCHAR",
    "device": "VARCHAR",  # the page's device class as decide saw it (null in older records)
    "channel": "VARCHAR",  # conversions: s2s (signed by the site's server) or browser (the tag)
}
# In compact.sql's order: Athena's INSERT INTO matches columns by position.
PARQUET_COLUMNS = {
    "event_id": "VARCHAR",
    "event_type": "VARCHAR",
    "event_ts": "TIMESTAMP",
    **{k: v for k, v in JSON_COLUMNS.items() if k not in ("event_id", "event_type", "received_at")},
}
_TOUCH = {"ts": "TIMESTAMP", "campaign_id": "VARCHAR", "creative_id": "VARCHAR", "site_id": "VARCHAR"}
_TOUCH |= {"source_brand": "VARCHAR", "device": "VARCHAR"}
# The rollups the compaction writes next to events_parquet (compact_funnel.sql, compact_touches.sql).
ROLLUP_COLUMNS = {
    "funnel_daily": {
        "campaign_id": "VARCHAR",
        "creative_id": "VARCHAR",
        "site_id": "VARCHAR",
        "source_brand": "VARCHAR",
        "destination_brand": "VARCHAR",
        "device": "VARCHAR",
        "requests": "BIGINT",
        "served": "BIGINT",
        "impressions": "BIGINT",
        "clicks": "BIGINT",
        "holdout_exposures": "BIGINT",
    },
    "conversion_touches": {
        "event_id": "VARCHAR",
        "event_ts": "TIMESTAMP",
        "destination_brand": "VARCHAR",
        "customer_hash": "VARCHAR",
        "order_id": "VARCHAR",
        "value": "DOUBLE",
        "currency": "VARCHAR",
        "channel": "VARCHAR",
        "prev_day": "VARCHAR",  # the day of the order's report before this one, if any (REPEAT_LOOKBACK_DAYS)
        **{f"click_{k}": v for k, v in _TOUCH.items()},
        **{f"view_{k}": v for k, v in _TOUCH.items()},
    },
}


@dataclass(frozen=True)
class Obj:
    key: str
    etag: str
    size: int
    modified: dt.datetime


@dataclass
class Result:
    columns: list[str]
    rows: list[dict[str, Any]]
    engine: str
    seconds: float = 0.0
    bytes_scanned: int | None = None


@dataclass(frozen=True)
class Pending:
    run: str  # the engine's id of the running query


class Store:
    """Objects of the events bucket by day."""

    def listing(self, prefix: str, first: str, last: str) -> dict[str, list[Obj]]:
        raise NotImplementedError

    def local_path(self, obj: Obj) -> str:
        raise NotImplementedError

    def put_file(self, key: str, path: str) -> None:
        raise NotImplementedError


class S3Store(Store):
    def __init__(self, bucket: str, cache_dir: str | None = None) -> None:
        self.bucket = bucket
        self.cache = Path(cache_dir or Path(tempfile.gettempdir()) / "xsell-report-cache") / bucket
        self._lock = threading.Lock()

    def _s3(self) -> Any:
        from xsell.dal import aws

        return aws.client("s3")

    def listing(self, prefix: str, first: str, last: str) -> dict[str, list[Obj]]:
        found: dict[str, list[Obj]] = {}
        pages = (
            self._s3()
            .get_paginator("list_objects_v2")
            .paginate(Bucket=self.bucket, Prefix=prefix, StartAfter=f"{prefix}dt={layout.shift(first, -1)}~")
        )
        for page in pages:
            for item in page.get("Contents", []):
                day = layout.day_of(item["Key"])
                if day is None or day < first:
                    continue
                if day > last:
                    return found
                if item["Key"].endswith("/") or item["Size"] == 0:
                    continue
                found.setdefault(day, []).append(
                    Obj(item["Key"], item["ETag"].strip('"'), item["Size"], item["LastModified"])
                )
        return found

    def local_path(self, obj: Obj) -> str:
        name = obj.key.rsplit("/", 1)[-1]
        path = self.cache / obj.key.rsplit("/", 1)[0] / f"{obj.etag}-{name}"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            data = self._s3().get_object(Bucket=self.bucket, Key=obj.key)["Body"].read()
            with self._lock:
                part = path.with_suffix(path.suffix + f".{os.getpid()}.{threading.get_ident()}")
                part.write_bytes(data)
                os.replace(part, path)
        return str(path)

    def put_file(self, key: str, path: str) -> None:
        self._s3().upload_file(path, self.bucket, key)


class DirStore(Store):
    """The same layout in a local directory (the benchmark's cached data set)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def listing(self, prefix: str, first: str, last: str) -> dict[str, list[Obj]]:
        found: dict[str, list[Obj]] = {}
        base = self.root / prefix
        if not base.exists():
            return found
        for folder in sorted(base.glob("dt=*")):
            day = folder.name[3:]
            if first <= day <= last:
                for file in sorted(folder.iterdir()):
                    if file.is_file() and not file.name.startswith("."):
                        stat = file.stat()
                        key = f"{prefix}{folder.name}/{file.name}"
                        modified = dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC)
                        found.setdefault(day, []).append(
                            Obj(key, str(stat.st_mtime_ns), stat.st_size, modified)
                        )
        return found

    def local_path(self, obj: Obj) -> str:
        return str(self.root / obj.key)

    def put_file(self, key: str, path: str) -> None:
        target = self.root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)


@dataclass
class Scan:
    """What one report reads: the days, which of them are compacted, and the objects."""

    scan_from: str
    scan_until: str
    compacted: dict[str, list[Obj]] = field(default_factory=dict)
    json: dict[str, list[Obj]] = field(default_factory=dict)
    rollups: dict[str, dict[str, list[Obj]]] = field(default_factory=dict)  # table -> day -> objects

    @property
    def params(self) -> dict[str, str]:
        return {
            "scan_from": self.scan_from,
            "scan_until": self.scan_until,
            "compacted_days": ",".join(sorted(self.compacted)),
            "json_folders": ",".join(sorted(self.json)),
        }

    def objects(self) -> Iterator[Obj]:
        for group in (self.compacted, self.json, *self.rollups.values()):
            for objs in group.values():
                yield from objs

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for obj in sorted(self.objects(), key=lambda o: o.key):
            digest.update(f"{obj.key}\0{obj.etag}\0".encode())
        return digest.hexdigest()[:24]

    @property
    def data_as_of(self) -> str | None:
        latest = max((obj.modified for obj in self.objects()), default=None)
        return latest.astimezone(dt.UTC).isoformat(timespec="seconds") if latest else None


def plan_scan(store: Store, scan_from: str, scan_until: str) -> Scan:
    """A day is read from its compacted files once events_parquet and every rollup hold it (the
    nightly statements run independently), otherwise from the JSON folders around it."""
    detail = store.listing(layout.COMPACTED_PREFIX, scan_from, scan_until)
    rollups = {t: store.listing(p, scan_from, scan_until) for t, p in layout.ROLLUP_PREFIXES.items()}
    compacted = {d: objs for d, objs in detail.items() if all(d in r for r in rollups.values())}
    raw = store.listing(EVENTS_PREFIX, layout.shift(scan_from, -1), layout.shift(scan_until, 1))
    uncompacted = [d for d in layout.days(scan_from, scan_until) if d not in compacted]
    folders = layout.json_folders(uncompacted, raw)
    return Scan(
        scan_from,
        scan_until,
        compacted,
        {d: raw[d] for d in folders},
        {t: {d: r[d] for d in compacted} for t, r in rollups.items()},
    )


# --- DuckDB -----------------------------------------------------------------------------------


def _duckdb_type(name: str) -> str:
    return name


def _empty(columns: dict[str, str], extra: str = "") -> str:
    cols = ", ".join(f"CAST(NULL AS {t}) AS {c}" for c, t in columns.items())
    return f"SELECT {cols}{extra} WHERE false"


class DuckDBEngine:
    name = "duckdb"

    def __init__(self, store: Store, threads: int | None = None) -> None:
        self.store = store
        self.threads = threads

    def connect(self, scan: Scan, query: str | None = None) -> Any:
        """A fresh in-memory DuckDB with a view per table over the scan's files; with ``query``,
        only the views it names (creating one binds it, which opens its files)."""
        import duckdb

        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")  # explicit; the queries rely on no session zone anyway
        if self.threads:
            con.execute(f"SET threads = {int(self.threads)}")

        def wanted(table: str) -> bool:
            return query is None or re.search(rf"\b{table}\b", query) is not None

        parquet = {
            "events_parquet": (scan.compacted, PARQUET_COLUMNS),
            **{t: (scan.rollups.get(t, {}), c) for t, c in ROLLUP_COLUMNS.items()},
        }
        for table, (days, columns) in parquet.items():
            if not wanted(table):
                continue
            files = [self.store.local_path(o) for objs in days.values() for o in objs]
            if files:
                con.execute(
                    f"CREATE VIEW {table} AS SELECT * FROM read_parquet({_list(files)}, "
                    "hive_partitioning = true, hive_types = {'dt': VARCHAR})"
                )
            else:
                con.execute(f"CREATE VIEW {table} AS {_empty(columns, ', CAST(NULL AS VARCHAR) AS dt')}")
        if not wanted("events_json"):
            return con
        raw = [self.store.local_path(o) for objs in scan.json.values() for o in objs]
        if raw:
            json_columns = "{" + ", ".join(f"'{k}': '{v}'" for k, v in JSON_COLUMNS.items()) + "}"
            con.execute(
                f"CREATE VIEW events_json AS SELECT * FROM read_json({_list(raw)}, "
                f"format = 'newline_delimited', columns = {json_columns}, hive_partitioning = true, "
                "hive_types = {'dt': VARCHAR})"
            )
        else:
            con.execute(f"CREATE VIEW events_json AS {_empty(JSON_COLUMNS, ', CAST(NULL AS VARCHAR) AS dt')}")
        return con

    def execute(self, text: str, params: dict[str, Any], scan: Scan) -> Result:
        started = time.perf_counter()
        query = sql.for_duckdb(text)
        con = self.connect(scan, query)
        try:
            names = set(sql.parameters(text))
            cursor = con.execute(query, {k: v for k, v in params.items() if k in names})
            columns = [d[0] for d in cursor.description]
            convert = [n for n, d in enumerate(cursor.description) if str(d[1]) not in _PLAIN_TYPES]
            fetched = cursor.fetchall()
            if convert:
                fetched = [_plain_row(row, convert) for row in fetched]
            rows = [dict(zip(columns, row, strict=True)) for row in fetched]
        finally:
            con.close()
        return Result(columns, rows, self.name, time.perf_counter() - started)

    def compact(self, day: str) -> str | None:
        """Write ``day`` as Parquet under compacted/dt=day/ and its rollups under rollups/ (what the
        nightly Athena statements do). The rollups are written first: a day whose events_parquet
        file exists has its rollups too."""
        scan = Scan(layout.shift(day, -1), layout.shift(day, 1))
        raw = self.store.listing(EVENTS_PREFIX, scan.scan_from, scan.scan_until)
        scan.json = raw
        if not raw:
            return None
        params = sql.compaction_params(day, layout.TOUCH_LOOKBACK_DAYS, layout.REPEAT_LOOKBACK_DAYS)
        # the compacted days conversion_touches searches for earlier touches, and for earlier
        # reports of the same orders
        scan.compacted = self.store.listing(
            layout.COMPACTED_PREFIX, params["lookback_from"], params["lookback_until"]
        )
        scan.rollups = {
            "conversion_touches": self.store.listing(
                layout.ROLLUP_PREFIXES["conversion_touches"], params["repeat_from"], params["lookback_until"]
            )
        }
        con = self.connect(scan)
        try:
            query = sql.for_duckdb(sql.load("compact"))
            con.execute(f"CREATE TEMP TABLE day_events AS {query}", _only(query, params))
            with tempfile.TemporaryDirectory() as tmp:
                for table, name in sql.COMPACTION.items():
                    if table == "events_parquet":
                        continue
                    query = sql.for_duckdb(sql.load(name))
                    target = os.path.join(tmp, f"{table}.parquet")
                    con.execute(
                        f"COPY (SELECT * EXCLUDE (dt) FROM ({query})) TO '{target}' "
                        f"(FORMAT parquet, COMPRESSION {layout.COMPRESSION[table]})",
                        _only(query, params),
                    )
                    self.store.put_file(layout.rollup_key(table, day), target)
                target = os.path.join(tmp, "part.parquet")
                codec = layout.COMPRESSION["events_parquet"]
                con.execute(
                    f"COPY (SELECT * EXCLUDE (dt) FROM day_events) TO '{target}' "
                    f"(FORMAT parquet, COMPRESSION {codec}, ROW_GROUP_SIZE 122880)"
                )
                key = layout.compacted_key(day)
                self.store.put_file(key, target)
                return key
        finally:
            con.close()

    def compact_finished(self, now: dt.datetime | None = None, since: str | None = None) -> list[str]:
        """Compact every finished day that has events but no Parquet yet (the local stand-in for the
        nightly schedule). Returns the days written."""
        last = layout.shift(layout.today(now), -1)
        first = since or layout.shift(last, -400)
        raw = self.store.listing(EVENTS_PREFIX, first, last)
        done = set(self.store.listing(layout.COMPACTED_PREFIX, first, last))
        for prefix in layout.ROLLUP_PREFIXES.values():
            done &= set(self.store.listing(prefix, first, last))
        written = []
        for day in sorted(raw):
            if day not in done and layout.finished(day, now) and self.compact(day):
                written.append(day)
        return written


def _only(query: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters a DuckDB query text uses (DuckDB refuses unused named parameters)."""
    used = set(re.findall(r"\$([a-z_][a-z0-9_]*)", query))
    return {k: v for k, v in params.items() if k in used}


def _list(paths: Sequence[str]) -> str:
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if hasattr(value, "as_integer_ratio") and not isinstance(value, int | float):  # Decimal
        return float(value)
    return value


# Result types DuckDB hands to Python as values JSON takes as they are: their columns are not
# converted value by value (a report returns thousands of rows).
_PLAIN_TYPES = frozenset(
    ("VARCHAR", "BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "DOUBLE", "FLOAT")
)


def _plain_row(row: Sequence[Any], convert: Sequence[int]) -> list[Any]:
    """``row`` with the values of the ``convert`` columns made plain (dates, times, decimals)."""
    values = list(row)
    for n in convert:
        values[n] = _plain(values[n])
    return values


# --- Athena -----------------------------------------------------------------------------------

_ATHENA_TYPES = {
    "bigint": int,
    "integer": int,
    "smallint": int,
    "tinyint": int,
    "double": float,
    "real": float,
}


class AthenaEngine:
    """StartQueryExecution in the enforced workgroup; results read with GetQueryResults."""

    name = "athena"

    def __init__(self, workgroup: str, database: str) -> None:
        self.workgroup = workgroup
        self.database = database

    def _athena(self) -> Any:
        from xsell.dal import aws

        return aws.client("athena")

    @staticmethod
    def statement(text: str, params: dict[str, Any], scan: Scan) -> tuple[str, list[str]]:
        query, values = sql.for_athena(text, params)
        # The data fingerprint makes the text differ whenever the objects do, so Athena's result
        # reuse never answers with results from older data.
        return f"-- xsell data {scan.fingerprint}\n{query}", values

    def start(self, text: str, params: dict[str, Any], scan: Scan) -> Pending:
        query, values = self.statement(text, params, scan)
        answer = self._athena().start_query_execution(
            QueryString=query,
            ExecutionParameters=values,
            QueryExecutionContext={"Database": self.database},
            WorkGroup=self.workgroup,
            ResultReuseConfiguration={
                "ResultReuseByAgeConfiguration": {"Enabled": True, "MaxAgeInMinutes": 60}
            },
        )
        return Pending(answer["QueryExecutionId"])

    def poll(self, run: str, text: str, params: dict[str, Any], scan: Scan) -> Result | Pending:
        """The result of ``run`` if it is the query ``text`` with ``params`` (a run id from another
        report or brand is refused), or Pending while it runs."""
        from xsell.errors import InvalidRequest

        query, values = self.statement(text, params, scan)
        try:
            execution = self._athena().get_query_execution(QueryExecutionId=run)["QueryExecution"]
        except Exception as exc:  # noqa: BLE001 - a malformed or unknown id is the caller's
            raise InvalidRequest("no such report run", "run") from exc
        if (
            execution.get("Query", "").strip() != query.strip()
            or execution.get("ExecutionParameters", []) != values
        ):
            raise InvalidRequest(
                "the run is not this report with these parameters (or the data changed)", "run"
            )
        state = execution["Status"]["State"]
        if state in ("QUEUED", "RUNNING"):
            return Pending(run)
        if state != "SUCCEEDED":
            raise RuntimeError(f"report query {state}: {execution['Status'].get('StateChangeReason', '')}")
        statistics = execution.get("Statistics", {})
        columns: list[str] = []
        types: list[str] = []
        rows: list[dict[str, Any]] = []
        for page in self._athena().get_paginator("get_query_results").paginate(QueryExecutionId=run):
            if not columns:
                info = page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
                columns = [c["Name"] for c in info]
                types = [c["Type"] for c in info]
            for n, row in enumerate(page["ResultSet"]["Rows"]):
                cells = [c.get("VarCharValue") for c in row["Data"]]
                if not rows and n == 0 and cells == columns:
                    continue  # the header row
                rows.append(
                    {
                        name: (None if v is None else _ATHENA_TYPES.get(t, str)(v))
                        for name, t, v in zip(columns, types, cells, strict=True)
                    }
                )
        return Result(
            columns,
            rows,
            self.name,
            statistics.get("TotalExecutionTimeInMillis", 0) / 1000,
            statistics.get("DataScannedInBytes"),
        )
