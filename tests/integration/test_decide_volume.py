"""Volume control through the local API gateway: caps, frequency and reciprocity stay exact
under concurrent clients; holdouts, preview, behaviour and origins over real HTTP.

Each test configures its own sites and brands, so the demo config around it is untouched.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests import configs
from xsell.dal import counters, customers, profiles, secrets
from xsell.decisioning import catalog, tokens
from xsell.decisioning.schedule import period_key

CLIENTS = 16


def post(system, path: str, body: dict, headers: dict | None = None) -> tuple[int, dict, dict]:
    request = urllib.request.Request(
        f"{system.gateway.url}{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"content-type": "text/plain;charset=UTF-8", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read()), response.headers
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read()), err.headers


def origin_of(site: str) -> str:
    """The origin the world's sites allow: their brand's (see the world fixture)."""
    return f"https://{site.removesuffix('-web')}.example.jp"


def decide(system, site: str, customer: str, **extra) -> dict:
    """A call from the site's page in a browser: it takes units of caps and reciprocity credit."""
    status, answer, _ = post(
        system,
        "/v1/decide",
        {"site": site, "customer": {"id": customer}, "slots": ["top"], **extra},
        {"Origin": origin_of(site)},
    )
    assert status == 200, answer
    return answer


def campaign_of(answer: dict) -> str | None:
    slot = answer["slots"].get("top")
    return slot["campaign_id"] if slot else None


@pytest.fixture
def world(local_system, monkeypatch):
    """A fresh pair of brands with one site each; config changes are seen at once."""
    from local.lambda_runtime import handler_module

    monkeypatch.setattr(handler_module("decide").snapshots, "ttl", 0.0)
    tag = uuid.uuid4().hex[:6]

    class World:
        source, destination = f"src{tag}", f"dst{tag}"
        site, back_site = f"{source}-web", f"{destination}-web"
        campaigns: list[str] = []

        def campaign(self, cid: str, **fields) -> str:
            doc = {
                "campaign_id": f"{cid}-{tag}",
                "status": "active",
                "source_sites": [fields.pop("site", self.site)],
                "slots": ["top"],
                "destination_brand": fields.pop("destination", self.destination),
                "creatives": [
                    {
                        "creative_id": "a",
                        "template": "text_card",
                        "fields": {"title": cid, "link_url": f"https://{self.destination}.example.jp/"},
                    }
                ],
                **fields,
            }
            catalog.validate_campaign(doc)
            configs.put_campaign(doc)
            self.campaigns.append(doc["campaign_id"])
            return doc["campaign_id"]

    for site, brand in ((World.site, World.source), (World.back_site, World.destination)):
        configs.put(
            "site",
            site,
            {
                "site_id": site,
                "brand": brand,
                "allow_raw_id": True,
                "origins": [f"https://{brand}.example.jp"],
            },
        )
    world = World()
    yield world
    # Leave the config as the demo has it: other tests list its brands.
    configs.remove(
        *(("campaign", campaign_id) for campaign_id in world.campaigns),
        *(("creative", f"{campaign_id}-a") for campaign_id in world.campaigns),
        *(("site", site) for site in (World.site, World.back_site)),
    )


@pytest.fixture
def group_settings(local_system):
    """Set group-wide settings for one test and put the previous ones back."""
    previous = configs.live("group").get(catalog.GROUP_ID)

    def put(doc: dict) -> None:
        catalog.validate_group(doc)
        configs.put("group", catalog.GROUP_ID, {**doc})

    yield put
    configs.put("group", catalog.GROUP_ID, previous or {})


def today(tz: str = "Asia/Tokyo", period: str = "day") -> str:
    return period_key(dt.datetime.now(dt.UTC), tz, period)


def test_a_cap_of_500_serves_exactly_500_to_16_concurrent_clients(local_system, world):
    capped = world.campaign("cap", caps=[{"metric": "served", "period": "day", "limit": 500}])

    def client(n: int) -> int:
        return sum(campaign_of(decide(local_system, world.site, f"cap-{n}-{i}")) == capped for i in range(40))

    with ThreadPoolExecutor(CLIENTS) as pool:
        served = sum(pool.map(client, range(CLIENTS)))
    assert served == 500  # 640 asked
    assert counters.served("campaign", capped, today()) == 500
    assert campaign_of(decide(local_system, world.site, "one-more")) is None
    assert local_system.gateway.errors == 0


