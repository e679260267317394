"""Catching up a night the compaction schedule missed: the same Athena statements as the
schedule's, bound to a given day instead of yesterday (``xsell compaction-sql``)."""

from __future__ import annotations

import io
import re

import pytest

from xsell import cli
from xsell.reporting import layout, sql


def test_a_days_statement_is_the_schedules_with_that_day_bound():
    days = (layout.TOUCH_LOOKBACK_DAYS, layout.REPEAT_LOOKBACK_DAYS)
    nightly = sql.athena_compaction("conversion_touches", *days)
    day = sql.athena_compaction("conversion_touches", *days, "2026-11-10")
    assert "current_timestamp" in nightly and "current_timestamp" not in day
    assert sql.parameters(day) == []
    # the day, its neighbours, the touch look-back and the repeat look-back, as literals
    for literal in ("'2026-11-10'", "'2026-11-09'", "'2026-11-11'", "'2026-10-10'", "'2026-08-10'"):
        assert literal in day, literal
    assert "NOT EXISTS (SELECT 1 FROM conversion_touches WHERE dt = '2026-11-10')" in day
    # the rest of the text is the nightly one: only the day expressions differ
    expression = re.escape(sql._day_expr(0)).replace("0", r"-?\d+")
    assert re.sub(expression, "D", nightly) == re.sub(r"'\d{4}-\d{2}-\d{2}'", "D", day)


def test_the_command_prints_the_three_statements_in_order():
    out = io.StringIO()
    assert cli.main(["compaction-sql", "--day", "2026-11-10"], out=out) == cli.EXIT_OK
    statements = [s.strip() for s in out.getvalue().split(";\n") if s.strip()]
    assert [s.splitlines()[0] for s in statements] == [f"-- {t}, 2026-11-10" for t in sql.COMPACTION]
    assert [s.splitlines()[1] for s in statements] == [f"INSERT INTO {t}" for t in sql.COMPACTION]


def test_the_command_prints_one_tables_statement_bare():
    """With --table the output is exactly one query string for start-query-execution."""
    out = io.StringIO()
    assert cli.main(["compaction-sql", "--day", "2026-11-10", "--table", "funnel_daily"], out=out) == 0
    days = (layout.TOUCH_LOOKBACK_DAYS, layout.REPEAT_LOOKBACK_DAYS)
    assert out.getvalue() == sql.athena_compaction("funnel_daily", *days, "2026-11-10") + "\n"
    assert out.getvalue().startswith("INSERT INTO funnel_daily\n")


@pytest.mark.parametrize("day", ["2026-11-31", "yesterday", "2026/11/10", ""])
def test_a_bad_day_is_refused_with_the_reason(day, capsys):
    out = io.StringIO()
    assert cli.main(["compaction-sql", "--day", day], out=out) == cli.EXIT_USAGE
    assert out.getvalue() == ""
    assert "--day: expected a date as YYYY-MM-DD" in capsys.readouterr().err


def test_an_unknown_table_is_refused(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["compaction-sql", "--day", "2026-11-10", "--table", "events_json"])
    assert exited.value.code == 2
    assert "invalid choice: 'events_json'" in capsys.readouterr().err
