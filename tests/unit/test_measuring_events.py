"""Validating the tag's event batches: every event accepted or rejected with a reason, never a crash."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests import decide_contract as contract
from xsell.errors import InvalidRequest
from xsell.measuring.events import (
    MAX_BODY_BYTES,
    MAX_EVENTS,
    BodyTooLarge,
    Reason,
    Rejected,
    check,
    parse_batch,
)

KEY = b"k" * 32
NOW = 1_800_000_000
CLAIMS = contract.claims(
    KEY,
    decision_id="0" * 32,
    site="hana-web",
    slot="top-banner",
    campaign="hana-to-tabi",
    creative="hana-to-tabi-a",
    source="hana",
    destination="tabi",
    customer_id="C000001",
)
SLOT = contract.slot_token(KEY, CLAIMS, now=NOW)
HOLDOUT = contract.slot_token(KEY, {**CLAIMS, "cr": None}, holdout=True, now=NOW)
REF = contract.ref_token(KEY, CLAIMS, now=NOW)
ORDER = {"order_id": "A-1", "value": 3980, "currency": "JPY"}


def reason(raw) -> Reason:
    with pytest.raises(Rejected) as err:
        check(raw, KEY, NOW)
    return err.value.reason


def test_each_type_is_checked_against_its_own_token():
    impression = check({"type": "impression", "token": SLOT}, KEY, NOW)
    assert (impression.claims.decision_id, impression.claims.campaign_id, impression.claims.holdout) == (
        "0" * 32,
        "hana-to-tabi",
        False,
    )
    assert check({"type": "holdout", "token": HOLDOUT}, KEY, NOW).claims.creative_id is None
    conversion = check({"type": "conversion", "ref": REF, **ORDER}, KEY, NOW)
    assert (conversion.order.order_id, conversion.order.value, conversion.order.currency) == (
        "A-1",
        3980.0,
        "JPY",
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"type": "impression", "token": contract.slot_token(b"other", CLAIMS, now=NOW)},
            Reason.TOKEN_FORGED,
        ),
        ({"type": "impression", "token": REF}, Reason.TOKEN_WRONG_PURPOSE),
        ({"type": "conversion", "ref": SLOT, **ORDER}, Reason.TOKEN_WRONG_PURPOSE),
        (
            {"type": "click", "token": contract.slot_token(KEY, CLAIMS, now=NOW - 90_000)},
            Reason.TOKEN_EXPIRED,
        ),
        ({"type": "click", "token": "abc"}, Reason.TOKEN_MALFORMED),
        ({"type": "click", "token": HOLDOUT}, Reason.HOLDOUT_MISMATCH),
        ({"type": "holdout", "token": SLOT}, Reason.HOLDOUT_MISMATCH),
        ({"type": "hover", "token": SLOT}, Reason.UNKNOWN_TYPE),
        ({"type": "click"}, Reason.INVALID_EVENT),
        ({"type": "conversion", "token": REF, **ORDER}, Reason.INVALID_EVENT),
        (["click", SLOT], Reason.INVALID_EVENT),
        ({"type": "conversion", "ref": REF, **ORDER, "value": float("inf")}, Reason.INVALID_ORDER),
        ({"type": "conversion", "ref": REF, **ORDER, "value": True}, Reason.INVALID_ORDER),
        ({"type": "conversion", "ref": REF, **ORDER, "currency": "yen"}, Reason.INVALID_ORDER),
        ({"type": "conversion", "ref": REF, **ORDER, "order_id": "has space"}, Reason.INVALID_ORDER),
    ],
)
def test_bad_events_are_rejected_with_a_reason(raw, expected):
    assert reason(raw) == expected


def test_signed_tokens_missing_claims_are_malformed():
    incomplete = contract.slot_token(KEY, {k: v for k, v in CLAIMS.items() if k != "u"}, now=NOW)
    assert reason({"type": "impression", "token": incomplete}) == Reason.TOKEN_MALFORMED
    bad_decision = contract.slot_token(KEY, {**CLAIMS, "d": "not-hex"}, now=NOW)
    assert reason({"type": "impression", "token": bad_decision}) == Reason.TOKEN_MALFORMED


def test_numeric_order_ids_are_kept_as_text():
    assert (
        check({"type": "conversion", "ref": REF, **ORDER, "order_id": 1234}, KEY, NOW).order.order_id
        == "1234"
    )


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "{",
        "[]",
        '{"events": {}}',
        '{"events": []}',
        json.dumps({"events": [{}] * (MAX_EVENTS + 1)}),
        '{"site": 5, "events": [{}]}',
    ],
)
def test_bad_envelopes_are_invalid_requests(text):
    with pytest.raises(InvalidRequest):
        parse_batch(text)


def test_oversized_bodies_are_refused_before_parsing():
    with pytest.raises(BodyTooLarge):
        parse_batch('{"events": ["' + "x" * MAX_BODY_BYTES + '"]}')


def test_a_good_envelope_keeps_site_and_events_in_order():
    batch = parse_batch(json.dumps({"site": "umi-web", "events": [1, {"type": "click"}]}))
    assert (batch.site, batch.events) == ("umi-web", (1, {"type": "click"}))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
event_like = st.fixed_dictionaries(
    {"type": st.sampled_from(["impression", "click", "holdout", "conversion", "x"])},
    optional={
        "token": st.sampled_from([SLOT, HOLDOUT, REF, "a.b", ""]) | json_values,
        "ref": st.sampled_from([SLOT, REF]) | json_values,
        "order_id": json_values,
        "value": json_values,
        "currency": json_values,
    },
)


@given(st.one_of(json_values, event_like))
def test_any_event_is_either_accepted_or_rejected_with_a_reason(raw):
    try:
        check(raw, KEY, NOW)
    except Rejected as exc:
        assert isinstance(exc.reason, Reason)


@given(st.text(max_size=200) | json_values.map(json.dumps))
def test_any_body_either_parses_or_is_an_invalid_request(text):
    try:
        parse_batch(text)
    except InvalidRequest as exc:
        assert str(exc)
