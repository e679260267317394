"""The admin page (admin_spa) in Chromium on the local system: the marketer's whole journey through
the UI, brand isolation, every screen in its loading/error/empty/success states, screenshots of
every screen (test-results/admin/) and an axe-core scan (no serious or critical violation)."""

from __future__ import annotations

import contextlib
import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from demo.users import PASSWORD
from tests.conftest import RESULTS, ROOT
from tests.e2e.pages import wait_for_banner
from xsell import roles
from xsell.admin import configs

SHOTS = RESULTS / "admin"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENS = [
    "",
    "campaigns",
    "creatives",
    "publish",
    "versions",
    "imports",
    "volume",
    "reports",
    "tag",
    "preview",
    "audit",
    "settings",
]


@pytest.fixture(scope="module", autouse=True)
def built_spa() -> None:
    if not (ROOT / "admin_spa" / "dist" / "index.html").is_file():
        pytest.fail("admin_spa/dist is missing: run `make admin` (or `make setup`)")


def user(system: Any, name: str, role: str, brand: str | None = None) -> str:
    email = f"{name}-{uuid.uuid4().hex[:6]}@xsell.example"
    system.user_pool.create_user(email, PASSWORD, role, brand)
    return email


def admin_url(system: Any, path: str = "") -> str:
    return f"{system.cdn.url}/admin/#/{path}"


def sign_in(page: Any, system: Any, email: str) -> None:
    page.goto(admin_url(system))
    page.locator("#signin-email").fill(email)
    page.locator("#signin-password").fill(PASSWORD)
    page.get_by_role("button", name="サインイン").click()
    page.get_by_role("navigation").wait_for()
    page.get_by_text(email).wait_for()


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="サインアウト").click()
    page.locator("#signin-email").wait_for()


def go(page: Any, system: Any, path: str) -> None:
    page.goto(admin_url(system, path))
    page.locator("[data-state]").first.wait_for()
    page.wait_for_function("!document.querySelector('[data-state=loading]')")


def shoot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def axe(page: Any, name: str) -> None:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    bad = [v for v in found if v["impact"] in ("serious", "critical")]
    assert bad == [], f"{name}: " + json.dumps(
        [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in bad]
    )


