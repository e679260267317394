"""Preview in the real brand page: a marketer mints a preview on the Preview screen, opens the
brand page from there (``?xsell_preview=<token>``) and sees the previewed campaign's banner,
while the campaign's cap counts nothing."""

from __future__ import annotations

import json
import uuid
from typing import Any

from demo.users import PASSWORD
from tests import admin_api, configs
from tests.e2e.test_admin_spa import axe, go, shoot, sign_in, user
from xsell import roles

BANNER = "[data-xsell-slot='top-banner'] a.xsell-creative"


def paused_campaign(system: Any, campaign_id: str, title: str) -> dict[str, Any]:
    """hana -> tabi, paused: only a preview can show it."""
    return {
        "campaign_id": campaign_id,
        "name": "プレビュー確認",
        "status": "paused",
        "source_sites": ["hana-web"],
        "slots": ["top-banner"],
        "destination_brand": "tabi",
        "priority": 1,
        "creatives": [
            {
                "creative_id": "a",
                "template": "text_card",
                "fields": {"title": title, "link_url": f"{system.site_urls['tabi']}/?from=preview"},
            }
        ],
        "caps": [{"metric": "served", "period": "day", "limit": 100}],
    }


def cap_used(system: Any, token: str, campaign_id: str) -> int:
    status, raw = admin_api.call(system, token, "GET", "/pacing")
    assert status == 200, raw
    [row] = [r for r in json.loads(raw)["caps"] if r["subject"] == campaign_id]
    return int(row["used"])


def test_a_preview_opens_in_the_brand_page_and_counts_nothing(local_system, browser, page) -> None:
    from local.lambda_runtime import handler_module

    tag = uuid.uuid4().hex[:6]
    campaign_id, title = f"preview-page-{tag}", f"プレビューだけの宿 {tag}"
    configs.put_campaign(paused_campaign(local_system, campaign_id, title))
    handler_module("decide").snapshots.refresh()
    email = user(local_system, "preview-admin", roles.GROUP_ADMIN)
    api_token = local_system.user_pool.sign_in(email, PASSWORD)["id_token"]
    try:
        assert cap_used(local_system, api_token, campaign_id) == 0

        sign_in(page, local_system, email)
        go(page, local_system, "preview")
        page.locator("#f-campaign_id").select_option(campaign_id)
        page.locator("#f-site_id").select_option("hana-web")
        page.get_by_role("button", name="プレビュートークンを発行").click()
        link = page.get_by_test_id("preview-open")
        link.wait_for()
        assert link.count() == 1 and link.get_attribute("data-site") == "hana-web"
        assert link.get_attribute("href").startswith(f"{local_system.site_urls['hana']}/?xsell_preview=")

        # A page that is not the site's is refused with a message at the field, and no link.
        page_field = page.get_by_label("開くページ(任意)")
        page_field.fill("https://evil.example/")
        page.locator("#f-page_url-err").wait_for()
        assert "のページを指定してください" in page.locator("#f-page_url-err").inner_text()
        assert link.count() == 0
        page_field.fill("not an address")
        assert "https://" in page.locator("#f-page_url-err").inner_text()

        # The page where the QA person is signed in as a customer, with the preview.
        customer = f"qa-{tag}"
        page_field.fill(f"{local_system.site_urls['hana']}/?customer={customer}")
        link.wait_for()
        shoot(page, "preview-in-page")
        axe(page, "preview-in-page")
        with page.context.expect_page() as opened:
            link.click()
        brand_page = opened.value
        banner = brand_page.locator(BANNER)
        banner.wait_for(timeout=10_000)
        assert banner.get_attribute("data-xsell-campaign") == campaign_id
        assert banner.locator(".xsell-title").inner_text() == title
        assert "xsell_preview=" in brand_page.url and f"customer={customer}" in brand_page.url
        brand_page.wait_for_timeout(1500)  # past viewability: a preview sends no impression

        # The same page without the preview: the paused campaign is not shown.
        plain = page.context.new_page()
        plain.goto(f"{local_system.site_urls['hana']}/?customer={customer}")
        plain.wait_for_function("window.xsell && window.xsell.loaded === true")
        plain.wait_for_timeout(1000)
        assert plain.locator(f"{BANNER}[data-xsell-campaign='{campaign_id}']").count() == 0

        assert cap_used(local_system, api_token, campaign_id) == 0  # nothing leased or counted
    finally:
        configs.remove(("campaign", campaign_id), ("creative", f"{campaign_id}-a"))
        handler_module("decide").snapshots.refresh()
