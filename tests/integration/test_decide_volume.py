"""Volume control through the local API gateway: caps, frequency and reciprocity stay exact
under concurrent clients; holdouts, preview, behaviour and origins over real HTTP.

Each test configures its own sites and brands, so the demo config around it is untouched.
"""

from __future__ import annotations

import datetime as dt
import json
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


def decide(system, site: str, customer: str, **extra) -> dict:
    status, answer, _ = post(
        system, "/v1/decide", {"site": site, "customer": {"id": customer}, "slots": ["top"], **extra}
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