def test_the_marketer_journey_through_the_admin_page(demo_system, page, tmp_path: Path) -> None:
    from local.lambda_runtime import handler_module

    tag = uuid.uuid4().hex[:6]
    creative_id, campaign_id = f"spa-{tag}", f"spa-hana-to-tabi-{tag}"
    title = f"旅トラベル 管理画面から {tag}"
    hana = user(demo_system, "spa-hana", roles.BRAND_MARKETER, "hana")
    tabi = user(demo_system, "spa-tabi", roles.BRAND_MARKETER, "tabi")
    sign_in(page, demo_system, hana)
    shoot(page, "home")

    # A creative, with the live preview drawn by the real tag renderer.
    go(page, demo_system, "creatives/new")
    page.locator("#f-creative_id").fill(creative_id)
    page.locator("#f-name").fill("管理画面テスト")
    page.locator("#f-fields-title").fill(title)
    page.locator("#f-fields-link_url").fill(f"{demo_system.site_urls['tabi']}/?from=spa")
    preview = page.locator(".xsell-preview-slot a.xsell-creative[data-xsell-template='text_card']")
    preview.first.wait_for()
    assert preview.count() == 2 and preview.first.locator(".xsell-title").inner_text() == title
    shoot(page, "creative-edit")
    axe(page, "creative-edit")
    page.get_by_role("button", name="下書きを保存").click()
    page.wait_for_url(re.compile(f"#/creatives/{creative_id}$"))

    # A campaign hana -> tabi in the top banner, high priority, with a daily cap.
    go(page, demo_system, "campaigns/new")
    page.locator("#f-campaign_id").fill(campaign_id)
    page.locator("#f-name").fill("花 → 旅 管理画面")
    page.locator("#f-status").select_option("active")
    page.get_by_role("checkbox", name=re.compile(r"hana-web")).check()
    page.get_by_label("top-banner").check()
    # hana's marketer sees none of the other brands' sites, yet is offered them as destinations.
    assert page.get_by_role("checkbox", name=re.compile(r"tabi-web")).count() == 0
    offered = page.locator("#campaign-destinations option").evaluate_all("os => os.map(o => o.value)")
    assert "tabi" in offered and "umi" in offered and "hana" not in offered, offered
    assert page.locator("#f-destination_brand").get_attribute("list") == "campaign-destinations"
    page.locator("#f-destination_brand").fill("tabi")
    page.locator("#f-creatives-0-creative_id").select_option(creative_id)
    page.locator("#f-priority").fill("900")
    page.get_by_role("button", name="上限(キャップ)を追加").click()
    shoot(page, "campaign-edit")
    axe(page, "campaign-edit")
    page.get_by_role("button", name="下書きを保存").click()
    page.wait_for_url(re.compile(f"#/campaigns/{campaign_id}$"))
    page.get_by_role("button", name="承認を依頼").click()
    page.get_by_text("承認を依頼しました。").wait_for()
    sign_out(page)

    # The tabi marketer reviews exactly that content, approves and publishes it.
    sign_in(page, demo_system, tabi)
    go(page, demo_system, f"campaigns/{campaign_id}")
    assert title in (page.locator("[data-testid=resolved]").text_content() or "")
    page.get_by_role("button", name="この内容を承認").click()
    page.get_by_text("承認しました。公開できます。").wait_for()
    page.get_by_role("link", name="公開ページへ").click()
    page.locator(f"[data-change='campaign/{campaign_id}']").wait_for()
    shoot(page, "publish")
    axe(page, "publish")
    page.get_by_role("button", name=re.compile("準備済みの 1 件を公開")).click()
    page.get_by_text(re.compile(r"バージョン \d+ を公開しました")).wait_for()
    live_at = time.monotonic()

    site = page.context.new_page()
    try:
        customer = f"spa-{tag}"
        banner = wait_for_banner(
            site, f"{demo_system.site_urls['hana']}/?customer={customer}", campaign_id, live_at
        )
        assert banner.locator(".xsell-title").inner_text() == title

        # Cap usage moved: the campaign's daily cap has used >= 1.
        go(page, demo_system, "volume")
        used = page.locator(f"[data-cap='campaign/{campaign_id}/served/day'] [data-used]")
        assert int(used.inner_text().replace(",", "")) >= 1
        shoot(page, "volume")
        axe(page, "volume")
    finally:
        site.close()
        configs.publish_documents({}, note="test: admin spa cleanup", remove=[("campaign", campaign_id)])
        handler_module("decide").snapshots.refresh()  # later tests see the demo config again

    # A partner CSV through the presigned URL, then its import job.
    csv = tmp_path / f"profiles-spa-{tag}.csv"
    csv.write_text("顧客ID,グループランク\nSPA1,gold\nSPA2,silver\n", encoding="utf-8")
    go(page, demo_system, "imports")
    page.locator("#f-partner").select_option("demo-group")
    page.locator("#f-filename").set_input_files(str(csv))
    page.get_by_role("button", name="アップロード", exact=True).click()
    page.get_by_text(re.compile("アップロードしました")).wait_for(timeout=15_000)
    demo_system.dispatcher.drain()
    row = page.locator(f"tr[data-job]:has(code:text-is('{csv.name}'))")
    deadline = time.monotonic() + 30
    while (row.get_attribute("data-status") if row.count() else None) != "succeeded":
        assert time.monotonic() < deadline, "the import job did not finish"
        demo_system.dispatcher.drain()
        page.get_by_role("button", name="更新").click()
        time.sleep(0.5)
    shoot(page, "imports")
    axe(page, "imports")
    errors = [m for m in page.console_messages if m.startswith(("error", "pageerror"))]
    assert errors == [], errors


