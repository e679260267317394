"""Key rotation as every reader sees it: which keys sign and verify at which moment, pseudonyms
that no rotation changes, identity-token lifetimes, and the channel stored with a conversion.

The secret document is the project's own reader (``xsell.dal.secrets._document``) faked with a
fixed document; the writes are exercised against Secrets Manager in
``tests/integration/test_conversions_s2s.py``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from tests import decide_contract as contract
from xsell import server_calls, signing
from xsell.admin import operations as ops
from xsell.admin.access import Principal
from xsell.dal import secrets as secret_store
from xsell.decisioning import tokens
from xsell.errors import InvalidRequest, NotAllowed
from xsell.measuring import records
from xsell.measuring.events import Event, Order, Reason, Rejected, check

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
OLD, NEW, PSEUDONYM = "old-signing-key", "new-signing-key", "pseudonym-key"


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def rotated(**changes: Any) -> dict[str, Any]:
    """A document right after a signing-key rotation at NOW with a one-day overlap."""
    document: dict[str, Any] = {
        "signing_key": NEW,
        "signing_key_from": _iso(NOW + dt.timedelta(seconds=secret_store.CACHE_SECONDS)),
        "previous_signing_key": {"secret": OLD, "valid_until": _iso(NOW + dt.timedelta(days=1))},
        "pseudonym_key": PSEUDONYM,
        "sites": {"hana-web": "site-new"},
        "previous": {"hana-web": {"secret": "site-old", "valid_until": _iso(NOW + dt.timedelta(hours=1))}},
    }
    document.update(changes)
    return document


@pytest.fixture
def document(monkeypatch) -> dict[str, Any]:
    stored: dict[str, Any] = {}
    monkeypatch.setattr(secret_store, "_document", lambda which=secret_store.DEPLOYMENT: stored)
    return stored


def test_signers_keep_the_previous_key_until_every_cache_knows_the_new_one(document):
    document.update(rotated())
    assert secret_store.signing_key(NOW) == OLD.encode()
    later = NOW + dt.timedelta(seconds=secret_store.CACHE_SECONDS)
    assert secret_store.signing_key(later) == NEW.encode()


def test_verifiers_accept_the_previous_key_until_its_overlap_ends(document):
    document.update(rotated())
    assert secret_store.signing_keys(NOW) == (NEW.encode(), OLD.encode())
    assert secret_store.signing_keys(NOW + dt.timedelta(days=1)) == (NEW.encode(),)
    # A previous key that outlived its overlap is never used to sign either.
    assert secret_store.signing_key(NOW + dt.timedelta(days=2)) == NEW.encode()


@pytest.mark.parametrize("valid_until", ["not a time", "2026-12-02T00:00:00", None])
def test_an_unreadable_overlap_keeps_nothing(document, valid_until):
    document.update(rotated(previous_signing_key={"secret": OLD, "valid_until": valid_until}))
    assert secret_store.signing_keys(NOW) == (NEW.encode(),)


def test_site_secrets_rotate_the_same_way(document):
    document.update(rotated())
    assert secret_store.site_secrets("hana-web", NOW) == (b"site-new", b"site-old")
    assert secret_store.site_secrets("hana-web", NOW + dt.timedelta(hours=1)) == (b"site-new",)
    assert secret_store.site_secrets("umi-web", NOW) == ()


def test_pseudonyms_have_their_own_key_and_a_document_without_one_keeps_the_old_pseudonyms(document):
    document.update(rotated())
    assert secret_store.pseudonym_key() == PSEUDONYM.encode()
    document.clear()
    document.update({"signing_key": OLD, "sites": {}})  # written before pseudonym keys existed
    assert secret_store.pseudonym_key() == OLD.encode()


def test_the_customer_hash_in_tokens_does_not_depend_on_the_signing_key():
    first = tokens.slot_claims(
        PSEUDONYM.encode(),
        decision_id="d" * 32,
        site="hana-web",
        slot="top",
        campaign="c",
        creative="cr",
        source="hana",
        destination="tabi",
        customer_id="C1",
    )
    assert first["u"] == signing.customer_hash(PSEUDONYM.encode(), "C1")
    old_token = tokens.ref_token(OLD.encode(), first)
    new_token = tokens.ref_token(NEW.encode(), first)
    keys = (NEW.encode(), OLD.encode())
    assert signing.verify(keys, "ref", old_token)["u"] == signing.verify(keys, "ref", new_token)["u"]


def test_a_rotation_that_would_cut_the_old_key_before_the_new_one_is_in_use_is_refused():
    with pytest.raises(ValueError, match="until the new one is in use"):
        secret_store.rotate_signing_key(NEW, NOW + dt.timedelta(seconds=10), now=NOW)


def test_collect_accepts_events_of_either_key_during_the_overlap_and_only_the_new_one_after():
    claims = contract.demo_claims(PSEUDONYM.encode(), "C1")
    now = NOW.timestamp()
    old = {"type": "click", "token": contract.slot_token(OLD.encode(), claims, now=now)}
    new = {"type": "click", "token": contract.slot_token(NEW.encode(), claims, now=now)}
    during = (NEW.encode(), OLD.encode())
    assert check(old, during, now).claims == check(new, during, now).claims
    with pytest.raises(Rejected) as err:
        check(old, (NEW.encode(),), now)
    assert err.value.reason is Reason.TOKEN_FORGED
    assert check(new, (NEW.encode(),), now).claims.customer == claims["u"]


def test_identity_tokens_carry_their_issue_time_and_key_id_and_verify_with_either_site_secret():
    now = NOW.timestamp()
    token = tokens.mint_identity_token(b"site-old", "hana-web", "C1", now=now)
    payload = signing.verify(b"site-old", "identity", token, now)
    assert (payload["iat"], payload["kid"]) == (int(now), signing.key_id(b"site-old"))
    assert tokens.identity_subject((b"site-new", b"site-old"), "hana-web", token, now) == "C1"
    with pytest.raises(signing.BadToken, match="bad signature"):
        tokens.identity_subject((b"site-new",), "hana-web", token, now)


@pytest.mark.parametrize(
    ("issued_offset", "ttl", "reason"),
    [
        (0, tokens.IDENTITY_MAX_LIFETIME + 1, "lifetime too long"),
        (tokens.CLOCK_SKEW + 2, 600, "issued in the future"),  # checked a second later
        (-tokens.IDENTITY_MAX_LIFETIME, tokens.IDENTITY_MAX_LIFETIME, "expired"),
    ],
)
def test_identity_tokens_too_long_lived_too_old_or_from_the_future_are_refused(issued_offset, ttl, reason):
    now = NOW.timestamp()
    token = tokens.mint_identity_token(b"s", "hana-web", "C1", ttl_seconds=ttl, now=now + issued_offset)
    with pytest.raises(signing.BadToken) as err:
        tokens.identity_subject(b"s", "hana-web", token, now + 1)
    assert err.value.reason == reason


def test_an_identity_token_slightly_ahead_of_our_clock_is_accepted():
    now = NOW.timestamp()
    token = tokens.mint_identity_token(b"s", "hana-web", "C1", now=now + tokens.CLOCK_SKEW)
    assert tokens.identity_subject(b"s", "hana-web", token, now) == "C1"


def test_preview_tokens_of_the_previous_key_still_open_during_the_overlap():
    token = tokens.mint_preview_token(OLD.encode(), "camp", None, "hana-web")
    assert tokens.preview_target((NEW.encode(), OLD.encode()), token) == ("camp", None, "hana-web")


def test_stored_conversions_say_which_path_they_came_by():
    claims = contract.demo_claims(PSEUDONYM.encode(), "C1")
    parsed = check({"type": "click", "token": contract.slot_token(NEW.encode(), claims)}, NEW.encode()).claims
    sale = Event("conversion", parsed, Order("O-1", 100.0, "JPY"))
    browser = records.shape(sale, NOW, PSEUDONYM.encode(), "tabi-web")
    trusted = records.shape(sale, NOW, PSEUDONYM.encode(), "tabi-web", records.CHANNEL_S2S)
    click = records.shape(Event("click", parsed), NOW, PSEUDONYM.encode(), "tabi-web")
    assert (browser["channel"], trusted["channel"], click["channel"]) == ("browser", "s2s", None)


def test_the_server_signature_covers_the_timestamp_and_the_exact_body():
    body = json.dumps({"site": "tabi-web", "order_id": "O-1"})
    mac = server_calls.signature(b"secret", 1764590400, body)
    assert len(mac) == 64 and mac == server_calls.signature(b"secret", "1764590400", body.encode())
    assert mac != server_calls.signature(b"secret", 1764590401, body)
    assert mac != server_calls.signature(b"secret", 1764590400, body.replace("O-1", "O-2"))
    assert mac != server_calls.signature(b"other", 1764590400, body)


class SigningBackend:
    """The admin operations' own Backend interface, holding what a rotation stores."""

    def __init__(self) -> None:
        self.rotations: list[tuple[str, dt.datetime, dt.datetime]] = []
        self.audit: list[tuple[str, str, Any, dict[str, Any]]] = []

    def rotate_signing_key(
        self, key: str, previous_valid_until: dt.datetime, now: dt.datetime
    ) -> dt.datetime:
        self.rotations.append((key, previous_valid_until, now))
        return now + dt.timedelta(seconds=secret_store.CACHE_SECONDS)

    def record(self, principal, action, obj, brands, detail) -> None:  # noqa: ANN001 - the Protocol's
        self.audit.append((action, obj, brands, detail))


