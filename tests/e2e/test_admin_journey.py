"""The marketer's journey through the admin API, ending on a real brand page in Chromium.

A hana marketer signs in, creates a creative and a campaign sending hana's customers to tabi,
and asks for approval; the tabi marketer approves and publishes; within the snapshot TTL the
hana site shows the new banner, with no restart.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from demo.users import PASSWORD
from tests import admin_api
from tests.e2e.pages import wait_for_banner
from xsell import roles
from xsell.admin import configs


def call(system: Any, token: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    status, raw = admin_api.call(system, token, method, path, body)
    return status, json.loads(raw)


def signed_in(system: Any, email: str, role: str, brand: str) -> str:
    system.user_pool.create_user(email, PASSWORD, role, brand)
    return system.user_pool.sign_in(email, PASSWORD)["id_token"]


def test_a_campaign_from_hana_to_tabi_goes_live_after_tabi_approves(demo_system, page):
    from local.lambda_runtime import handler_module

    tag = uuid.uuid4().hex[:6]
    creative_id, campaign_id = f"journey-{tag}", f"hana-to-tabi-{tag}"
    title = f"旅トラベル 新春の宿 {tag}"
    hana = signed_in(demo_system, f"hana-{tag}@xsell.example", roles.BRAND_MARKETER, "hana")
    tabi = signed_in(demo_system, f"tabi-{tag}@xsell.example", roles.BRAND_MARKETER, "tabi")

    creative = {
        "brand": "hana",
        "template": "text_card",
        "fields": {"title": title, "link_url": f"{demo_system.site_urls['tabi']}/?from=hana"},
    }
    status, answer = call(demo_system, hana, "PUT", f"/creatives/{creative_id}", {"data": creative})
    assert status == 200, answer
    campaign = {
        "name": "花 → 旅 新春",
        "status": "active",
        "source_sites": ["hana-web"],
        "slots": ["top-banner"],
        "destination_brand": "tabi",
        "priority": 900,
        "creatives": [{"creative_id": creative_id}],
    }
    status, saved = call(demo_system, hana, "PUT", f"/campaigns/{campaign_id}", {"data": campaign})
    assert status == 200, saved
    assert saved["approval"]["status"] == "missing"
    status, held = call(demo_system, hana, "POST", "/publish", {"only": [f"campaign/{campaign_id}"]})
    assert (status, held["error"]) == (409, "nothing_to_publish")  # not without tabi's approval

    assert call(demo_system, hana, "POST", f"/campaigns/{campaign_id}/approval-request", {})[0] == 200
    status, seen = call(demo_system, tabi, "GET", f"/campaigns/{campaign_id}")
    assert status == 200 and seen["resolved"]["creatives"][0]["fields"]["title"] == title
    fingerprint = seen["approval"]["fingerprint"]
    status, approved = call(
        demo_system, tabi, "POST", f"/campaigns/{campaign_id}/approve", {"fingerprint": fingerprint}
    )
    assert (status, approved["approval"]["status"]) == (200, "approved")
    status, published = call(demo_system, tabi, "POST", "/publish", {"only": [f"campaign/{campaign_id}"]})
    assert status == 200, published
    live_at = time.monotonic()

    customer = f"journey-{tag}"  # new to every brand: eligible for a referral to tabi
    try:
        banner = wait_for_banner(
            page, f"{demo_system.site_urls['hana']}/?customer={customer}", campaign_id, live_at
        )
        assert banner.locator(".xsell-title").inner_text() == title
        assert page.console_messages == []
    finally:
        configs.publish_documents({}, note="test: journey cleanup", remove=[("campaign", campaign_id)])
        handler_module("decide").snapshots.refresh()  # later tests see the demo config again
