"""The report queries: loading, binding named parameters, and the DuckDB transpilation.

The files in ``queries/`` (also reachable as ``analytics/queries``) are written in the Athena
engine v3 (Trino) dialect with ``:name`` parameters. ``events.sql`` is put in front of every
report as the CTE ``events``; ``{credited}`` stands for ``credited.sql`` (orders and the touch
each is credited to). Athena gets ``?`` execution parameters in order; DuckDB gets the text
transpiled by sqlglot with ``$name`` parameters. Lambda never imports sqlglot.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

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


@cache
def load(name: str) -> str:
    """The full Trino text of a report: ``events`` (and ``credited``) included."""
    body = _body(name).replace("{credited}", _body("credited"))
    if name == "compact":
        return body
    if not body.upper().startswith("WITH"):
        raise ValueError(f"{name}.sql must start with WITH")
    return f"WITH\nevents AS (\n{_body('events')}\n),\n{body[4:].lstrip()}"


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
    for match in _STRING.finditer(sql):
        segment = sql[position : match.start()]
        out.append(_PARAM.sub(lambda m: names.append(m.group(1)) or "?", segment))
        out.append(match.group(0))
        position = match.end()
    out.append(_PARAM.sub(lambda m: names.append(m.group(1)) or "?", sql[position:]))
    missing = [n for n in names if n not in params]
    if missing:
        raise KeyError(f"missing parameters: {', '.join(sorted(set(missing)))}")
    return "".join(out), [literal(params[n]) for n in names]


@cache
def for_duckdb(sql: str) -> str:
    """``sql`` transpiled from Trino to DuckDB; ``:name`` becomes ``$name``."""
    import sqlglot  # local and test only: Lambda runs the Trino text on Athena

    return sqlglot.transpile(sql, read="trino", write="duckdb", unsupported_level=sqlglot.ErrorLevel.RAISE)[0]


# The day before today in Asia/Tokyo, as Athena evaluates it when the nightly schedule fires.
_YESTERDAY = "date_add('day', -1, CAST(current_timestamp AT TIME ZONE 'Asia/Tokyo' AS DATE))"


def athena_compaction() -> str:
    """The nightly Athena statement: yesterday's events into events_parquet, unless already there."""
    day = f"date_format({_YESTERDAY}, '%Y-%m-%d')"
    values = {
        "day": day,
        "scan_from": f"date_format(date_add('day', -1, {_YESTERDAY}), '%Y-%m-%d')",
        "scan_until": f"date_format(date_add('day', 1, {_YESTERDAY}), '%Y-%m-%d')",
    }
    body = _PARAM.sub(lambda m: values[m.group(1)], load("compact"))
    keep = f"WHERE day = {day}"
    if keep not in body:
        raise ValueError("compact.sql must keep its rows with `WHERE day = :day`")
    guard = f"NOT EXISTS (SELECT 1 FROM events_parquet WHERE dt = {day})"
    return "INSERT INTO events_parquet\n" + body.replace(keep, f"{keep} AND {guard}")
