"""The tag on the demo brand sites in Chromium: banners that never move the page, viewable
impressions, a click that carries the referral to the other brand, the conversion there,
holdouts, hostile creatives, an API that is down, single-page-app routes and opt-out.

Decide does not sign tokens yet: ``decide_with_tokens`` lets the real decide answer and adds
the contract's tokens only where they are missing (tests.decide_contract), so these tests
run unchanged once decide signs them itself.
"""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from demo.brands import BY_ID
from demo.customers import brands_used, customer_id
from tests import decide_contract as contract
from tests.stored_events import wait_for
from xsell import signing
from xsell.dal import secrets

BANNER = "[data-xsell-slot='top-banner'] a.xsell-creative"
# Every layout shift the page has had, read from a buffered PerformanceObserver.
CLS_PROBE = """
window.__cls = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__cls += entry.value;
}).observe({ type: "layout-shift", buffered: true });
"""


def customer_using(brands: list[str]) -> str:
    return next(customer_id(n) for n in range(1, 300) if brands_used(n) == brands)


class Traffic:
    """What the page sent to the API: decide answers (as the tag saw them) and event batches."""

    def __init__(self) -> None:
        self.decisions: list[dict] = []
        self.batches: list[tuple[float, list[dict]]] = []

    def events(self, kind: str | None = None) -> list[dict]:
        return [e for _, batch in self.batches for e in batch if kind in (None, e.get("type"))]


@pytest.fixture
def key(demo_system) -> bytes:
    return secrets.signing_key()


@pytest.fixture
def traffic(page) -> Traffic:
    seen = Traffic()

    def on_request(request) -> None:
        if request.method == "POST" and request.url.endswith("/v1/events"):
            seen.batches.append((time.monotonic(), json.loads(request.post_data)["events"]))

    page.on("request", on_request)
    page.add_init_script(CLS_PROBE)
    return seen


@pytest.fixture
def decide_with_tokens(page, key, traffic):
    """Route /v1/decide to the real decide and complete its answer with the contract's tokens."""

    def handle(route) -> None:
        asked = json.loads(route.request.post_data)
        response = route.fetch()
        answer = response.json()
        if response.ok:
            source = asked["site"].removesuffix("-web")
            answer = contract.complete(
                answer, key, site=asked["site"], source=source, customer_id=asked["customer"]["id"]
            )
            traffic.decisions.append(answer)
        route.fulfill(response=response, json=answer)

    page.route("**/v1/decide", handle)
    return traffic


def answer_with(page, traffic: Traffic, answer: dict) -> None:
    """Route /v1/decide to a fixed answer."""

    def handle(route) -> None:
        traffic.decisions.append(answer)
        route.fulfill(json=answer, headers={"access-control-allow-origin": "*"})

    page.route("**/v1/decide", handle)


def stored(page, decision_id: str, kind: str) -> list[dict]:
    """The stored records of one decision and type, polling while the page's routes keep being served."""
    found = wait_for(
        lambda r: r["decision_id"] == decision_id and r["event_type"] == kind,
        pause=lambda seconds: page.wait_for_timeout(seconds * 1000),
    )
    return [record for _, record in found]


def quiet(messages: list[str]) -> list[str]:
    # A request the test itself aborted is reported by Chromium as a network error; nothing else may be.
    return [m for m in messages if "net::ERR_FAILED" not in m]


def test_banner_fills_its_reserved_slot_without_moving_the_page(demo_system, page, decide_with_tokens):
    page.goto(f"{demo_system.site_urls['hana']}/?customer={customer_using(['hana'])}")
    slot = page.locator("[data-xsell-slot='top-banner']")
    before = slot.bounding_box()
    page.locator(BANNER).wait_for(timeout=10_000)
    page.wait_for_function("document.querySelector('[data-xsell-slot] img').complete")
    page.wait_for_timeout(300)

    assert page.evaluate("window.__cls") == 0
    assert slot.bounding_box() == before
    banner = page.locator(BANNER)
    assert banner.locator("img").get_attribute("alt") == BY_ID["tabi"].name
    ref = parse_qs(urlsplit(banner.get_attribute("href")).query)["xsell_ref"]
    assert ref == [decide_with_tokens.decisions[0]["slots"]["top-banner"]["ref"]]
    page.keyboard.press("Tab")  # the banner is the first thing a keyboard user reaches
    assert page.evaluate("document.activeElement.className") == "xsell-creative"
    assert page.console_messages == []