def test_a_capped_campaign_gives_way_to_the_next_eligible_one(local_system, world):
    first = world.campaign("first", priority=5, caps=[{"period": "total", "limit": 2}])
    second = world.campaign("second", priority=1)
    got = [campaign_of(decide(local_system, world.site, f"fall-{n}")) for n in range(4)]
    assert got == [first, first, second, second]
    assert counters.served("campaign", first, "total") == 2


def test_frequency_cap_per_customer_is_exact_under_concurrency(local_system, world):
    capped = world.campaign("freq", frequency=[{"period": "day", "limit": 3}])

    def client(n: int) -> int:
        return sum(campaign_of(decide(local_system, world.site, "same-customer")) == capped for _ in range(5))

    with ThreadPoolExecutor(CLIENTS) as pool:
        served = sum(pool.map(client, range(CLIENTS)))
    assert served == 3
    assert customers.frequency("same-customer", capped, today()) == 3
    assert campaign_of(decide(local_system, world.site, "another-customer")) == capped


def test_reciprocity_bound_holds_with_traffic_both_ways(local_system, world, group_settings):
    group_settings(
        {
            "reciprocity": {
                "period": "day",
                "pairs": {
                    f"{world.source}>{world.destination}": {"ratio": 2, "allowance": 10},
                    f"{world.destination}>{world.source}": {"ratio": 2, "allowance": 10},
                },
            }
        }
    )
    there = world.campaign("there")
    back = world.campaign("back", site=world.back_site, destination=world.source)

    def client(n: int) -> tuple[int, int]:
        sent_there = sum(
            campaign_of(decide(local_system, world.site, f"r-{n}-{i}")) == there for i in range(20)
        )
        sent_back = (
            sum(campaign_of(decide(local_system, world.back_site, f"b-{n}-{i}")) == back for i in range(3))
            if n % 2
            else 0
        )
        return sent_there, sent_back

    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(client, range(CLIENTS)))
    sent_there, sent_back = (sum(r[0] for r in results), sum(r[1] for r in results))
    assert sent_back == 24  # B→A never hit its bound: A→B kept earning it credit
    assert sent_there <= 10 + 2 * sent_back
    # The bound is reached exactly, never passed.
    for n in range(80):
        decide(local_system, world.site, f"late-{n}")
    credit, sent = counters.ledger(world.source, world.destination, today())
    assert sent == 10 + 2 * sent_back and credit == 0
    assert counters.ledger(world.destination, world.source, today())[1] == sent_back


def test_click_cap_stops_serving_once_collect_has_counted_the_clicks(local_system, world):
    capped = world.campaign("clicks", caps=[{"metric": "clicks", "period": "total", "limit": 2}])
    for n in range(2):
        answer = decide(local_system, world.site, f"clicker-{n}")
        token = answer["slots"]["top"]["token"]
        status, outcome, _ = post(
            local_system, "/v1/events", {"site": world.site, "events": [{"type": "click", "token": token}]}
        )
        assert (status, outcome["accepted"]) == (200, 1)
        # A replayed click is refused and not counted twice.
        post(local_system, "/v1/events", {"site": world.site, "events": [{"type": "click", "token": token}]})
    assert counters.clicks("campaign", capped, "total") == 2
    assert campaign_of(decide(local_system, world.site, "after-the-cap")) is None


def test_holdout_customers_get_a_measured_empty_slot(local_system, world):
    # Under 100, a cap is leased one unit at a time: its count is exactly what was served.
    held = world.campaign("held", holdout_pct=50, caps=[{"period": "total", "limit": 90}])
    answers = [decide(local_system, world.site, f"h-{n}") for n in range(40)]
    holdouts = [a for a in answers if a["holdouts"]]
    treated = [a for a in answers if a["slots"]]
    assert holdouts and treated and len(holdouts) + len(treated) == 40
    assert all(a["holdouts"][0]["campaign_id"] == held and not a["slots"] for a in holdouts)
    # Holdouts are not counted against the cap: nothing was shown.
    assert counters.served("campaign", held, "total") == len(treated)
    # Same customer, same group.
    again = decide(local_system, world.site, "h-0")
    assert bool(again["holdouts"]) == bool(answers[0]["holdouts"])
    status, outcome, _ = post(
        local_system,
        "/v1/events",
        {"site": world.site, "events": [{"type": "holdout", "token": holdouts[0]["holdouts"][0]["token"]}]},
    )
    assert (status, outcome["accepted"]) == (200, 1)


