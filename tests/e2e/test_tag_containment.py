"""The tag keeps a banner inside its slot whatever its texts: 2,048-character titles, bodies and
calls to action, breakable or not, published straight into the config (as an old config may
hold them: the admin API would refuse them), on a real demo brand page in Chromium."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests import configs
from xsell.admin import documents
from xsell.decisioning.catalog import MAX_FIELD_CHARS
from xsell.errors import InvalidRequest

BANNER = "[data-xsell-slot='top-banner'] a.xsell-creative"
SLOT = "[data-xsell-slot='top-banner']"
RESERVED_HEIGHT = 122  # what the demo page reserves (demo/site.py)

LONG_FIELDS = {
    "breakable": {
        "title": "長いタイトル " * (MAX_FIELD_CHARS // 7),
        "body": "本文 " * (MAX_FIELD_CHARS // 3),
        "cta": "見る " * (MAX_FIELD_CHARS // 3),
    },
    "unbroken": {"title": "T" * MAX_FIELD_CHARS, "body": "B" * MAX_FIELD_CHARS, "cta": "C" * MAX_FIELD_CHARS},
}


@pytest.fixture(params=["text_card", "image_text"])
def long_campaign(request, local_system) -> Iterator[tuple[str, str]]:
    """A top-priority hana -> umi campaign whose creative has over-long texts; (id, kind of text)."""
    from local.lambda_runtime import handler_module

    template = request.param
    kind = "unbroken" if template == "text_card" else "breakable"
    campaign_id = f"contain-{template.replace('_', '-')}-{uuid.uuid4().hex[:6]}"
    fields: dict[str, Any] = {**LONG_FIELDS[kind], "link_url": f"{local_system.site_urls['umi']}/?from=x"}
    if template == "image_text":
        fields |= {"image_url": f"{local_system.cdn.url}/assets/umi.svg", "alt": "海グルメ"}
    campaign = {
        "campaign_id": campaign_id,
        "status": "active",
        "source_sites": ["hana-web"],
        "slots": ["top-banner"],
        "destination_brand": "umi",
        "priority": 1000,
        "creatives": [{"creative_id": "long", "template": template, "fields": fields}],
    }
    with pytest.raises(InvalidRequest):  # the admin API would refuse these texts ...
        documents.validate_creative(
            {"creative_id": "long", "brand": "umi", "template": template, "fields": fields}
        )
    configs.put_unchecked({("campaign", campaign_id): campaign})  # ... an old config may still hold them
    handler_module("decide").snapshots.refresh()
    try:
        yield campaign_id, kind
    finally:
        configs.put_unchecked({("campaign", campaign_id): None})
        handler_module("decide").snapshots.refresh()


@pytest.mark.parametrize("width", [1000, 375], ids=["desktop", "phone"])
def test_long_texts_stay_inside_the_reserved_slot(local_system, browser, long_campaign, width) -> None:
    campaign_id, kind = long_campaign
    context = browser.new_context(viewport={"width": width, "height": 700})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        url = f"{local_system.site_urls['hana']}/?customer=contain-{uuid.uuid4().hex[:8]}"
        page.goto(url)
        banner = page.locator(f"{BANNER}[data-xsell-campaign='{campaign_id}']")
        banner.wait_for(timeout=10_000)
        title = banner.locator(".xsell-title")
        assert (
            len(title.inner_text().strip()) >= MAX_FIELD_CHARS - 7
        )  # the whole text is there, clamped by CSS

        boxes = page.evaluate(
            """([slotSel, linkSel]) => {
                const rect = (el) => { const r = el.getBoundingClientRect();
                  return {left: r.left, top: r.top, right: r.right, bottom: r.bottom, height: r.height}; };
                const slot = document.querySelector(slotSel), link = document.querySelector(linkSel);
                return {slot: rect(slot), link: rect(link), overflow: getComputedStyle(slot).overflow,
                        scrollWidth: document.documentElement.scrollWidth, viewport: window.innerWidth};
            }""",
            [SLOT, BANNER],
        )
        slot, link = boxes["slot"], boxes["link"]
        assert slot["height"] == RESERVED_HEIGHT, boxes  # the slot never grows
        assert boxes["overflow"] == "hidden"
        assert link["left"] >= slot["left"] - 0.5 and link["top"] >= slot["top"] - 0.5, boxes
        assert link["right"] <= slot["right"] + 0.5 and link["bottom"] <= slot["bottom"] + 0.5, boxes
        assert boxes["scrollWidth"] == boxes["viewport"], boxes  # the page is not widened

        # Right under the slot is the host page: a click there stays on the page.
        x, y = (slot["left"] + slot["right"]) / 2, slot["bottom"] + 8
        hit = page.evaluate(
            "([x, y, sel]) => !!document.elementFromPoint(x, y)?.closest(sel)", [x, y, "a.xsell-creative"]
        )
        assert hit is False
        page.mouse.click(x, y)
        page.wait_for_timeout(500)
        assert page.url == url

        page.screenshot(path=str(_shot(f"containment-{kind}-{width}")), full_page=True)
        assert errors == []
    finally:
        context.close()


def _shot(name: str) -> Any:
    from tests.conftest import RESULTS

    out = RESULTS / "e2e"
    out.mkdir(parents=True, exist_ok=True)
    return out / f"{name}.png"
