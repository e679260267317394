"""The report SQL: one Trino text, transpiled for DuckDB, run over a hand-checked fixture twice —
reading the raw GZIP JSON lines, and reading the compacted Parquet — against figures worked out
by hand (tests/report_events.py)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests import report_events as fx
from xsell.admin.access import Principal
from xsell.errors import InvalidRequest, NotAllowed
from xsell.reporting import engines, layout, service, sql

ADMIN = Principal("admin", "a@example.jp", "group-admin", None)
UMI = Principal("umi-m", "u@example.jp", "brand-marketer", "umi")
NOBODY = Principal("x", "x@example.jp", None, None)
CONTEXT = {
    "campaigns": lambda: {
        "camp-a": {
            "campaign_id": "camp-a",
            "creatives": [{"creative_id": "a1", "weight": 1}, {"creative_id": "a2", "weight": 1}],
        },
    },
    "group": lambda: {"settlement": fx.SETTLEMENT, "reciprocity": {"default": {"ratio": 2, "allowance": 10}}},
}


@pytest.fixture(params=["json", "parquet", "mixed"])
def engine(request, tmp_path):
    fx.write_dir(tmp_path)
    store = engines.DirStore(tmp_path)
    runner = engines.DuckDBEngine(store)
    if request.param == "parquet":
        written = runner.compact_finished(fx.NOW)
        assert written == ["2026-11-01", "2026-11-10", "2026-11-11", "2026-11-12"]
    else:
        if request.param == "mixed":  # the touches on compacted days, the orders on raw ones
            assert runner.compact("2026-11-01") and runner.compact("2026-11-10")
        runner.compact_finished = lambda *a, **k: []  # keep reading the JSON lines
    service.CACHE.clear()
    return runner


def _run(engine, name, principal=ADMIN, **query):
    return service.run(principal, name, {**fx.RANGE, **query}, now=fx.NOW, use=engine, context=CONTEXT)


def test_every_query_transpiles_and_avoids_engine_traps():
    for name in (*sql.REPORT_QUERIES, *sql.COMPACTION.values()):
        text = sql.load(name)
        lowered = text.lower()
        for word in sql.FORBIDDEN:
            assert word not in lowered, f"{name}.sql uses {word}"
        # Integer division differs between the engines: every ratio divides a DOUBLE.
        for match in re.finditer(r"\)\s*/\s*", text):
            before = text[: match.start() + 1]
            assert "AS DOUBLE)" in before[-200:], f"{name}.sql divides without a DOUBLE cast"
        duck = sql.for_duckdb(text)
        assert "$" in duck or name in ("compact", "compact_funnel")
        trino_params = set(sql.parameters(text))
        assert {m for m in re.findall(r"\$([a-z_]+)", duck)} == trino_params


def test_athena_parameters_are_positional_literals():
    text, values = sql.for_athena(
        "SELECT ':no' AS a WHERE d BETWEEN :date_from AND :date_until AND n = :n",
        {"date_from": "2026-11-01", "date_until": "2026-11-02", "n": 7},
    )
    assert text == "SELECT ':no' AS a WHERE d BETWEEN ? AND ? AND n = ?"
    assert values == ["'2026-11-01'", "'2026-11-02'", "7"]
    assert sql.literal("it's") == "'it''s'"


def test_funnel_matches_hand_counts(engine):
    result = _run(engine, "funnel")
    got = {
        tuple(r[c] for c in service.FUNNEL_COLUMNS[:7]): (
            r["requests"],
            r["served"],
            r["impressions"],
            r["clicks"],
            r["holdout_exposures"],
            r["click_conversions"],
            r["view_conversions"],
            r["s2s_conversions"],
            r["revenue"],
        )
        for r in result["rows"]
    }
    assert got == fx.EXPECTED_FUNNEL
    row = next(r for r in result["rows"] if r["day"] == "2026-11-11" and r["creative_id"] == "a2")
    assert row["ctr"] == 1.0 and row["cvr_per_click"] == 1.0 and row["cvr_per_impression"] == 2.0
    assert result["data_as_of"] and result["status"] == "done"


@pytest.mark.parametrize("mode", ["json", "parquet", "mixed"])
def test_an_order_delivered_twice_and_reported_again_counts_once(tmp_path, mode):
    """Firehose may deliver a record twice (the same event id and time), and a brand may report an
    order again later with another value: the order counts once, from its first report."""
    fx.write_dir(tmp_path)
    o3 = next(rec for _, rec in fx.EVENTS if rec["order_id"] == "O3")
    again = {**o3, "event_id": "f" * 32, "received_at": "2026-11-11T05:01:00.000+00:00", "value": 9999.0}
    extra = fx.by_folder([("2026-11-11", dict(o3)), ("2026-11-11", again)])["2026-11-11"]
    (tmp_path / "events" / "dt=2026-11-11" / "xsell-events-2-2026-11-11.gz").write_bytes(extra)
    runner = engines.DuckDBEngine(engines.DirStore(tmp_path))
    if mode == "parquet":
        assert runner.compact_finished(fx.NOW)
    else:
        if mode == "mixed":
            assert runner.compact("2026-11-01") and runner.compact("2026-11-10")
        runner.compact_finished = lambda *a, **k: []
    service.CACHE.clear()
    rows = _run(runner, "funnel")["rows"]
    got = {
        tuple(r[c] for c in service.FUNNEL_COLUMNS[:7]): (r["click_conversions"], r["revenue"]) for r in rows
    }
    expected = {k: (v[5], v[8]) for k, v in fx.EXPECTED_FUNNEL.items()}
    assert got == expected


def test_duckdb_results_are_plain_values(tmp_path):
    """Dates, times and decimals come back as ISO texts and floats; other values as DuckDB gives them."""
    runner = engines.DuckDBEngine(engines.DirStore(tmp_path))
    result = runner.execute(
        "SELECT DATE '2026-11-11' AS d, TIMESTAMP '2026-11-11 01:02:03' AS ts, "
        "CAST(1.25 AS DECIMAL(10, 2)) AS money, CAST(:n AS BIGINT) AS n, 'x' AS s, "
        "CAST(NULL AS DATE) AS nothing, 0.5E0 AS f, true AS yes",
        {"n": 7},
        engines.Scan("2026-11-11", "2026-11-11"),
    )
    assert result.rows == [
        {
            "d": "2026-11-11",
            "ts": "2026-11-11T01:02:03",
            "money": 1.25,
            "n": 7,
            "s": "x",
            "nothing": None,
            "f": 0.5,
            "yes": True,
        }
    ]
    assert isinstance(result.rows[0]["money"], float)


def test_funnel_click_window_is_configurable(engine):
    # With a 1-day window c1's order (25 h after the click) is no longer click-through, and the
    # impression is older than the 1-day view window too: not credited at all.
    result = _run(engine, "funnel", click_window_days="1")
    a1 = [r for r in result["rows"] if r["creative_id"] == "a1" and r["day"] == "2026-11-11"]
    assert a1 == []


def test_ab_counts_and_statistics(engine):
    rows = {(r["campaign_id"], r["creative_id"]): r for r in _run(engine, "ab")["rows"]}
    for key, expected in fx.EXPECTED_AB.items():
        r = rows[key]
        assert (
            r["customers"],
            r["impressions"],
            r["clicks"],
            r["clickers"],
            r["converters"],
            r["conversions"],
            r["revenue"],
        ) == expected
    assert rows[("camp-a", "a1")]["is_control"] and not rows[("camp-a", "a2")]["is_control"]
    assert rows[("camp-a", "a2")]["click_absolute_lift"] == pytest.approx(0.5 - 1.0)
    assert rows[("camp-a", "a1")]["srm_p"] == pytest.approx(0.5637, abs=1e-4)  # chi2 = 1/3, 1 dof


def test_ab_counts_a_variant_nobody_converted_on_as_zero_converters(engine):
    # On 2026-11-10 alone the exposed customers order nothing inside the range. DuckDB's count_if
    # over a group whose every predicate is NULL (no matching order) gives NULL, Trino's gives 0.
    rows = _run(engine, "ab", **{"from": "2026-11-10", "until": "2026-11-10"})["rows"]
    assert rows, "the day has exposures"
    for r in rows:
        assert (r["converters"], r["conversions"], r["conversion_rate"]) == (0, 0, 0.0)


def test_holdout_arms(engine):
    rows = _run(engine, "holdout")["rows"]
    got = {r["campaign_id"]: r for r in rows}
    a = got["camp-a"]
    assert (a["treatment_customers"], a["treatment_converters"], a["treatment_revenue"]) == (3, 3, 3500.0)
    assert (a["holdout_customers"], a["holdout_converters"], a["holdout_revenue"]) == (1, 1, 700.0)
    assert a["incremental_revenue"] == pytest.approx((3500 / 3 - 700) * 3)
    assert got["camp-b"]["holdout_customers"] == 0


def test_holdout_raw_rows(engine):
    text = sql.load("holdout")
    params = service.parse(service.REPORTS["holdout"], fx.RANGE, fx.NOW)
    scan = engines.plan_scan(engine.store, *service.scan_range(service.REPORTS["holdout"], params))
    rows = engine.execute(text, {**params.sql(""), **scan.params}, scan).rows
    got = {
        (r["campaign_id"], r["arm"]): (
            r["customers"],
            r["converters"],
            r["conversions"],
            r["revenue"],
            r["revenue_sq"],
        )
        for r in rows
    }
    assert got == fx.EXPECTED_HOLDOUT


def test_pairs(engine):
    rows = _run(engine, "pairs")["rows"]
    got = {
        (r["source_brand"], r["destination_brand"]): (
            r["impressions"],
            r["referrals_sent"],
            r["referrals_received"],
            r["conversions"],
            r["revenue"],
            r["new_customers"],
        )
        for r in rows
    }
    assert got == fx.EXPECTED_PAIRS
    hana_tabi = next(r for r in rows if r["source_brand"] == "hana")
    assert hana_tabi["configured_ratio"] == 2 and hana_tabi["balance"] == 2


def test_settlement(engine):
    result = service.run(ADMIN, "settlement", {"month": "2026-11"}, now=fx.NOW, use=engine, context=CONTEXT)
    got = {
        (r["kind"], r["payer_brand"], r["payee_brand"]): (r["conversions"], r["revenue"], r["amount"])
        for r in result["rows"]
    }
    assert got == fx.EXPECTED_SETTLEMENT
    csv = service.as_csv(result).decode("utf-8")
    assert csv.startswith("\ufeffkind,month,payer_brand,payee_brand,currency")


def test_brand_marketer_gets_only_their_pairs(engine):
    funnel = _run(engine, "funnel", UMI)["rows"]
    assert funnel and all("umi" in (r["source_brand"], r["destination_brand"]) for r in funnel)
    pairs = _run(engine, "pairs", UMI)["rows"]
    assert [(r["source_brand"], r["destination_brand"]) for r in pairs] == [("umi", "hana")]
    ab = _run(engine, "ab", UMI)["rows"]
    assert {r["campaign_id"] for r in ab} == {"camp-b"}
    settlement = service.run(UMI, "settlement", {"month": "2026-11"}, now=fx.NOW, use=engine, context=CONTEXT)
    assert {(r["kind"], r["payee_brand"]) for r in settlement["rows"]} == {("pair", "umi"), ("net", "umi")}
    with pytest.raises(NotAllowed):
        _run(engine, "funnel", NOBODY)


def test_results_are_cached_until_the_data_changes(engine, tmp_path):
    first = _run(engine, "funnel")
    again = _run(engine, "funnel")
    assert not first["cached"] and again["cached"] and again["rows"] == first["rows"]
    if engine.store.listing(layout.COMPACTED_PREFIX, "2026-11-12", "2026-11-12"):
        return  # a compacted day is final: late JSON objects are not read again (docs/reports.md)
    folder = tmp_path / "events" / "dt=2026-11-12"
    (folder / "late.gz").write_bytes(fx.by_folder([("2026-11-12", fx.EVENTS[-6][1])])["2026-11-12"])
    assert not _run(engine, "funnel")["cached"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-11-12", "until": "2026-11-01"}, "from"),
        ({"from": "2026-01-01", "until": "2026-11-01"}, "from"),
        ({"click_window_days": "0"}, "click_window_days"),
        ({"view_window_days": "x"}, "view_window_days"),
        ({"campaign": "a b"}, "campaign"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_parameters_name_the_field(query, field):
    with pytest.raises(InvalidRequest) as caught:
        service.parse(service.REPORTS["ab"], query, fx.NOW)
    assert caught.value.field == field


def test_settlement_month_parameter():
    with pytest.raises(InvalidRequest) as caught:
        service.parse(service.REPORTS["settlement"], {"month": "2026-13"}, fx.NOW)
    assert caught.value.field == "month"
    values = service.parse(service.REPORTS["settlement"], {"month": "2026-02"}, fx.NOW).values
    assert (values["from"], values["until"]) == ("2026-02-01", "2026-02-28")


def test_json_folders_cover_neighbours():
    assert layout.json_folders(["2026-11-10"], ["2026-11-09", "2026-11-11", "2026-11-20"]) == [
        "2026-11-09",
        "2026-11-11",
    ]


def test_compacted_files_have_the_glue_tables_columns_in_order(tmp_path):
    """Athena's INSERT INTO matches by position: each compaction query selects the columns in the
    order its Glue table declares them (engines.PARQUET_COLUMNS, engines.ROLLUP_COLUMNS)."""
    import duckdb

    fx.write_dir(tmp_path)
    runner = engines.DuckDBEngine(engines.DirStore(tmp_path))
    assert runner.compact("2026-11-10") and runner.compact("2026-11-11")
    files = {
        "events_parquet": tmp_path / layout.compacted_key("2026-11-11"),
        **{t: tmp_path / layout.rollup_key(t, "2026-11-11") for t in engines.ROLLUP_COLUMNS},
    }
    expected = {"events_parquet": engines.PARQUET_COLUMNS, **engines.ROLLUP_COLUMNS}
    con = duckdb.connect()
    for table, path in files.items():
        query = f"SELECT * FROM read_parquet('{path}', hive_partitioning = false) LIMIT 0"
        names = [d[0] for d in con.execute(query).description]
        assert names == list(expected[table]), table
        codecs = con.execute(f"SELECT DISTINCT compression FROM parquet_metadata('{path}')").fetchall()
        assert codecs == [(layout.COMPRESSION[table],)], table  # as the Glue table declares it
    # the day's orders with their latest touches: O1 (twice), O2, O3 and O6 on 11-11
    path = files["conversion_touches"]
    touches = con.execute(
        "SELECT order_id, click_campaign_id, view_creative_id, prev_day "
        f"FROM read_parquet('{path}') ORDER BY order_id, event_ts"
    ).fetchall()
    assert touches == [
        ("O1", "camp-a", "a1", None),
        ("O1", "camp-a", "a1", "2026-11-11"),  # reported again five minutes later
        ("O2", None, "a2", None),
        ("O3", "camp-a", "a2", None),
        ("O6", None, None, None),  # its click was on 11-01, not compacted here
    ]


def test_reports_with_every_day_compacted_do_not_plan_the_raw_events():
    """With raw=False the text reads only the compacted tables (the sections between the `raw days`
    markers are left out), and a report that does not read `events` does not get it."""
    for name in sql.REPORT_QUERIES:
        full, compacted = sql.load(name), sql.load(name, raw=False)
        assert "events_json" in full and "events_json" not in compacted, name
        assert "raw days" not in compacted, name
        sql.for_duckdb(compacted)
    assert "events AS (" not in sql.load("funnel") and "events_parquet" not in sql.load("funnel", raw=False)
    assert "events AS (" in sql.load("ab", raw=False)


# O3 (first reported on 11-11) is reported again on 11-12 with another value.
_AGAIN = {"received_at": "2026-11-12T06:00:00.000+00:00", "value": 9999.0, "event_id": "e" * 32}


@pytest.mark.parametrize(
    ("compacted", "in_order"),
    [
        ((), True),
        (("2026-11-01", "2026-11-10", "2026-11-11", "2026-11-12"), True),
        (("2026-11-01", "2026-11-10", "2026-11-11"), True),
        (("2026-11-01", "2026-11-10", "2026-11-12"), False),
    ],
    ids=["json", "parquet", "first-compacted", "repeat-compacted-first"],
)
def test_an_order_reported_again_on_a_later_day_counts_once_in_a_period(tmp_path, compacted, in_order):
    """An order counts once in a period, on the day of its first report in it: with both days in
    the period only 11-11 counts it; a period starting on 11-12 counts the later report. The same
    whichever of the two days are compacted, even when the later day was compacted while the
    earlier one was not (its rows then know nothing of the earlier report)."""
    fx.write_dir(tmp_path)
    o3 = next(rec for _, rec in fx.EVENTS if rec["order_id"] == "O3")
    # ... shortly after seeing a2 again: on its own day the repeat has a touch to be credited to
    seen = fx.record("impression", "2026-11-12T05:30:00+00:00", 3, "camp-a", "a2", "d3")
    extra = fx.by_folder([("2026-11-12", seen), ("2026-11-12", {**o3, **_AGAIN})])["2026-11-12"]
    (tmp_path / "events" / "dt=2026-11-12" / "xsell-events-2-2026-11-12.gz").write_bytes(extra)
    runner = engines.DuckDBEngine(engines.DirStore(tmp_path))
    for day in compacted:
        assert runner.compact(day)
    runner.compact_finished = lambda *a, **k: []

    def conversions(**period):
        service.CACHE.clear()
        rows = _run(runner, "funnel", **period)["rows"]
        return {
            tuple(r[c] for c in service.FUNNEL_COLUMNS[:7]): (r["click_conversions"], r["revenue"])
            for r in rows
            if r["click_conversions"] or r["view_conversions"]
        }

    # the whole period: exactly the fixture's conversions, the repeat adds nothing
    assert conversions() == {k: (v[5], v[8]) for k, v in fx.EXPECTED_FUNNEL.items() if v[5] or v[6]}
    if not in_order:
        return  # 11-12's compaction found no touch on 11-11: compaction assumes the days before it are
    # from 11-12: the repeat is the order's first report in the period (the click on 11-11 is
    # inside the 7-day window), with the value it was reported with then
    assert conversions(**{"from": "2026-11-12"}) == {
        ("2026-11-12", "camp-a", "a2", "hana-web", "hana", "tabi", "unknown"): (1, 9999.0),
        ("2026-11-12", "camp-b", "b1", "umi-web", "umi", "hana", "unknown"): (1, 3000.0),
    }


def test_the_catalogue_states_what_each_report_runs_with_when_left_out():
    now = dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC)  # already 2026-12-01 in Tokyo
    found = {r["report"]: r for r in service.catalogue(now)}
    assert found["funnel"]["defaults"] == {
        "from": "2026-11-25",
        "until": "2026-12-01",
        "click_window_days": str(service.DEFAULT_CLICK_WINDOW),
        "view_window_days": str(service.DEFAULT_VIEW_WINDOW),
    }
    assert "campaign" not in found["ab"]["defaults"]  # every campaign, unless one is named
    assert found["settlement"]["defaults"]["month"] == "2026-12"
    for report in found.values():  # each default is one the report accepts as given
        spec = service.REPORTS[report["report"]]
        assert set(report["defaults"]) <= set(report["parameters"])
        service.parse(spec, report["defaults"], now)