def test_a_marketer_neither_sees_nor_opens_another_brands_campaign(local_system, page) -> None:
    hana = user(local_system, "spa-iso", roles.BRAND_MARKETER, "hana")
    sign_in(page, local_system, hana)
    go(page, local_system, "campaigns")
    assert page.locator("[data-campaign='hana-to-tabi']").count() == 1
    assert page.locator("[data-campaign='tabi-to-umi']").count() == 0
    go(page, local_system, "campaigns/tabi-to-umi")
    alert = page.locator("[data-state=error][data-kind=forbidden]")
    assert "権限がありません" in alert.inner_text()
    shoot(page, "campaign-forbidden")


def test_every_screen_in_its_states_with_axe_and_screenshots(local_system, page) -> None:
    admin = user(local_system, "spa-admin", roles.GROUP_ADMIN)
    sign_in(page, local_system, admin)
    for screen in [*SCREENS, "users"]:
        name = screen or "home"
        go(page, local_system, screen)
        assert page.locator("[data-state=ready], [data-state=empty]").count() >= 1, name
        shoot(page, name)
        axe(page, name)

    # The audit log names actions in Japanese and filters by one chosen from the list.
    go(page, local_system, "audit")
    page.locator("[data-state=ready]").wait_for()
    page.get_by_label("操作").select_option(label="公開")
    with page.expect_response(lambda r: "/admin/v1/audit?" in r.url and "action=publish" in r.url):
        page.get_by_role("button", name="検索").click()
    page.locator("table.list tbody tr").first.wait_for()
    actions = page.locator("table.list tbody tr td[title]")
    assert actions.count() >= 1  # the demo config was published
    assert set(actions.evaluate_all("tds => tds.map((td) => td.title + '=' + td.textContent)")) == {
        "publish=公開"
    }

    # Loading: hold the API; error: a 500; empty: an empty answer — on the campaigns list.
    held: list[Any] = []
    page.route("**/admin/v1/campaigns", lambda route: held.append(route))
    page.goto(admin_url(local_system, "creatives"))
    page.goto(admin_url(local_system, "campaigns"))
    page.locator("[data-state=loading]").wait_for()
    shoot(page, "campaigns-loading")
    axe(page, "campaigns-loading")
    page.unroute("**/admin/v1/campaigns")
    for route in held:
        with contextlib.suppress(Exception):  # the page may have navigated away meanwhile
            route.abort()
    page.route("**/admin/v1/campaigns", lambda route: route.fulfill(status=500, json={"error": "internal"}))
    page.reload()
    page.locator("[data-state=error][data-kind=server]").wait_for()
    shoot(page, "campaigns-error")
    axe(page, "campaigns-error")
    page.unroute("**/admin/v1/campaigns")
    page.route("**/admin/v1/campaigns", lambda route: route.fulfill(status=200, json=[]))
    page.reload()
    page.locator("[data-state=empty]").wait_for()
    shoot(page, "campaigns-empty")
    page.unroute("**/admin/v1/campaigns")

    # English is one click away; the dialog asks to sign in again on a 401 without losing the form.
    page.get_by_role("button", name="English").click()
    page.locator("html[lang=en]").wait_for(state="attached")  # English is fetched on its first click
    go(page, local_system, "campaigns/new")
    page.locator("#f-name").fill("half-filled")
    page.route(
        "**/admin/v1/campaigns/x-401",
        lambda route: route.fulfill(status=401, json={"error": "not_signed_in"}),
    )
    page.locator("#f-campaign_id").fill("x-401")
    page.get_by_role("button", name="Save draft").click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    shoot(page, "reauth-dialog")
    page.unroute("**/admin/v1/campaigns/x-401")
    dialog.locator("#signin-password").fill(PASSWORD)
    dialog.get_by_role("button", name="Sign in").click()
    dialog.wait_for(state="detached")
    assert page.locator("#f-name").input_value() == "half-filled"
    page.get_by_role("button", name="日本語").click()
