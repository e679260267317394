"""Conversions that cannot be forged, and keys that rotate without voiding anything in flight,
through the local API gateway over real HTTP, into local Firehose and S3.

- ``POST /v1/conversions``: the trusted path, signed with the destination site's secret;
- ``POST /v1/events`` conversions: the browser's untrusted path, one per referral token and
  order, at most ``MAX_BROWSER_CONVERSIONS`` per token;
- signing-key and site-secret rotations: the previous key verifies during the overlap only,
  pseudonyms do not change, and a rotation that lost a race is refused, not applied;
- identity tokens that live too long or come from the future are refused.
"""

from __future__ import annotations

import base64
import concurrent.futures
import datetime as dt
import hashlib
import hmac
import json
import secrets as random_secrets
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests import decide_contract as contract
from tests.stored_events import wait_for
from xsell import env, server_calls, signing
from xsell.admin import audit
from xsell.admin import operations as ops
from xsell.admin.access import Principal
from xsell.dal import aws
from xsell.dal import secrets as secret_store
from xsell.decisioning import tokens
from xsell.errors import Conflict
from xsell.measuring.events import MAX_BROWSER_CONVERSIONS

CUSTOMER = "C888001"
SITE = "tabi-web"  # the destination of the demo claims (hana -> tabi)
JSON = {"content-type": "application/json"}
ADMIN = Principal("s2s-admin", "s2s-admin@xsell.example", "group-admin", None)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "tag.md"


