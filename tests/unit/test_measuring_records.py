"""Stored event records: one schema for all types, customers hashed, days in Asia/Tokyo."""

from __future__ import annotations

import datetime as dt
import json

from local.moto_firehose import evaluate_prefix
from tests import decide_contract as contract
from xsell import signing
from xsell.measuring import records
from xsell.measuring.events import check

KEY = b"k" * 32
NOW = 1_800_000_000
CLAIMS = contract.claims(
    KEY,
    decision_id="a" * 32,
    site="umi-web",
    slot="top-banner",
    campaign="umi-to-hana",
    creative="umi-to-hana-a",
    source="umi",
    destination="hana",
    customer_id="C000042",
)
# 2026-11-23 23:30 in Tokyo is still the 23rd there, but 14:30 UTC.
LATE_EVENING_TOKYO = dt.datetime(2026, 11, 23, 14, 30, tzinfo=dt.UTC)
AFTER_MIDNIGHT_TOKYO = dt.datetime(2026, 11, 23, 15, 30, tzinfo=dt.UTC)


def test_the_reporting_day_is_the_tokyo_date():
    assert records.day(LATE_EVENING_TOKYO) == "2026-11-23"
    assert records.day(AFTER_MIDNIGHT_TOKYO) == "2026-11-24"
    assert records.partition_prefix(AFTER_MIDNIGHT_TOKYO) == "events/dt=2026-11-24/"


def test_the_local_firehose_evaluates_the_same_prefix_expression():
    tokyo = AFTER_MIDNIGHT_TOKYO.astimezone(records.TIME_ZONE)
    prefix = records.EVENTS_PREFIX + records.PARTITION_EXPRESSION
    assert evaluate_prefix(prefix, tokyo) == records.partition_prefix(AFTER_MIDNIGHT_TOKYO)
    assert evaluate_prefix("raw", AFTER_MIDNIGHT_TOKYO) == "raw/2026/11/23/15/"  # Firehose's default


def test_every_type_has_the_same_columns_and_only_a_customer_hash():
    impression = check({"type": "impression", "token": contract.slot_token(KEY, CLAIMS, now=NOW)}, KEY, NOW)
    conversion = check(
        {
            "type": "conversion",
            "ref": contract.ref_token(KEY, CLAIMS, now=NOW),
            "order_id": "O-9",
            "value": 1200.5,
            "currency": "JPY",
        },
        KEY,
        NOW,
    )
    shown = records.shape(impression, LATE_EVENING_TOKYO, KEY, "umi-web")
    bought = records.shape(conversion, LATE_EVENING_TOKYO, KEY, "hana-web")
    assert shown.keys() == bought.keys()
    assert shown["order_id"] is None and shown["conversion_site"] is None
    assert (bought["order_id"], bought["value"], bought["conversion_site"]) == ("O-9", 1200.5, "hana-web")
    assert shown["received_at"] == "2026-11-23T14:30:00.000+00:00" and shown["dt"] == "2026-11-23"
    assert shown["customer_hash"] == signing.customer_hash(KEY, "C000042")
    assert shown["event_id"] != bought["event_id"]


def test_a_raw_id_in_a_token_is_hashed_before_it_is_stored():
    raw = check(
        {"type": "click", "token": contract.slot_token(KEY, {**CLAIMS, "u": "C000042"}, now=NOW)}, KEY, NOW
    )
    record = records.shape(raw, LATE_EVENING_TOKYO, KEY)
    assert record["customer_hash"] == signing.customer_hash(KEY, "C000042")
    assert "C000042" not in records.encode(record).decode()


def test_records_are_json_lines():
    event = check({"type": "click", "token": contract.slot_token(KEY, CLAIMS, now=NOW)}, KEY, NOW)
    line = records.encode(records.shape(event, LATE_EVENING_TOKYO, KEY))
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert json.loads(line)["event_type"] == "click"
