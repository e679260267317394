"""The reports screen in Chromium: a brand marketer reads the brand-pair matrix for the demo
weeks, sees only pairs with their brand and when the data is from, and downloads the CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io

from demo import events, seed
from tests.e2e.test_admin_spa import axe, go, shoot, sign_in, sign_out, user
from xsell import roles
from xsell.admin.access import Principal
from xsell.reporting import service


def test_a_brand_marketer_reads_the_pair_matrix_for_their_brand(demo_system, page) -> None:
    seed.seed_events(demo_system.resources.events_bucket)
    sign_in(page, demo_system, user(demo_system, "reports-umi", roles.BRAND_MARKETER, "umi"))
    go(page, demo_system, "reports")
    today = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=9)).date()
    page.get_by_label("レポート").select_option("pairs")
    # The form opens on what the API would use: the last 7 days up to today in Tokyo.
    assert page.get_by_label("開始日").input_value() == str(today - dt.timedelta(days=6))
    assert page.get_by_label("終了日").input_value() == str(today)
    page.get_by_label("開始日").fill(str(today - dt.timedelta(days=20)))
    page.get_by_label("終了日").fill(str(today))
    page.get_by_role("button", name="表示").click()
    table = page.locator("table[data-report=pairs]")
    table.wait_for(timeout=60_000)
    header = table.locator("thead th").all_inner_texts()
    columns = table.locator("thead th").evaluate_all("ths => ths.map((th) => th.dataset.column)")
    assert header[:2] == ["送客元ブランド", "送客先ブランド"]  # labels, not the SQL names
    rows = [row.locator("td").all_inner_texts() for row in table.locator("tbody tr").all()]
    assert rows, "no pair rows for the demo weeks"
    source, destination = columns.index("source_brand"), columns.index("destination_brand")
    assert all("umi" in (row[source], row[destination]) for row in rows)
    assert page.get_by_text("umi を含むブランド間のみ").is_visible()
    assert "データ時点" in page.locator("p.meta").inner_text()
    assert f"期間: {today - dt.timedelta(days=20)} 〜 {today}" in page.locator("p.meta").inner_text()
    shoot(page, "reports-pairs")
    axe(page, "reports-pairs")

    with page.expect_download() as download:
        page.get_by_role("button", name="CSV をダウンロード").click()
    text = download.value.path().read_bytes().decode("utf-8-sig")
    exported = list(csv.reader(io.StringIO(text)))
    assert exported[0] == columns and len(exported) == len(rows) + 1  # the CSV keeps the SQL names
    page.get_by_role("button", name="English").click()
    page.locator("html[lang=en]").wait_for(state="attached")  # English is fetched on its first click
    assert table.locator("thead th").all_inner_texts()[:2] == ["Source brand", "Destination brand"]


def test_the_volume_screen_charts_30_days_of_referrals_per_brand(demo_system, page) -> None:
    seed.seed_events(demo_system.resources.events_bucket)
    sign_in(page, demo_system, user(demo_system, "trend-admin", roles.GROUP_ADMIN))
    go(page, demo_system, "volume")
    chart = page.locator("figure.trend svg")
    chart.wait_for(timeout=60_000)
    legend = page.locator("figure.trend figcaption").inner_text()
    brands = legend.count("──")  # other tests of the session may have measured their own brands
    assert brands >= 3 and all(f"{b}:" in legend for b in ("hana", "tabi", "umi"))
    assert chart.locator("polyline").count() == 2 * brands  # sent and received, for each brand
    page.locator("details summary").click()
    cells = page.locator("details table tbody tr").first.locator("td").all_inner_texts()
    assert len(cells) == 1 + 2 * brands
    totals = page.locator("details table tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.querySelectorAll('td')].slice(1)"
        ".map(c => Number(c.textContent.replace(/,/g, ''))))"
    )
    assert sum(map(sum, totals)) > 0
    shoot(page, "volume-trend")
    axe(page, "volume-trend")


def _run_report(page, demo_system, name: str) -> None:
    today = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=9)).date()
    page.get_by_label("レポート", exact=True).select_option(name)
    page.get_by_label("開始日").fill(str(today - dt.timedelta(days=20)))
    page.get_by_label("終了日").fill(str(today))
    page.get_by_role("button", name="表示").click()
    page.locator(f"table[data-report={name}]").wait_for(timeout=180_000)  # the first compacts the demo days


def _numbers(page, name: str, column: str) -> list[float]:
    """A column of the report's table as numbers (formatted with thousands separators)."""
    table = page.locator(f"table[data-report={name}]")
    header = table.locator("thead th").evaluate_all("ths => ths.map(th => th.dataset.column)")
    at = header.index(column)
    cells = table.locator("tbody tr").evaluate_all(
        f"rows => rows.map(r => r.querySelectorAll('td')[{at}].textContent)"
    )
    return [float(c.replace(",", "")) if c not in ("—", "") else float("nan") for c in cells]


