"""The report queries: loading, binding named parameters, and the DuckDB transpilation.

The files in ``queries/`` (also reachable as ``analytics/queries``) are written in the Athena
engine v3 (Trino) dialect with ``:name`` parameters. ``events.sql`` is put in front of every
report that reads it as the CTE ``events``; ``{credited}`` stands for ``credited.sql`` (orders and
the touch each is credited to). Lines between ``-- raw days: begin`` and ``-- raw days: end`` read
the days not compacted yet (the JSON lines): when every day of a report's scan is compacted, they
are left out, so neither engine plans a branch that can only be empty. Athena gets ``?``
execution parameters in order; DuckDB gets the text transpiled by sqlglot with ``$name``
parameters. Lambda never imports sqlglot.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from xsell.vocabulary import DEFAULT_TZ

QUERIES = Path(__file__).parent / "queries"
REPORT_QUERIES = ("funnel", "ab", "holdout", "pairs", "settlement")

# Functions that do not mean the same on both engines (or do not transpile): never in a query.
FORBIDDEN = (
    "approx_distinct",
    "approx_percentile",
    "approx_set",
    "format_datetime",
    "parse_datetime",
    "date_diff",
    "current_timezone",
)

_PARAM = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")
_STRING = re.compile(r"'(?:[^']|'')*'")


@cache
def text(name: str) -> str:
    return (QUERIES / f"{name}.sql").read_text(encoding="utf-8")


def _body(name: str) -> str:
    """A query without its leading comment lines."""
    lines = text(name).splitlines()
    while lines and (lines[0].startswith("--") or not lines[0].strip()):
        lines.pop(0)
    return "\n".join(lines).strip().rstrip(";")


_INCLUDES = ("credited", "latest", "fresh")
_RAW_SECTION = re.compile(
    r"^[ \t]*-- raw days: begin\b.*?^[ \t]*-- raw days: end\b[^\n]*(?:\n|\Z)", re.M | re.S
)
_READS_EVENTS = re.compile(r"\bevents\b(?!_)")


def _expand(body: str) -> str:
    for part in _INCLUDES:
        marker = "{" + part + "}"
        if marker in body:
            body = body.replace(marker, _expand(_body(part)))
    return body


def _sections(body: str, raw: bool) -> str:
    if raw:
        return body
    return _RAW_SECTION.sub("", body)


@cache
def load(name: str, raw: bool = True) -> str:
    """The full Trino text of a report: ``events`` (if it reads it), ``credited``, ``latest`` and
    ``fresh`` included; with ``raw`` false, without the sections that read days not compacted.

    The compaction statements (``compact*``) are returned without ``events``."""
    body = _sections(_expand(_body(name)), raw)
    if name.startswith("compact"):
        return body
    if not body.upper().startswith("WITH"):
        raise ValueError(f"{name}.sql must start with WITH")
    if not _READS_EVENTS.search(_STRING.sub("''", body)):
        return body
    events = _sections(_expand(_body("events")), raw)
    return f"WITH\nevents AS (\n{events}\n),\n{body[4:].lstrip()}"


def parameters(sql: str) -> list[str]:
    """The ``:name`` parameters of ``sql`` in order of appearance (string literals skipped)."""
    return _PARAM.findall(_STRING.sub("''", sql))


def literal(value: Any) -> str:
    """A Trino literal for an execution parameter (values are validated before they get here)."""
    if isinstance(value, bool) or value is None:
        raise TypeError(f"no literal for {value!r}")
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def for_athena(sql: str, params: dict[str, Any]) -> tuple[str, list[str]]:
    """``sql`` with ``?`` placeholders and the execution parameters in their order."""
    names: list[str] = []
    out: list[str] = []
    position = 0

    def placeholder(match: re.Match[str]) -> str:
        names.append(match.group(1))
        return "?"

    for match in _STRING.finditer(sql):
        out.append(_PARAM.sub(placeholder, sql[position : match.start()]))
        out.append(match.group(0))
        position = match.end()
    out.append(_PARAM.sub(placeholder, sql[position:]))
    missing = [n for n in names if n not in params]
    if missing:
        raise KeyError(f"missing parameters: {', '.join(sorted(set(missing)))}")
    return "".join(out), [literal(params[n]) for n in names]


@cache
def for_duckdb(sql: str) -> str:
    """``sql`` transpiled from Trino to DuckDB; ``:name`` becomes ``$name``."""
    import sqlglot  # local and test only: Lambda runs the Trino text on Athena

    return sqlglot.transpile(sql, read="trino", write="duckdb", unsupported_level=sqlglot.ErrorLevel.RAISE)[0]


# The day before today in the group's zone, as Athena evaluates it when the nightly schedule fires.
_YESTERDAY = f"date_add('day', -1, CAST(current_timestamp AT TIME ZONE '{DEFAULT_TZ}' AS DATE))"

# What the nightly compaction writes for one day: table -> the query that selects its rows.
# events_parquet comes first; the others read the day's rows as ``day_events`` (compact.sql).
COMPACTION = {
    "events_parquet": "compact",
    "funnel_daily": "compact_funnel",
    "conversion_touches": "compact_touches",
}


def _day_expr(shift: int) -> str:
    return f"date_format(date_add('day', {shift}, {_YESTERDAY}), '%Y-%m-%d')"


def _compaction_values(day: Callable[[int], str], lookback_days: int, repeat_days: int) -> dict[str, str]:
    """The compaction queries' parameters, each the day ``n`` days from the compacted one: ``day(n)``."""
    return {
        "day": day(0),
        "scan_from": day(-1),
        "scan_until": day(1),
        "lookback_from": day(-lookback_days),
        "lookback_until": day(-1),
        "repeat_from": day(-repeat_days),
    }


def compaction_params(day: str, lookback_days: int, repeat_days: int) -> dict[str, str]:
    """The parameters of the compaction queries for ``day`` (a YYYY-MM-DD text)."""
    from xsell.reporting import layout

    return _compaction_values(lambda n: layout.shift(day, n), lookback_days, repeat_days)


def athena_compaction(
    table: str = "events_parquet", lookback_days: int = 31, repeat_days: int = 92, day: str | None = None
) -> str:
    """The Athena statement writing one day's rows of ``table``, unless already there: yesterday as
    Athena evaluates it when the nightly schedule fires, or ``day`` (YYYY-MM-DD) to catch one up.

    Each statement reads the raw events itself (compact.sql as ``day_events``), so the three run
    independently; a report treats a day as compacted only once all three hold it."""
    if day is None:
        values = _compaction_values(_day_expr, lookback_days, repeat_days)
    else:
        values = {k: literal(v) for k, v in compaction_params(day, lookback_days, repeat_days).items()}
    the_day = values["day"]
    compact = _PARAM.sub(lambda m: values[m.group(1)], load("compact"))
    keep = f"WHERE day = {the_day}"
    if keep not in compact:
        raise ValueError("compact.sql must keep its rows with `WHERE day = :day`")
    guard = f"NOT EXISTS (SELECT 1 FROM {table} WHERE dt = {the_day})"
    compact = compact.replace(keep, f"{keep} AND {guard}")
    if table == "events_parquet":
        return "INSERT INTO events_parquet\n" + compact
    body = _PARAM.sub(lambda m: values[m.group(1)], load(COMPACTION[table]))
    if body.upper().startswith("WITH"):
        body = body[4:].lstrip()
        return f"INSERT INTO {table}\nWITH\nday_events AS (\n{compact}\n),\n{body}"
    return f"INSERT INTO {table}\nWITH\nday_events AS (\n{compact}\n)\n{body}"