def test_impression_is_sent_only_after_the_banner_was_viewable(demo_system, page, decide_with_tokens):
    page.set_viewport_size({"width": 1000, "height": 60})  # the slot starts below the fold
    page.goto(f"{demo_system.site_urls['tabi']}/?customer={customer_using(['tabi'])}")
    page.locator(BANNER).wait_for(state="attached", timeout=10_000)
    assert page.locator("[data-xsell-slot]").bounding_box()["y"] > 60
    page.wait_for_timeout(2000)  # rendered, out of view: twice the viewability time
    assert decide_with_tokens.events() == []

    page.set_viewport_size({"width": 1000, "height": 700})
    visible_at = time.monotonic()  # no earlier than the slot came into view
    deadline = visible_at + 5
    while not decide_with_tokens.events("impression") and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    [(sent_at, batch)] = decide_with_tokens.batches
    assert batch == [
        {"type": "impression", "token": decide_with_tokens.decisions[0]["slots"]["top-banner"]["token"]}
    ]
    assert sent_at - visible_at >= 1.0

    decision_id = decide_with_tokens.decisions[0]["decision_id"]
    [record] = stored(page, decision_id, "impression")
    assert (record["site_id"], record["campaign_id"], record["holdout"]) == ("tabi-web", "tabi-to-umi", False)
    assert page.console_messages == []


def test_click_reaches_the_other_brand_with_the_referral_and_its_order_converts(
    demo_system, page, decide_with_tokens, key
):
    customer = customer_using(["umi"])
    page.goto(f"{demo_system.site_urls['umi']}/?customer={customer}")
    landings: list[str] = []
    page.on("request", lambda r: landings.append(r.url) if r.is_navigation_request() else None)
    page.locator(BANNER).click()
    destination = demo_system.site_urls["hana"]
    page.wait_for_url(f"{destination}/?from=umi")  # the tag took the token out of the address bar

    decision = decide_with_tokens.decisions[0]
    ref = decision["slots"]["top-banner"]["ref"]
    assert parse_qs(urlsplit(landings[-1]).query) == {"from": ["umi"], "xsell_ref": [ref]}
    kept = json.loads(page.evaluate("localStorage.getItem('xsell_ref')"))
    assert kept["t"] == ref and kept["e"] == signing.verify(key, "ref", ref)["exp"] * 1000

    page.locator("#demo-order").click()
    page.locator("#demo-order-status").wait_for()
    order_id = page.locator("#demo-order-status").inner_text().split("（")[1].rstrip("）")

    [click] = stored(page, decision["decision_id"], "click")
    [conversion] = stored(page, decision["decision_id"], "conversion")
    # Joined on the decision: the same referral, customer and campaign, reported by the other brand.
    for field in ("campaign_id", "creative_id", "customer_hash", "source_brand", "destination_brand"):
        assert click[field] == conversion[field]
    assert (conversion["order_id"], conversion["value"], conversion["currency"]) == (order_id, 5000.0, "JPY")
    assert (conversion["conversion_site"], conversion["destination_brand"]) == ("hana-web", "hana")
    assert click["customer_hash"] == signing.customer_hash(key, customer)
    assert page.console_messages == []


def test_holdout_exposure_is_logged_like_an_impression(demo_system, page, traffic, key):
    customer = customer_using(["hana"])
    answer = contract.response(
        key,
        site="hana-web",
        source="hana",
        customer_id=customer,
        holdouts={"top-banner": ("hana-to-tabi", "tabi")},
    )
    answer_with(page, traffic, answer)
    page.goto(f"{demo_system.site_urls['hana']}/?customer={customer}")
    [record] = stored(page, answer["decision_id"], "holdout")
    assert (record["campaign_id"], record["creative_id"], record["holdout"]) == ("hana-to-tabi", None, True)
    assert page.locator("[data-xsell-slot] *").count() == 0
    assert page.console_messages == []


