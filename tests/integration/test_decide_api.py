"""POST /v1/decide through the local API gateway, over real HTTP."""

import json
import urllib.error
import urllib.request

import pytest

from demo.customers import brands_used, customer_id


def post(url: str, body: bytes, headers: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def decide(system, body) -> tuple[int, dict]:
    """As the demo site's page calls it: with its Origin, so the demo's capped campaigns can serve."""
    site = body.get("site") if isinstance(body, dict) else None
    brand = site.removesuffix("-web") if isinstance(site, str) else None
    headers = {"Origin": system.site_urls[brand]} if brand in system.site_urls else {}
    return post(f"{system.gateway.url}/v1/decide", json.dumps(body).encode(), headers)


def test_customer_new_to_travel_gets_the_travel_banner_on_the_cosmetics_site(local_system):
    status, answer = decide(
        local_system, {"site": "hana-web", "customer": {"id": "new-customer"}, "slots": ["top-banner"]}
    )
    assert status == 200
    slot = answer["slots"]["top-banner"]
    assert (slot["campaign_id"], slot["destination_brand"], slot["template"]) == (
        "hana-to-tabi",
        "tabi",
        "image_text",
    )
    assert slot["fields"]["link_url"].startswith(local_system.site_urls["tabi"])
    assert len(answer["decision_id"]) == 32


def test_unknown_slot_gets_nothing(local_system):
    status, answer = decide(local_system, {"site": "hana-web", "customer": {"id": "x"}, "slots": ["footer"]})
    assert (status, answer["slots"]) == (200, {})


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (b"{not json", 400, "invalid_request"),
        (b"[]", 400, "invalid_request"),
        (json.dumps({"site": "hana-web", "slots": ["top-banner"]}).encode(), 400, "invalid_request"),
        (
            json.dumps({"site": "nowhere", "customer": {"id": "x"}, "slots": ["a"]}).encode(),
            404,
            "unknown_site",
        ),
    ],
)
def test_bad_requests_get_a_clear_4xx(local_system, body, status, error):
    got, answer = post(f"{local_system.gateway.url}/v1/decide", body)
    assert (got, answer["error"]) == (status, error)
    assert answer["message"]


def test_cors_lets_sites_call_from_their_own_origin(local_system):
    request = urllib.request.Request(
        f"{local_system.gateway.url}/v1/decide",
        method="OPTIONS",
        headers={"Origin": local_system.site_urls["hana"], "Access-Control-Request-Method": "POST"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 204)
        assert response.headers["access-control-allow-origin"] in ("*", local_system.site_urls["hana"])


def test_a_preflight_from_an_origin_no_published_site_has_is_refused(local_system):
    """Preflights are answered from the published site documents, the one list of origins."""
    request = urllib.request.Request(
        f"{local_system.gateway.url}/v1/decide",
        method="OPTIONS",
        headers={"Origin": "https://not-a-brand.example", "Access-Control-Request-Method": "POST"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403
    assert "access-control-allow-origin" not in {k.lower() for k in refused.value.headers}


def test_admin_routes_are_closed_without_a_login(local_system):
    status, answer = post(f"{local_system.gateway.url}/admin/v1/health", b"", {})
    assert (status, answer["message"]) == (401, "Unauthorized")


def test_unknown_paths_are_api_gateway_s_403(local_system):
    status, answer = post(f"{local_system.gateway.url}/v2/anything", b"{}")
    assert (status, answer) == (403, {"message": "Missing Authentication Token"})


def test_handlers_never_crashed(local_system):
    # every test above hit the gateway; none of them may have produced a 5xx
    decide(local_system, {"site": "umi-web", "customer": {"id": customer_id(1)}, "slots": ["top-banner"]})
    assert local_system.gateway.errors == 0
    assert brands_used(1)  # the demo customer exists in the generator


def _token_body(site: str, token: str) -> dict:
    return {"site": site, "customer": {"token": token}, "slots": ["top-banner"]}


def test_signed_identity_gets_a_banner_with_verifiable_tokens(local_system):
    from xsell.dal import secrets
    from xsell.decisioning.tokens import mint_identity_token
    from xsell.signing import customer_hash, verify

    token = mint_identity_token(secrets.site_secret("hana-web"), "hana-web", "signed-customer")
    status, answer = decide(local_system, _token_body("hana-web", token))
    assert status == 200
    slot = answer["slots"]["top-banner"]
    key = secrets.signing_key()
    claims = verify(key, "slot", slot["token"])
    assert (claims["d"], claims["s"], claims["c"], claims["b"], claims["db"], claims["h"]) == (
        answer["decision_id"],
        "hana-web",
        "hana-to-tabi",
        "hana",
        "tabi",
        0,
    )
    assert claims["u"] == customer_hash(key, "signed-customer")
    assert "signed-customer" not in slot["token"] + slot["ref"]
    assert verify(key, "ref", slot["ref"])["d"] == answer["decision_id"]


@pytest.mark.parametrize("case", ["other_site", "forged", "expired", "garbage", "not_an_id"])
def test_bad_identity_tokens_get_401(local_system, case):
    from xsell.dal import secrets
    from xsell.decisioning.tokens import mint_identity_token

    hana = secrets.site_secret("hana-web")
    token = {
        "other_site": mint_identity_token(secrets.site_secret("tabi-web"), "tabi-web", "c1"),
        "forged": mint_identity_token(b"not-the-secret", "hana-web", "c1"),
        "expired": mint_identity_token(hana, "hana-web", "c1", ttl_seconds=-10),
        "garbage": "abc",
        # Validly signed, but names another kind of item than a customer (keys use '#').
        "not_an_id": mint_identity_token(hana, "hana-web", "state#c1"),
    }[case]
    status, answer = decide(local_system, _token_body("hana-web", token))
    assert (status, answer["error"]) == (401, "identity_rejected")
