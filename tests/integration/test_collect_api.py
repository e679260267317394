"""POST /v1/events through the local API gateway, over real HTTP, into local Firehose and S3."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request

import pytest

from tests import decide_contract as contract
from tests.stored_events import all_records, wait_for
from xsell import signing
from xsell.dal import secrets
from xsell.measuring import records
from xsell.measuring.events import MAX_BODY_BYTES, MAX_EVENTS

CUSTOMER = "C777001"
TEXT_PLAIN = {"content-type": "text/plain;charset=UTF-8"}


def post(system, body: bytes, headers: dict | None = None) -> tuple[int, dict, dict]:
    request = urllib.request.Request(
        f"{system.gateway.url}/v1/events", data=body, method="POST", headers=headers or TEXT_PLAIN
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read()), dict(err.headers)


def send(system, *events: dict, site: str = "hana-web") -> tuple[int, dict]:
    status, answer, _ = post(system, json.dumps({"site": site, "events": list(events)}).encode())
    return status, answer


@pytest.fixture
def key(local_system) -> bytes:
    return secrets.signing_key()


@pytest.fixture
def claims(key) -> dict:
    """One fresh decision on the hana site's top banner, referring to tabi."""
    return contract.demo_claims(key, CUSTOMER)


def stored(decision_id: str, count: int = 1) -> list[tuple[str, dict]]:
    return wait_for(lambda r: r["decision_id"] == decision_id, count=count, timeout=5)


def test_impression_click_and_conversion_are_stored_by_day_customer_hashed(local_system, key, claims):
    slot, ref = contract.slot_token(key, claims), contract.ref_token(key, claims)
    status, answer = send(
        local_system,
        {"type": "impression", "token": slot},
        {"type": "click", "token": slot},
        {"type": "conversion", "ref": ref, "order_id": "T-1001", "value": 12800, "currency": "JPY"},
        site="tabi-web",
    )
    assert (status, answer) == (200, {"accepted": 3, "rejected": 0, "reasons": {}, "rejections": []})

    found = stored(claims["d"], count=3)
    today = records.day(dt.datetime.now(dt.UTC))
    assert {key_.rsplit("/", 1)[0] + "/" for key_, _ in found} == {f"events/dt={today}/"}
    assert all(key_.endswith(".gz") for key_, _ in found)
    by_type = {record["event_type"]: record for _, record in found}
    assert set(by_type) == {"impression", "click", "conversion"}
    conversion = by_type["conversion"]
    assert (conversion["order_id"], conversion["value"], conversion["currency"]) == ("T-1001", 12800.0, "JPY")
    assert (conversion["conversion_site"], conversion["site_id"]) == ("tabi-web", "hana-web")
    for record in by_type.values():
        assert record["customer_hash"] == signing.customer_hash(key, CUSTOMER)
        assert (record["campaign_id"], record["source_brand"], record["destination_brand"]) == (
            "hana-to-tabi",
            "hana",
            "tabi",
        )
        assert record["dt"] == today and record["holdout"] is False
    assert CUSTOMER not in json.dumps([record for _, record in all_records()])


def test_holdout_exposures_are_stored_as_holdouts(local_system, key, claims):
    holdout = contract.slot_token(key, {**claims, "cr": None}, holdout=True)
    status, answer = send(local_system, {"type": "holdout", "token": holdout})
    assert (status, answer["accepted"]) == (200, 1)
    [(_, record)] = stored(claims["d"])
    assert (record["event_type"], record["holdout"], record["creative_id"]) == ("holdout", True, None)