def test_the_reports_screen_charts_the_funnel_ab_and_holdout(demo_system, page) -> None:
    seed.seed_events(demo_system.resources.events_bucket)
    sign_in(page, demo_system, user(demo_system, "charts-admin", roles.GROUP_ADMIN))
    go(page, demo_system, "reports")

    _run_report(page, demo_system, "funnel")
    chart = page.locator("figure[data-chart=funnel] svg")
    series = chart.locator("polyline").evaluate_all("ls => ls.map(l => l.dataset.series)")
    assert series == ["requests", "served", "impressions", "clicks", "click_conversions"]
    days = len(set(page.locator("table[data-report=funnel] tbody tr td:first-child").all_inner_texts()))
    points = chart.locator("polyline[data-series=clicks]").get_attribute("points").split()
    assert len(points) == days > 1  # one point per day in the table
    assert sum(_numbers(page, "funnel", "requests")) > 0  # decide's requests are in the funnel
    shoot(page, "reports-funnel-chart")
    axe(page, "reports-funnel-chart")

    _run_report(page, demo_system, "ab")
    bars = page.locator("figure[data-chart=ab] g[data-bar]")
    rows = page.locator("table[data-report=ab] tbody tr").count()
    assert bars.count() == rows > 1
    controls = page.locator("table[data-report=ab] tbody tr").evaluate_all(
        "rows => rows.map(r => r.textContent)"
    )
    assert page.locator("figure[data-chart=ab] line.ci").count() >= 1  # a variant's interval
    assert page.locator("figure[data-chart=ab] line.ci").count() < len(controls)  # not the controls'

    _run_report(page, demo_system, "holdout")
    arms = page.locator("figure[data-chart=holdout] g[data-bar]")
    campaigns = page.locator("table[data-report=holdout] tbody tr").count()
    assert arms.count() == 2 * campaigns  # treatment and holdout per campaign
    widths = arms.locator("rect").evaluate_all("rs => rs.map(r => Number(r.getAttribute('width')))")
    assert max(widths) > 0
    shoot(page, "reports-holdout-chart")


def test_a_brand_marketer_reads_the_brand_affinity_of_their_brand(demo_system, page) -> None:
    seed.publish_affinity()  # the nightly job, once: the demo customers' brand usage
    sign_in(page, demo_system, user(demo_system, "affinity-hana", roles.BRAND_MARKETER, "hana"))
    go(page, demo_system, "reports")
    page.get_by_label("レポート", exact=True).select_option("affinity")
    assert page.get_by_label("開始日").count() == 0  # computed nightly: no period to pick
    page.get_by_role("button", name="表示").click()
    table = page.locator("table[data-report=affinity]")
    table.wait_for(timeout=30_000)
    columns = table.locator("thead th").evaluate_all("ths => ths.map((th) => th.dataset.column)")
    header = table.locator("thead th").all_inner_texts()
    assert header[:3] == ["送客元ブランド", "送客先ブランド", "リフト(親和性)"]
    rows = [row.locator("td").all_inner_texts() for row in table.locator("tbody tr").all()]
    source, destination = columns.index("source_brand"), columns.index("destination_brand")
    assert rows and all("hana" in (row[source], row[destination]) for row in rows)
    lifts = _numbers(page, "affinity", "lift")
    known = [x for x in lifts if x == x]  # NaN for a pair without enough customers
    assert known and known == sorted(known, reverse=True)
    assert "データ時点" in page.locator("p.meta").inner_text()
    shoot(page, "reports-affinity")
    axe(page, "reports-affinity")


def test_home_shows_todays_referrals_per_brand_as_the_funnel_counts_them(demo_system, page) -> None:
    today = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=9)).date()
    events.write_s3(demo_system.resources.events_bucket, days=1, end=today, customers=300, seed=11)
    admin = Principal("today-ref", "today@xsell.example", roles.GROUP_ADMIN, None)
    rows = service.run(admin, "funnel", {"from": str(today), "until": str(today)})["rows"]
    expected: dict[str, list[int]] = {}
    for row in rows:
        if row["day"] == str(today) and row["destination_brand"]:
            expected.setdefault(row["source_brand"], [0, 0])[0] += row["clicks"]
            expected.setdefault(row["destination_brand"], [0, 0])[1] += row["clicks"]
    expected = {brand: sums for brand, sums in expected.items() if any(sums)}
    assert expected, "the generated day has referrals"

    sign_in(page, demo_system, user(demo_system, "today-admin", roles.GROUP_ADMIN))
    go(page, demo_system, "")
    card = page.locator("section[aria-labelledby=home-today]")
    card.locator("[data-state=ready]").wait_for(timeout=60_000)
    shown = {
        cells[0]: [int(cells[1].replace(",", "")), int(cells[2].replace(",", ""))]
        for cells in (r.locator("td").all_inner_texts() for r in card.locator("tbody tr").all())
    }
    assert shown == expected
    totals = [sum(s) for s in shown.values()]
    assert totals == sorted(totals, reverse=True)  # busiest brand first
    assert "データ時点" in card.locator("p.meta").inner_text()
    shoot(page, "home-today")
    axe(page, "home-today")

    # A brand marketer's card counts only referrals that involve their brand, and says so.
    sign_out(page)
    sign_in(page, demo_system, user(demo_system, "today-umi", roles.BRAND_MARKETER, "umi"))
    go(page, demo_system, "")
    card.locator("[data-state=ready]").wait_for(timeout=60_000)
    assert "umi を含むブランド間のみ" in card.locator("p.meta").inner_text()
    umi = card.locator("tbody tr", has=page.locator("td:text-is('umi')")).locator("td").all_inner_texts()
    assert [int(x.replace(",", "")) for x in umi[1:]] == expected["umi"]  # all of umi's own referrals
