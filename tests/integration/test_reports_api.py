"""Reports through the local gateway with real sign-ins, over synthetic events in the local S3."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from demo import seed
from tests.admin_api import call, sign_in_users
from xsell import roles


@pytest.fixture(scope="module")
def tokens(local_system) -> dict[str, str]:
    seed.seed_events(local_system.resources.events_bucket)
    users = (("admin", roles.GROUP_ADMIN, None), ("umi", roles.BRAND_MARKETER, "umi"))
    return sign_in_users(local_system, "reports", users)


def get(system: Any, token: str, path: str) -> tuple[int, bytes]:
    return call(system, token, "GET", path, timeout=60)  # a first report compacts the demo days


def days(system: Any, token: str) -> str:
    """The range the generated events cover: the three weeks up to today (Asia/Tokyo)."""
    import datetime as dt

    today = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=9)).date()
    return f"from={today - dt.timedelta(days=20)}&until={today}"


def test_every_report_answers_with_rows_and_data_as_of(local_system, tokens):
    status, body = get(local_system, tokens["admin"], "/reports")
    assert status == 200
    names = [r["report"] for r in json.loads(body)]
    assert set(names) >= {"funnel", "ab", "holdout", "pairs", "settlement"}
    status, body = get(local_system, tokens["admin"], f"/reports/pairs?{days(local_system, tokens['admin'])}")
    answer = json.loads(body)
    assert status == 200, answer
    assert answer["status"] == "done" and answer["rows"] and answer["data_as_of"]
    brands = {b for row in answer["rows"] for b in (row["source_brand"], row["destination_brand"])}
    assert {"hana", "tabi", "umi"} <= brands


def test_a_brand_marketer_gets_only_pairs_with_their_brand(local_system, tokens):
    status, body = get(local_system, tokens["umi"], f"/reports/pairs?{days(local_system, tokens['umi'])}")
    answer = json.loads(body)
    assert status == 200, answer
    assert answer["rows"] and answer["brand_scope"] == "umi"
    assert all("umi" in (row["source_brand"], row["destination_brand"]) for row in answer["rows"])


def test_every_report_downloads_as_a_spreadsheet_safe_csv(local_system, tokens):
    status, body = get(
        local_system, tokens["admin"], f"/reports/funnel/export?{days(local_system, tokens['admin'])}"
    )
    assert status == 200, body[:300]
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) > 1 and "campaign_id" in rows[0]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/reports/funnel?from=2026-13-01", "from"),
        ("/reports/funnel?click_window_days=99", "click_window_days"),
        ("/reports/settlement?month=26-1", "month"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(local_system, tokens, path, field):
    status, body = get(local_system, tokens["admin"], path)
    assert status == 400, body[:300]
    assert json.loads(body)["field"] == field


def test_an_unknown_report_is_a_404(local_system, tokens):
    assert get(local_system, tokens["admin"], "/reports/nope")[0] == 404