def test_forged_wrong_purpose_expired_and_mismatched_tokens_are_rejected(local_system, key, claims):
    good = contract.slot_token(key, claims)
    body, mac = good.split(".")
    cases = [
        ({"type": "impression", "token": contract.slot_token(b"not-the-key", claims)}, "token_forged"),
        ({"type": "click", "token": body + "." + mac[::-1]}, "token_forged"),
        ({"type": "click", "token": "no-dot"}, "token_malformed"),
        ({"type": "impression", "token": contract.ref_token(key, claims)}, "token_wrong_purpose"),
        (
            {"type": "conversion", "ref": good, "order_id": "A1", "value": 1, "currency": "JPY"},
            "token_wrong_purpose",
        ),
        ({"type": "impression", "token": contract.slot_token(key, claims, now=0)}, "token_expired"),
        ({"type": "impression", "token": contract.slot_token(key, claims, holdout=True)}, "holdout_mismatch"),
        ({"type": "holdout", "token": good}, "holdout_mismatch"),
        ({"type": "view", "token": good}, "unknown_type"),
        ({"token": good}, "invalid_event"),
        ("impression", "invalid_event"),
        (
            {"type": "conversion", "ref": contract.ref_token(key, claims), "order_id": "A1", "value": -5},
            "invalid_order",
        ),
    ]
    status, answer = send(local_system, *(event for event, _ in cases))
    assert status == 200
    assert answer["accepted"] == 0 and answer["rejected"] == len(cases)
    assert [r["reason"] for r in answer["rejections"]] == [reason for _, reason in cases]
    assert [r["index"] for r in answer["rejections"]] == list(range(len(cases)))
    assert [r for _, r in all_records() if r["decision_id"] == claims["d"]] == []


def test_replayed_events_are_dropped_across_and_within_batches(local_system, key, claims):
    token, ref = contract.slot_token(key, claims), contract.ref_token(key, claims)
    first = send(local_system, {"type": "click", "token": token}, {"type": "click", "token": token})
    again = send(local_system, {"type": "click", "token": token})
    assert first == (
        200,
        {
            "accepted": 1,
            "rejected": 1,
            "reasons": {"duplicate": 1},
            "rejections": [{"index": 1, "reason": "duplicate"}],
        },
    )
    assert again[1]["reasons"] == {"duplicate": 1}

    order = {"type": "conversion", "ref": ref, "value": 500, "currency": "JPY"}
    answers = [send(local_system, {**order, "order_id": oid})[1]["accepted"] for oid in ("X1", "X1", "X2")]
    assert answers == [1, 0, 1]  # the same order once; another order through the same referral counts
    assert sorted(r["event_type"] for _, r in stored(claims["d"], count=3)) == [
        "click",
        "conversion",
        "conversion",
    ]


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (b"", 400, "invalid_request"),
        (b"{not json", 400, "invalid_request"),
        (b"[]", 400, "invalid_request"),
        (b'{"events": "impression"}', 400, "invalid_request"),
        (b'{"events": []}', 400, "invalid_request"),
        (json.dumps({"events": [{"type": "click"}] * (MAX_EVENTS + 1)}).encode(), 400, "invalid_request"),
        (b'{"site": "no spaces", "events": [{}]}', 400, "invalid_request"),
        (b'{"events": [{"type": "click", "token": "\xff\xfe"}]}', 400, "invalid_request"),
        (b'{"events": [' + b'"x",' * (MAX_BODY_BYTES // 4) + b'"x"]}', 413, "body_too_large"),
    ],
)
def test_bad_bodies_get_a_clear_4xx_and_nothing_is_stored(local_system, body, status, error):
    before = len(all_records())
    got, answer, _ = post(local_system, body)
    assert (got, answer["error"]) == (status, error)
    assert answer["message"]
    assert len(all_records()) == before


def test_the_tag_can_post_cross_origin_without_a_preflight(local_system, key, claims):
    body = json.dumps(
        {"events": [{"type": "impression", "token": contract.slot_token(key, claims)}]}
    ).encode()
    status, answer, headers = post(
        local_system, body, {**TEXT_PLAIN, "origin": local_system.site_urls["hana"]}
    )
    assert (status, answer["accepted"]) == (200, 1)
    assert {k.lower(): v for k, v in headers.items()}["access-control-allow-origin"] == "*"


def test_collect_never_crashed(local_system):
    assert local_system.gateway.errors == 0
