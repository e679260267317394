import pytest

from xsell.signing import BadToken, sign, verify

KEY = b"k" * 32


def test_round_trip_keeps_the_payload_and_adds_expiry():
    token = sign(KEY, "slot", {"c": "camp", "n": 1}, ttl_seconds=60, now=1000)
    assert verify(KEY, "slot", token, now=1059) == {"c": "camp", "n": 1, "exp": 1060}


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
