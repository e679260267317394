import base64
import hashlib
import hmac
import json

import pytest

from xsell.signing import BadToken, customer_hash, key_id, sign, verify

KEY = b"k" * 32
OLD = b"o" * 32


def test_round_trip_keeps_the_payload_and_adds_issue_time_expiry_and_key_id():
    token = sign(KEY, "slot", {"c": "camp", "n": 1}, ttl_seconds=60, now=1000)
    assert verify(KEY, "slot", token, now=1059) == {
        "c": "camp",
        "n": 1,
        "iat": 1000,
        "exp": 1060,
        "kid": hashlib.sha256(KEY).hexdigest()[:12],
    }


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda t: t + "x", "bad signature"),
        (lambda t: "e30." + t.split(".")[1], "bad signature"),
        (lambda t: t.replace(".", ""), "malformed"),
        (lambda t: 42, "malformed"),
        (lambda t: "a" * 5000 + "." + "b", "malformed"),
        (lambda t: "e30.é", "malformed"),  # non-ASCII: never a crash in compare_digest
        (lambda t: t.split(".")[0] + ".ｍａｃ", "malformed"),
    ],
)
def test_forged_or_malformed_tokens_are_rejected(mutate, reason):
    token = sign(KEY, "slot", {"c": 1}, 60, now=1000)
    with pytest.raises(BadToken) as err:
        verify(KEY, "slot", mutate(token), now=1000)
    assert err.value.reason == reason


def test_other_key_other_purpose_and_expiry_are_rejected():
    token = sign(KEY, "slot", {"c": 1}, 60, now=1000)
    for key, purpose, now, reason in [
        (b"other", "slot", 1000, "bad signature"),
        (KEY, "identity", 1000, "bad signature"),
        (KEY, "slot", 1061, "expired"),
    ]:
        with pytest.raises(BadToken, match=reason):
            verify(key, purpose, token, now=now)


def test_key_ids_name_keys_without_revealing_them():
    assert key_id(KEY) != key_id(OLD)
    assert len(key_id(KEY)) == 12 and KEY.decode() not in key_id(KEY)


def test_a_token_of_the_previous_key_verifies_while_that_key_is_in_the_ring():
    token = sign(OLD, "ref", {"d": "x"}, 60, now=1000)
    assert verify((KEY, OLD), "ref", token, now=1000)["kid"] == key_id(OLD)
    with pytest.raises(BadToken, match="bad signature"):
        verify((KEY,), "ref", token, now=1000)  # the overlap has ended: the key is gone
    with pytest.raises(BadToken, match="bad signature"):
        verify((KEY, OLD), "slot", token, now=1000)


def _hand_made(secret: bytes, purpose: str, payload: dict) -> str:
    """A token as a brand's backend in another language writes it: no ``kid``."""
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    mac = hmac.new(secret, f"{purpose}.{body}".encode(), hashlib.sha256).digest()
    return body + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def test_a_token_without_key_id_is_tried_against_every_key():
    token = _hand_made(OLD, "identity", {"sub": "C1", "iat": 1000, "exp": 1060})
    assert verify((KEY, OLD), "identity", token, now=1000)["sub"] == "C1"
    with pytest.raises(BadToken, match="bad signature"):
        verify((KEY,), "identity", token, now=1000)


def test_a_key_id_that_names_a_key_does_not_excuse_a_wrong_mac():
    forged = _hand_made(b"attacker", "ref", {"d": "x", "exp": 2000, "kid": key_id(KEY)})
    with pytest.raises(BadToken, match="bad signature"):
        verify((KEY, OLD), "ref", forged, now=1000)


@pytest.mark.parametrize(
    ("issued", "ttl", "now", "reason"),
    [
        (1000, 3600, 1000 + 3600 + 1, "expired"),
        (1000, 7200, 1000, "lifetime too long"),  # minted to live longer than allowed
        (1000 + 61, 60, 1000, "issued in the future"),  # beyond the clock-skew leeway
    ],
)
def test_a_maximum_lifetime_refuses_long_lived_old_and_future_tokens(issued, ttl, now, reason):
    token = _hand_made(KEY, "identity", {"sub": "C1", "iat": issued, "exp": issued + ttl})
    with pytest.raises(BadToken) as err:
        verify(KEY, "identity", token, now=now, max_lifetime=3600, leeway=60)
    assert err.value.reason == reason


def test_a_token_older_than_the_maximum_lifetime_is_refused_whatever_its_expiry_says():
    token = _hand_made(KEY, "identity", {"sub": "C1", "iat": 1000, "exp": 10**9})
    with pytest.raises(BadToken, match="lifetime too long"):
        verify(KEY, "identity", token, now=1000 + 3601, max_lifetime=3600, leeway=60)


def test_the_clock_skew_leeway_admits_a_token_issued_slightly_in_the_future():
    token = _hand_made(KEY, "identity", {"sub": "C1", "iat": 1060, "exp": 1060 + 3600})
    assert verify(KEY, "identity", token, now=1000, max_lifetime=3600, leeway=60)["sub"] == "C1"


def test_a_maximum_lifetime_needs_an_issue_time():
    token = _hand_made(KEY, "identity", {"sub": "C1", "exp": 1060})
    assert verify(KEY, "identity", token, now=1000)["sub"] == "C1"
    with pytest.raises(BadToken, match="no issue time"):
        verify(KEY, "identity", token, now=1000, max_lifetime=3600, leeway=60)


def test_customer_hashes_depend_only_on_the_pseudonym_key():
    assert customer_hash(KEY, "C1") == customer_hash(KEY, "C1") != customer_hash(OLD, "C1")