def post(system, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    request = urllib.request.Request(f"{system.gateway.url}{path}", data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def signed_request(secret: bytes, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The headers a site's server sends, computed as docs/tag.md tells it to."""
    sent = str(int(time.time()) if timestamp is None else timestamp)
    mac = hmac.new(secret, sent.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {**JSON, "X-Xsell-Timestamp": sent, "X-Xsell-Signature": mac}


def conversion(ref: str, order_id: str, value: float = 12800, site: str = SITE) -> bytes:
    body = {"site": site, "ref": ref, "order_id": order_id, "value": value, "currency": "JPY"}
    return json.dumps(body).encode()


def send_events(system, *events: dict, site: str = SITE) -> dict:
    status, answer = post(
        system, "/v1/events", json.dumps({"site": site, "events": list(events)}).encode(), {}
    )
    assert status == 200, answer
    return answer


def decide(system, body: dict) -> tuple[int, dict]:
    """As the tag on the hana site asks (a browser call from one of the site's origins)."""
    return post(system, "/v1/decide", json.dumps(body).encode(), {**JSON, "origin": system.site_urls["hana"]})


def stored(decision_id: str, count: int = 1) -> list[dict]:
    return [
        record for _, record in wait_for(lambda r: r["decision_id"] == decision_id, count=count, timeout=5)
    ]


SECRETS = (env.SECRET, env.SITES_SECRET)


@pytest.fixture
def document(local_system) -> Iterator[Any]:
    """The Secrets Manager client; whatever a test rotates in either secret is put back afterwards."""
    client = boto3.session.Session().client("secretsmanager")
    originals = {v: client.get_secret_value(SecretId=env.get(v))["SecretString"] for v in SECRETS}
    secret_store.forget()
    yield client
    for variable, original in originals.items():
        client.put_secret_value(SecretId=env.get(variable), SecretString=original)
    secret_store.forget()


def end_overlaps(client: Any) -> None:
    """The stored documents as they are once every rotation's overlap has ended (no waiting)."""
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)).isoformat(timespec="seconds")
    for variable in SECRETS:
        name = env.get(variable)
        doc = json.loads(client.get_secret_value(SecretId=name)["SecretString"])
        for entry in [doc.get("previous_signing_key"), *(doc.get("previous") or {}).values()]:
            if isinstance(entry, dict):
                entry["valid_until"] = past
        client.put_secret_value(SecretId=name, SecretString=json.dumps(doc))
    secret_store.forget()


@pytest.fixture
def key(local_system) -> bytes:
    return secret_store.signing_key()


@pytest.fixture
def claims(key) -> dict:
    return contract.demo_claims(secret_store.pseudonym_key(), CUSTOMER)


# --- the trusted path: POST /v1/conversions ---------------------------------------------------


def test_a_signed_conversion_is_stored_as_trusted(local_system, key, claims):
    body = conversion(contract.ref_token(key, claims), "S-1001")
    status, answer = post(
        local_system, "/v1/conversions", body, signed_request(secret_store.site_secret(SITE), body)
    )
    assert status == 200, answer
    assert (answer["accepted"], answer["channel"], answer["decision_id"], answer["order_id"]) == (
        True,
        "s2s",
        claims["d"],
        "S-1001",
    )
    [record] = stored(claims["d"])
    assert (record["event_type"], record["channel"], record["conversion_site"]) == ("conversion", "s2s", SITE)
    assert (record["order_id"], record["value"], record["currency"]) == ("S-1001", 12800.0, "JPY")
    assert (record["campaign_id"], record["destination_brand"]) == ("hana-to-tabi", "tabi")
    assert record["customer_hash"] == claims["u"] and record["event_id"] == answer["event_id"]


def _docs_python_example() -> str:
    """The Python example of docs/tag.md's server-to-server section, without its final call."""
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("### Conversions from the site's server") :]
    code = section[section.index("```python\n") + len("```python\n") :]
    code = code[: code.index("```")]
    return code[: code.rindex("\nreport_conversion(")]


def test_the_python_example_of_the_docs_reports_a_conversion(local_system, key, claims):
    namespace: dict[str, Any] = {}
    exec(_docs_python_example(), namespace)  # noqa: S102 - the documentation's own example
    ref = contract.ref_token(key, claims)
    answer = namespace["report_conversion"](
        local_system.gateway.url, SITE, secret_store.site_secret(SITE), ref, "DOC-1", 12800
    )
    assert (answer["accepted"], answer["order_id"], answer["channel"]) == (True, "DOC-1", "s2s")


def test_the_worked_signature_of_the_docs_is_the_one_the_server_computes():
    text = DOCS.read_text(encoding="utf-8")
    body = '{"site":"tabi-web","ref":"eyJkIjoi...","order_id":"T-10023","value":12800,"currency":"JPY"}'
    expected = server_calls.signature(b"example-secret", 1764590400, body)
    assert f"`{body}`" in text and f"`{expected}`" in text


def test_forged_stale_and_replayed_conversions_are_refused_with_a_clear_error(local_system, key, claims):
    secret = secret_store.site_secret(SITE)
    ref = contract.ref_token(key, claims)
    body = conversion(ref, "S-2001")
    now = int(time.time())
    tampered = conversion(ref, "S-2001", value=99999999)
    cases = [
        # (body, headers, status, error)
        (body, signed_request(b"not-the-secret", body), 401, "signature_invalid"),
        (body, signed_request(secret_store.site_secret("hana-web"), body), 401, "signature_invalid"),
        (tampered, signed_request(secret, body), 401, "signature_invalid"),  # signed one body, sent another
        (
            body,
            signed_request(secret, body, now - server_calls.WINDOW - 5),
            401,
            "signature_expired",
        ),
        (
            body,
            signed_request(secret, body, now + server_calls.WINDOW + 5),
            401,
            "signature_expired",
        ),
        (body, JSON, 400, "invalid_request"),  # no signature at all
        (body, {**signed_request(secret, body), "X-Xsell-Signature": "v1=abc"}, 400, "invalid_request"),
        (
            conversion("x.y", "S-2001"),
            signed_request(secret, conversion("x.y", "S-2001")),
            400,
            "invalid_request",
        ),
        (
            conversion(ref, "with space"),
            signed_request(secret, conversion(ref, "with space")),
            400,
            "invalid_request",
        ),
        (b"{not json", signed_request(secret, b"{not json"), 400, "invalid_request"),
        (
            conversion(ref, "S-2001", site="no-such-web"),
            signed_request(secret, conversion(ref, "S-2001", site="no-such-web")),
            401,
            "signature_invalid",
        ),
    ]
    for sent, headers, status, error in cases:
        got, answer = post(local_system, "/v1/conversions", sent, headers)
        assert (got, answer["error"]) == (status, error), (sent, answer)
        assert answer["message"]
    _, answer = post(local_system, "/v1/conversions", cases[-4][0], cases[-4][1])
    assert answer["field"] == "ref" and "referral token rejected" in answer["message"]

    good = signed_request(secret, body)
    assert post(local_system, "/v1/conversions", body, good)[0] == 200
    assert post(local_system, "/v1/conversions", body, good) == (
        409,
        {"error": "replayed", "message": "this signed request was already received: sign each call anew"},
    )
    # A retry, signed anew (another timestamp, so another signature): still the same order.
    again = signed_request(secret, body, int(good["X-Xsell-Timestamp"]) - 7)
    assert post(local_system, "/v1/conversions", body, again)[1]["error"] == "duplicate"
    assert len(stored(claims["d"], count=2)) == 1  # only the first one was stored


def test_a_signature_of_the_sites_previous_secret_counts_during_the_overlap_only(
    local_system, document, key, claims
):
    old = secret_store.site_secret(SITE)
    new = random_secrets.token_urlsafe(32)
    secret_store.rotate_site_secret(SITE, new, dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    ref = contract.ref_token(key, claims)
    for order_id, secret in (("R-1", old), ("R-2", new.encode())):
        body = conversion(ref, order_id)
        assert post(local_system, "/v1/conversions", body, signed_request(secret, body))[0] == 200

    end_overlaps(document)
    body = conversion(ref, "R-3")
    assert (
        post(local_system, "/v1/conversions", body, signed_request(old, body))[1]["error"]
        == "signature_invalid"
    )
    assert post(local_system, "/v1/conversions", body, signed_request(new.encode(), body))[0] == 200


# --- the untrusted path: the browser's conversion tag -----------------------------------------


def test_browser_conversions_count_once_per_order_and_at_most_the_cap_per_token(local_system, key, claims):
    ref = contract.ref_token(key, claims)

    def order(order_id: str) -> dict:
        return {"type": "conversion", "ref": ref, "order_id": order_id, "value": 100, "currency": "JPY"}

    first = send_events(local_system, order("B-1"), order("B-1"))
    assert (first["accepted"], first["reasons"]) == (1, {"duplicate": 1})
    more = send_events(local_system, *(order(f"B-{n}") for n in range(2, MAX_BROWSER_CONVERSIONS + 3)))
    assert more["accepted"] == MAX_BROWSER_CONVERSIONS - 1
    assert more["reasons"] == {"conversion_cap": 2}
    assert send_events(local_system, order("B-1"))["reasons"] == {"duplicate": 1}

    records = stored(claims["d"], count=MAX_BROWSER_CONVERSIONS)
    assert len(records) == MAX_BROWSER_CONVERSIONS
    assert {r["channel"] for r in records} == {"browser"}
    # The trusted path is counted apart: the site's server may still report its orders.
    body = conversion(ref, "B-1")
    assert (
        post(local_system, "/v1/conversions", body, signed_request(secret_store.site_secret(SITE), body))[0]
        == 200
    )


def test_concurrent_browser_conversions_never_pass_the_cap(local_system, key):
    ref = contract.ref_token(key, contract.demo_claims(secret_store.pseudonym_key(), CUSTOMER))

    def one(n: int) -> int:
        event = {"type": "conversion", "ref": ref, "order_id": f"P-{n}", "value": 1, "currency": "JPY"}
        return int(send_events(local_system, event)["accepted"])

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        accepted = sum(pool.map(one, range(3 * MAX_BROWSER_CONVERSIONS)))
    assert accepted == MAX_BROWSER_CONVERSIONS


# --- signing-key rotation ---------------------------------------------------------------------


def decided_claims(system, customer_id: str) -> tuple[dict, dict]:
    status, answer = decide(
        system, {"site": "hana-web", "customer": {"id": customer_id}, "slots": ["top-banner"]}
    )
    assert status == 200, answer
    slot = answer["slots"]["top-banner"]
    claims = signing.verify(secret_store.signing_keys(), "slot", slot["token"])
    return claims, slot


def test_a_rotation_in_flight_voids_nothing_until_its_overlap_ends(local_system, document):
    customer = f"rot-{uuid.uuid4().hex[:8]}"
    before, old_slot = decided_claims(local_system, customer)
    old_key = secret_store.signing_key()
    assert before["kid"] == signing.key_id(old_key)

    new_key = random_secrets.token_urlsafe(32)
    moment = dt.datetime.now(dt.UTC)
    # Rotated as if ten minutes ago: the new key is in use now, the old one verifies for a day.
    secret_store.rotate_signing_key(
        new_key, moment + dt.timedelta(days=1), now=moment - dt.timedelta(minutes=10)
    )
    after, new_slot = decided_claims(local_system, customer)
    assert after["kid"] == signing.key_id(new_key.encode()) != before["kid"]

    # Tokens decide signed before the rotation still count, and so do the new ones.
    answer = send_events(
        local_system,
        {"type": "impression", "token": old_slot["token"]},
        {"type": "impression", "token": new_slot["token"]},
        site="hana-web",
    )
    assert answer["accepted"] == 2
    # The customer's pseudonym did not change with the key.
    assert before["u"] == after["u"]
    hashes = {r["customer_hash"] for d in (before["d"], after["d"]) for r in stored(d)}
    assert hashes == {before["u"]}

    end_overlaps(document)
    late = send_events(
        local_system,
        {"type": "click", "token": old_slot["token"]},
        {"type": "click", "token": new_slot["token"]},
        site="hana-web",
    )
    assert late["rejections"] == [{"index": 0, "reason": "token_forged"}] and late["accepted"] == 1
    assert decided_claims(local_system, customer)[0]["u"] == before["u"]


def test_right_after_a_rotation_decide_keeps_signing_with_the_key_every_cache_knows(local_system, document):
    old_key = secret_store.signing_key()
    moment = dt.datetime.now(dt.UTC).replace(microsecond=0)
    answer = ops.rotate_signing_key(ADMIN, 8, now=moment)  # the admin API's operation, on the real secret
    assert answer == {
        "key_id": answer["key_id"],
        "use_from": (moment + dt.timedelta(seconds=secret_store.CACHE_SECONDS)).isoformat(),
        "previous_valid_until": (moment + dt.timedelta(days=8)).isoformat(),
    }
    assert answer["key_id"] != signing.key_id(old_key)
    assert [signing.key_id(k) for k in secret_store.signing_keys()] == [
        answer["key_id"],
        signing.key_id(old_key),
    ]
    claims, slot = decided_claims(local_system, "rot-cache")
    assert claims["kid"] == signing.key_id(old_key)  # every collect instance may not know the new key yet
    assert (
        send_events(local_system, {"type": "click", "token": slot["token"]}, site="hana-web")["accepted"] == 1
    )
    [entry] = audit.search(ADMIN, action="rotate_signing_key", obj="deployment/signing-key")
    assert entry["detail"]["key_id"] == answer["key_id"]
    stored = json.loads(document.get_secret_value(SecretId=env.get(env.SECRET))["SecretString"])
    assert "sites" not in stored and stored["signing_key"] != old_key.decode()  # only the keys live here
    with pytest.raises(Conflict, match="rotate again after"):  # it would void the old key's tokens
        ops.rotate_signing_key(ADMIN, 8)


class Racing:
    """The real Secrets Manager client, but another admin process updates the secret (as
    ``xsell.dal.secrets`` does) right after this one has read it: the race a conditional write
    must not lose silently."""

    def __init__(self, real: Any, site: str) -> None:
        self.real, self.site, self.raced = real, site, False

    def get_secret_value(self, **kwargs: Any) -> Any:
        answer = self.real.get_secret_value(**kwargs)
        if not self.raced:
            self.raced = True
            secret_store.set_site_secret(self.site, "written-by-the-other-admin")  # reads the same version
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_a_site_secret_update_that_lost_a_race_is_refused_not_applied(local_system, document, monkeypatch):
    real = aws.client("secretsmanager")
    racing = Racing(real, SITE)
    monkeypatch.setattr(aws, "client", lambda name: racing if name == "secretsmanager" else real)
    with pytest.raises(Conflict):
        secret_store.rotate_site_secret(SITE, "mine", dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    monkeypatch.undo()
    secret_store.forget()
    assert secret_store.site_secret(SITE) == b"written-by-the-other-admin"


def test_an_update_of_another_site_that_raced_is_retried_and_keeps_both(local_system, document, monkeypatch):
    real = aws.client("secretsmanager")
    racing = Racing(real, "hana-web")
    monkeypatch.setattr(aws, "client", lambda name: racing if name == "secretsmanager" else real)
    secret_store.rotate_site_secret(SITE, "mine", dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    monkeypatch.undo()
    secret_store.forget()
    assert (secret_store.site_secret(SITE), secret_store.site_secret("hana-web")) == (
        b"mine",
        b"written-by-the-other-admin",
    )


# --- identity tokens: lifetime and clock skew -------------------------------------------------


def _identity(secret: bytes, payload: dict) -> str:
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    mac = hmac.new(secret, f"identity.{body}".encode(), hashlib.sha256).digest()
    return f"{body}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


@pytest.mark.parametrize(
    ("case", "accepted"),
    [("fresh", True), ("slightly_ahead", True), ("too_long", False), ("future", False), ("no_iat", False)],
)
def test_identity_tokens_that_live_too_long_or_come_from_the_future_are_refused(local_system, case, accepted):
    secret = secret_store.site_secret("hana-web")
    now = int(time.time())
    limit = tokens.IDENTITY_MAX_LIFETIME
    payload = {
        "fresh": {"iat": now, "exp": now + 3600},
        "slightly_ahead": {"iat": now + tokens.CLOCK_SKEW // 2, "exp": now + 3600},
        "too_long": {"iat": now - limit, "exp": now + 3600},  # minted more than a day ago
        "future": {"iat": now + 10 * tokens.CLOCK_SKEW, "exp": now + 3600},
        "no_iat": {"exp": now + 3600},
    }[case]
    token = _identity(secret, {"sub": "idt-1", "site": "hana-web", **payload})
    status, answer = decide(
        local_system, {"site": "hana-web", "customer": {"token": token}, "slots": ["top-banner"]}
    )
    if accepted:
        assert status == 200, answer
    else:
        assert (status, answer["error"]) == (401, "identity_rejected")
        assert "identity token rejected" in answer["message"]


def test_nothing_here_crashed_the_gateway(local_system):
    assert local_system.gateway.errors == 0