ADMIN = Principal("admin", "admin@x.example", "group-admin", None)


def test_a_signing_key_rotation_names_the_new_key_and_never_shows_or_audits_it():
    backend = SigningBackend()
    answer = ops.rotate_signing_key(ADMIN, 10, now=NOW, backend=backend)
    [(key, until, moment)] = backend.rotations
    assert (until, moment) == (NOW + dt.timedelta(days=10), NOW)
    assert answer == {
        "key_id": signing.key_id(key.encode()),
        "use_from": _iso(NOW + dt.timedelta(seconds=secret_store.CACHE_SECONDS)),
        "previous_valid_until": _iso(NOW + dt.timedelta(days=10)),
    }
    [(action, obj, brands, detail)] = backend.audit
    assert (action, obj, brands, detail["key_id"]) == (
        "rotate_signing_key",
        "deployment/signing-key",
        None,
        answer["key_id"],
    )
    assert key not in json.dumps([answer, detail])


def test_the_default_overlap_outlives_every_token_signed_before_the_switch():
    assert ops.MIN_SIGNING_OVERLAP_DAYS * 86400 >= tokens.REF_TTL + secret_store.CACHE_SECONDS


@pytest.mark.parametrize(
    ("who", "overlap", "error"),
    [
        (Principal("hana", "h@x.example", "brand-marketer", "hana"), 8, NotAllowed),
        (Principal("viewer", "v@x.example", "viewer", None), 8, NotAllowed),
        (ADMIN, ops.MIN_SIGNING_OVERLAP_DAYS - 1, InvalidRequest),  # would void referrals in flight
        (ADMIN, ops.MAX_SIGNING_OVERLAP_DAYS + 1, InvalidRequest),
        (ADMIN, "8", InvalidRequest),
        (ADMIN, True, InvalidRequest),
    ],
)
def test_signing_key_rotations_are_refused(who, overlap, error):
    backend = SigningBackend()
    with pytest.raises(error):
        ops.rotate_signing_key(who, overlap, now=NOW, backend=backend)
    assert backend.rotations == [] and backend.audit == []