HOSTILE = {
    "campaign_id": "hana-to-umi",
    "creative_id": "evil",
    "destination_brand": "umi",
    "template": "image_text",
    "fields": {
        "title": "<script>alert('title')</script><img src=x onerror=\"alert('img')\">",
        "body": "<a href=\"javascript:alert('body')\">x</a>",
        "cta": "javascript:alert('cta')",
        "image_url": "javascript:alert('image')",
        "alt": "\" onload=\"alert('alt')",
        "link_url": "https://umi.example/",
    },
}


@pytest.mark.parametrize(
    "link",
    ["https://umi.example/", "javascript:alert('link')", "data:text/html,x"],
    ids=["https-link", "javascript-link", "data-link"],
)
def test_a_creative_carrying_script_never_executes(demo_system, page, traffic, key, link):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    customer = customer_using(["hana"])
    creative = {**HOSTILE, "fields": {**HOSTILE["fields"], "link_url": link}}
    answer = contract.response(
        key, site="hana-web", source="hana", customer_id=customer, slots={"top-banner": creative}
    )
    answer_with(page, traffic, answer)
    page.goto(f"{demo_system.site_urls['hana']}/?customer={customer}")
    page.wait_for_function("window.xsell && window.xsell.loaded === true")
    page.wait_for_timeout(500)

    slot = page.locator("[data-xsell-slot='top-banner']")
    if link.startswith("https:"):
        assert slot.locator(".xsell-title").inner_text() == HOSTILE["fields"]["title"]
        assert slot.locator("script, img, [onerror], [onload]").count() == 0
        page.locator(BANNER).focus()
        page.keyboard.press("Tab")
    else:
        assert slot.locator("*").count() == 0  # an unsafe link means no banner at all
    assert dialogs == []
    assert page.console_messages == []


@pytest.mark.parametrize("down", ["/v1/decide", "/v1/events"], ids=["decide-down", "events-down"])
def test_api_down_leaves_the_page_intact_and_the_console_clean(demo_system, page, decide_with_tokens, down):
    page.route(f"**{down}", lambda route: route.abort())
    page.goto(f"{demo_system.site_urls['umi']}/?customer={customer_using(['umi'])}")
    page.wait_for_function("window.xsell && window.xsell.loaded === true")
    page.wait_for_timeout(2000)  # past viewability and the batch window
    assert page.locator("h1").inner_text() == BY_ID["umi"].name
    assert page.locator(BANNER).count() == (0 if down == "/v1/decide" else 1)
    page.locator("#demo-order").click()  # the conversion call stays silent as well
    assert quiet(page.console_messages) == []


def test_single_page_app_route_change_re_decides(demo_system, page, decide_with_tokens):
    page.goto(f"{demo_system.site_urls['hana']}/?customer={customer_using(['hana'])}")
    page.locator(BANNER).wait_for()
    page.evaluate("history.replaceState({scrolled: true}, '', location.href)")  # same page view
    page.wait_for_timeout(400)
    assert len(decide_with_tokens.decisions) == 1

    page.evaluate("history.pushState({}, '', '/offers')")
    page.wait_for_function("document.querySelector('[data-xsell-slot] a')")
    deadline = time.monotonic() + 5
    while len(decide_with_tokens.decisions) < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    page.go_back()
    while len(decide_with_tokens.decisions) < 3 and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    first, second, third = (d["decision_id"] for d in decide_with_tokens.decisions)
    assert len({first, second, third}) == 3
    assert page.locator(BANNER).get_attribute("data-xsell-campaign") == "hana-to-tabi"
    assert page.console_messages == []


def test_opt_out_removes_the_banner_and_stays_out(demo_system, page, decide_with_tokens):
    url = f"{demo_system.site_urls['tabi']}/?customer={customer_using(['tabi'])}"
    page.goto(url)
    page.locator(BANNER).wait_for()
    page.evaluate("xsell('optout')")
    assert page.locator("[data-xsell-slot] *").count() == 0
    page.wait_for_timeout(1600)
    page.reload()
    page.wait_for_function("window.xsell && window.xsell.loaded === true")
    page.wait_for_timeout(500)
    assert len(decide_with_tokens.decisions) == 1
    assert decide_with_tokens.batches == []
    assert page.console_messages == []