def test_preview_forces_a_draft_campaign_and_counts_nothing(local_system, world):
    draft = world.campaign("draft", status="draft", caps=[{"period": "total", "limit": 5}])
    token = tokens.mint_preview_token(secrets.signing_key(), draft, f"{draft}-a", world.site)
    answer = decide(local_system, world.site, "qa-person", preview=token)
    assert answer["preview"] is True and campaign_of(answer) == draft
    assert "token" not in answer["slots"]["top"] and "ref" not in answer["slots"]["top"]
    assert counters.served("campaign", draft, "total") == 0
    # No behaviour recorded either: the next real visit is still a first visit.
    assert customers.record_visit("qa-person", world.site, None, dt.datetime.now(dt.UTC)).first_visit
    # Without the token the draft stays invisible.
    assert campaign_of(decide(local_system, world.site, "qa-person")) is None


@pytest.mark.parametrize(
    ("preview", "message"),
    [
        ("not-a-token", "preview token rejected"),
        ("other-site", "another site"),
        ("unknown-campaign", "not in the config"),
    ],
)
def test_bad_preview_tokens_are_400(local_system, world, preview, message):
    key = secrets.signing_key()
    draft = world.campaign("p", status="draft")
    token = {
        "not-a-token": "abc.def",
        "other-site": tokens.mint_preview_token(key, draft, None, "hana-web"),
        "unknown-campaign": tokens.mint_preview_token(key, "no-such-campaign"),
    }[preview]
    status, answer, _ = post(
        local_system,
        "/v1/decide",
        {"site": world.site, "customer": {"id": "c"}, "slots": ["top"], "preview": token},
    )
    assert (status, answer["error"]) == (400, "invalid_request")
    assert message in answer["message"]


def test_behaviour_drives_first_visit_and_visit_count_targeting(local_system, world):
    welcome = world.campaign(
        "welcome", priority=5, targeting={"field": "first_visit", "op": "eq", "value": True}
    )
    regular = world.campaign(
        "regular",
        priority=4,
        targeting={
            "all": [
                {"field": "visit_count", "op": "ge", "value": 3},
                {"field": "recent_categories", "op": "has_any", "value": ["travel"]},
            ]
        },
    )
    seen = [
        campaign_of(decide(local_system, world.site, "visitor", page={"category": c}))
        for c in ("travel", "shoes", "shoes", "shoes")
    ]
    assert seen == [welcome, None, regular, regular]


def test_origins_are_checked_against_the_site(local_system, world):
    body = {"site": world.site, "customer": {"id": "o"}, "slots": ["top"]}
    status, _, headers = post(
        local_system, "/v1/decide", body, {"Origin": f"https://{world.source}.example.jp"}
    )
    assert status == 200 and headers["Access-Control-Allow-Origin"] == f"https://{world.source}.example.jp"
    status, answer, headers = post(local_system, "/v1/decide", body, {"Origin": "https://evil.example"})
    assert (status, answer["error"]) == (403, "origin_rejected")
    assert "Access-Control-Allow-Origin" not in headers


def test_erasure_removes_frequency_and_behaviour(local_system, world):
    capped = world.campaign("erase", frequency=[{"period": "total", "limit": 5}])
    decide(local_system, world.site, "to-erase")
    assert customers.frequency("to-erase", capped, "total") == 1
    profiles.DynamoTransport().erase_state("to-erase")  # what an erasure row does, besides the tombstone
    assert customers.frequency("to-erase", capped, "total") == 0
    assert customers.record_visit("to-erase", world.site, None, dt.datetime.now(dt.UTC)).first_visit


def _signed_headers(secret: str, body: bytes, at: int | None = None) -> dict[str, str]:
    from xsell.server_calls import signature

    timestamp = str(at if at is not None else int(time.time()))
    return {"X-Xsell-Timestamp": timestamp, "X-Xsell-Signature": signature(secret.encode(), timestamp, body)}


