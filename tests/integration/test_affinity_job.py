"""The nightly brand-affinity job on the local system: the affinity function counts the whole
profiles table, publishes the lifts as a config version, which every later publish carries, a
rollback leaves no draft of, decide can read, and the admin API shows as the ``affinity`` report
(only a marketer's own brand's pairs, CSV included)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import Counter
from itertools import permutations
from typing import Any

import boto3
import pytest

from demo import seed
from local import lambda_runtime
from tests.admin_api import sign_in_users
from tests.integration.test_reports_api import get
from xsell import env, roles
from xsell.admin import configs
from xsell.dal import config as config_store
from xsell.dal import customers
from xsell.decisioning.catalog import AFFINITY_ID, AFFINITY_KIND, compile_affinity
from xsell.errors import InvalidRequest
from xsell.reporting import affinity


@pytest.fixture(scope="module")
def customers_imported(local_system) -> None:
    refs = seed.seed_customers(local_system.resources.drop_bucket, count=300)
    local_system.dispatcher.drain()
    assert seed.wait_for_jobs(refs, timeout=60) == ["succeeded", "succeeded"]


@pytest.fixture(scope="module")
def tokens(local_system) -> dict[str, str]:
    users = (("admin", roles.GROUP_ADMIN, None), ("tabi", roles.BRAND_MARKETER, "tabi"))
    return sign_in_users(local_system, "affinity", users)


def by_hand() -> tuple[int, Counter, Counter]:
    """Customers, users per brand and users per ordered pair, read straight from the table."""
    client = boto3.session.Session().client("dynamodb")
    total, users, both = 0, Counter(), Counter()
    for page in client.get_paginator("scan").paginate(TableName=env.table_name(env.PROFILES_TABLE)):
        for item in page["Items"]:
            if item["customer_id"]["S"].startswith(customers.STATE_PREFIX):
                continue
            total += 1
            used = {
                brand
                for brand, usage in item.get("brands", {}).get("M", {}).items()
                if usage.get("M", {}).get("used", {}).get("N", "0") not in ("0", None)
                or usage.get("M", {}).get("used", {}).get("BOOL") is True
            }
            users.update(used)
            both.update(permutations(sorted(used), 2))
    return total, users, both


def run_job() -> dict[str, Any]:
    """The affinity function as its nightly rule invokes it."""
    published: dict[str, Any] = lambda_runtime.invoke("affinity", {"source": "aws.events"})
    return published


def test_the_job_publishes_the_lifts_of_the_whole_store(local_system, customers_imported):
    before = config_store.live_version()
    published = run_job()
    total, users, both = by_hand()
    assert published["version"] == config_store.live_version() > before
    assert published["customers"] == total and total >= 300
    doc = config_store.live_document(AFFINITY_KIND, AFFINITY_ID)
    assert doc["customers"] == total
    pairs = {(p["source_brand"], p["destination_brand"]): p for p in doc["pairs"]}
    assert set(pairs) == set(permutations(sorted(users), 2))
    for (a, b), pair in pairs.items():
        assert (pair["source_customers"], pair["destination_customers"], pair["both_customers"]) == (
            users[a],
            users[b],
            both[(a, b)],
        )
        expected = round(both[(a, b)] * total / (users[a] * users[b]), 4) if users[a] >= 30 else None
        assert pair["usage_lift"] == expected, (a, b)
        assert pair["lift"] == (pair["observed_lift"] if pair["lift_source"] == "observed" else expected)
    # What decide compiles from it: every pair with a lift.
    assert compile_affinity(doc) == {k: p["lift"] for k, p in pairs.items() if p["lift"] is not None}
    entries = config_store_audit(published["version"])
    assert [(e["user"], [c["kind"] for c in e["detail"]["changes"]]) for e in entries] == [
        ("system", ["affinity"])
    ]


def config_store_audit(version: int) -> list[dict[str, Any]]:
    from xsell.admin import audit
    from xsell.admin.configs import SYSTEM

    return audit.search(SYSTEM, action="publish", obj=f"version/{version}")


def test_nothing_new_publishes_nothing(local_system, customers_imported):
    first = run_job()
    assert run_job()["version"] == first["version"] == config_store.live_version()


def test_a_marketers_publish_carries_the_lifts_and_a_rollback_drafts_none(local_system, customers_imported):
    run_job()
    doc = config_store.live_document(AFFINITY_KIND, AFFINITY_ID)
    group = config_store.live_document("group", "group") or {}
    version = configs.publish_documents(
        {"group": {"group": {**group, "two_person_approval": not group.get("two_person_approval", True)}}},
        "a change",
    )
    assert config_store.live_document(AFFINITY_KIND, AFFINITY_ID) == doc  # carried, and still valid
    configs.restore(configs.SYSTEM, version - 1, "roll back")
    assert config_store.live_document(AFFINITY_KIND, AFFINITY_ID) == doc
    assert [d for d in config_store.drafts(AFFINITY_KIND)] == []  # nothing a marketer could edit


@pytest.mark.parametrize(
    "pairs",
    [
        "not a list",
        [{"source_brand": "hana", "destination_brand": "hana", "lift": 1.0}],
        [{"source_brand": "hana", "destination_brand": "tabi", "lift": -1}],
        [{"source_brand": "hana", "destination_brand": "tabi", "lift": "high"}],
        ["hana>tabi"],
    ],
)
def test_an_unusable_affinity_document_is_never_published(local_system, pairs):
    version = config_store.live_version()
    with pytest.raises(InvalidRequest, match="affinity"):
        configs.publish_computed(AFFINITY_KIND, AFFINITY_ID, {"pairs": pairs}, "bad")
    assert config_store.live_version() == version


def test_only_computed_kinds_are_published_this_way(local_system):
    with pytest.raises(ValueError, match="not a computed kind"):
        configs.publish_computed("campaign", "c1", {}, "no")


def test_the_admin_api_shows_the_lifts_as_a_report_scoped_to_the_brand(
    local_system, customers_imported, tokens
):
    run_job()
    status, body = get(local_system, tokens["admin"], "/reports")
    assert "affinity" in [r["report"] for r in json.loads(body)]
    status, body = get(local_system, tokens["admin"], "/reports/affinity")
    answer = json.loads(body)
    assert status == 200, answer
    doc = config_store.live_document(AFFINITY_KIND, AFFINITY_ID)
    assert answer["data_as_of"] == doc["computed_at"] and len(answer["rows"]) == len(doc["pairs"])
    lifts = [r["lift"] for r in answer["rows"] if r["lift"] is not None]
    assert lifts == sorted(lifts, reverse=True)  # highest first
    row = answer["rows"][0]
    assert row["p_destination_given_source"] == round(row["both_customers"] / row["source_customers"], 6)
    assert row["p_destination"] == round(row["destination_customers"] / doc["customers"], 6)

    status, body = get(local_system, tokens["tabi"], "/reports/affinity")
    scoped = json.loads(body)
    assert status == 200 and scoped["brand_scope"] == "tabi" and scoped["rows"]
    assert all("tabi" in (r["source_brand"], r["destination_brand"]) for r in scoped["rows"])
    assert len(scoped["rows"]) < len(answer["rows"])

    status, body = get(local_system, tokens["tabi"], "/reports/affinity/export")
    assert status == 200 and body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert (
        rows[0][:3] == ["source_brand", "destination_brand", "lift"] and len(rows) == len(scoped["rows"]) + 1
    )

    status, body = get(local_system, tokens["admin"], "/reports/affinity?from=2026-01-01")
    assert status == 400 and json.loads(body)["field"] == "from"


def test_the_document_records_when_and_over_how_many(local_system):
    tally = affinity.tally([{"brands": {"a": {"used": True}}}] * 40)
    doc = affinity.document(tally, dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.timezone(dt.timedelta(hours=9))))
    assert doc["computed_at"] == "2026-11-30T17:00:00+00:00" and doc["customers"] == 40 and doc["pairs"] == []


def test_with_enough_referrals_a_pair_takes_the_lift_its_referrals_showed(
    local_system, customers_imported, tokens
):
    seed.seed_events(local_system.resources.events_bucket)  # a few weeks of referrals and orders
    today = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=9)).date()
    status, body = get(
        local_system, tokens["admin"], f"/reports/pairs?from={today - dt.timedelta(days=29)}&until={today}"
    )
    report = json.loads(body)["rows"]
    referrals = sum(r["referrals_sent"] for r in report)
    conversions = sum(r["conversions"] for r in report)
    assert status == 200 and referrals and conversions
    busiest = max(report, key=lambda r: r["referrals_sent"])
    quiet = min(report, key=lambda r: r["referrals_sent"])
    assert busiest["referrals_sent"] > quiet["referrals_sent"]

    affinity.refresh(min_referrals=busiest["referrals_sent"])  # only the busiest pair has enough
    doc = config_store.live_document(AFFINITY_KIND, AFFINITY_ID)
    pairs = {(p["source_brand"], p["destination_brand"]): p for p in doc["pairs"]}
    top = pairs[(busiest["source_brand"], busiest["destination_brand"])]
    expected = (busiest["conversions"] / busiest["referrals_sent"]) / (conversions / referrals)
    assert top["lift_source"] == "observed" and top["referrals"] == busiest["referrals_sent"]
    assert top["lift"] == top["observed_lift"] == round(expected, 4)
    others = [p for p in pairs.values() if p["referrals"] < busiest["referrals_sent"]]
    assert others
    assert all(p["lift_source"] in ("usage", None) and p["lift"] == p["usage_lift"] for p in others)
    assert compile_affinity(doc)[(busiest["source_brand"], busiest["destination_brand"])] == top["lift"]