def _post_raw(system, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{system.gateway.url}/v1/decide",
        data=body,
        method="POST",
        headers={"content-type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.fixture
def unlimited_group(group_settings):
    """No reciprocity and no destination caps: a campaign without caps needs no shared unit."""
    group_settings({})


def test_a_call_without_origin_or_signature_takes_no_cap_or_credit(local_system, world, unlimited_group):
    capped = world.campaign("capped", priority=5, caps=[{"period": "total", "limit": 50}])
    free = world.campaign("free", priority=1)
    body = {"site": world.site, "customer": {"id": "anon"}, "slots": ["top"]}
    unmetered = [
        post(local_system, "/v1/decide", {**body, "customer": {"id": f"anon-{n}"}}) for n in range(20)
    ]
    assert {(status, campaign_of(answer)) for status, answer, _ in unmetered} == {(200, free)}
    assert counters.served("campaign", capped, "total") == 0  # not one unit leased
    # The same request from the site's page takes its unit and gets the capped campaign.
    assert campaign_of(decide(local_system, world.site, "from-the-page")) == capped
    assert counters.served("campaign", capped, "total") >= 1


def test_a_call_without_origin_takes_no_reciprocity_credit(local_system, world, group_settings):
    group_settings(
        {
            "reciprocity": {
                "period": "day",
                "pairs": {f"{world.source}>{world.destination}": {"ratio": 1, "allowance": 3}},
            }
        }
    )
    there = world.campaign("there")
    for n in range(10):
        status, answer, _ = post(
            local_system, "/v1/decide", {"site": world.site, "customer": {"id": f"x-{n}"}, "slots": ["top"]}
        )
        assert (status, campaign_of(answer)) == (200, None)
    assert counters.ledger(world.source, world.destination, today())[1] == 0
    assert [campaign_of(decide(local_system, world.site, f"page-{n}")) for n in range(4)] == [there] * 3 + [
        None
    ]


def test_a_server_call_signed_with_the_site_secret_is_metered(local_system, world, unlimited_group):
    secrets.set_site_secret(world.site, "server-secret-1")
    capped = world.campaign("capped", priority=5, caps=[{"period": "total", "limit": 50}])
    body = json.dumps({"site": world.site, "customer": {"id": "srv"}, "slots": ["top"]}).encode()
    status, answer = _post_raw(local_system, body, _signed_headers("server-secret-1", body))
    assert status == 200 and campaign_of(answer) == capped
    assert counters.served("campaign", capped, "total") >= 1


def test_a_signed_server_call_sent_again_is_refused_and_spends_nothing(local_system, world, unlimited_group):
    secrets.set_site_secret(world.site, "server-secret-3")
    capped = world.campaign("capped", priority=5, caps=[{"period": "total", "limit": 50}])
    body = json.dumps({"site": world.site, "customer": {"id": "srv-again"}, "slots": ["top"]}).encode()
    headers = _signed_headers("server-secret-3", body)
    status, answer = _post_raw(local_system, body, headers)
    assert status == 200 and campaign_of(answer) == capped
    spent = counters.served("campaign", capped, "total")
    again, refused = _post_raw(local_system, body, headers)  # a captured call, replayed in the window
    assert (again, refused["error"]) == (409, "replayed")
    assert "sign each call anew" in refused["message"]
    assert counters.served("campaign", capped, "total") == spent
    # Signed anew (a later second), the same request is served.
    status, answer = _post_raw(
        local_system, body, _signed_headers("server-secret-3", body, int(time.time()) + 1)
    )
    assert status == 200 and campaign_of(answer) == capped


@pytest.mark.parametrize(
    ("case", "status", "error"),
    [
        ("other secret", 401, "signature_invalid"),
        ("other body", 401, "signature_invalid"),
        ("stale", 401, "signature_expired"),
        ("no timestamp", 400, "invalid_request"),
        ("not hex", 400, "invalid_request"),
    ],
)
def test_a_bad_server_signature_is_refused(local_system, world, unlimited_group, case, status, error):
    secrets.set_site_secret(world.site, "server-secret-2")
    capped = world.campaign("capped", caps=[{"period": "total", "limit": 50}])
    body = json.dumps({"site": world.site, "customer": {"id": "srv"}, "slots": ["top"]}).encode()
    headers = {
        "other secret": _signed_headers("not-the-secret", body),
        "other body": _signed_headers("server-secret-2", body.replace(b"srv", b"vrs")),
        "stale": _signed_headers("server-secret-2", body, int(time.time()) - 3600),
        "no timestamp": {"X-Xsell-Signature": _signed_headers("server-secret-2", body)["X-Xsell-Signature"]},
        "not hex": {**_signed_headers("server-secret-2", body), "X-Xsell-Signature": "zz"},
    }[case]
    got_status, answer = _post_raw(local_system, body, headers)
    assert (got_status, answer["error"]) == (status, error)
    assert counters.served("campaign", capped, "total") == 0
