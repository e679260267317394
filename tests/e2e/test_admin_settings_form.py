"""The group settings screen as a form (admin_spa), in Chromium on the local system: a group admin
changes a destination cap and adds a domain, and the saved draft has exactly those changes; a bad
limit shows the API's message at its input and saves nothing; a brand marketer only reads."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from tests.e2e.test_admin_spa import axe, built_spa, go, shoot, sign_in, sign_out, user
from xsell import roles
from xsell.admin import configs
from xsell.admin.access import Principal
from xsell.admin.documents import GROUP
from xsell.decisioning.catalog import GROUP_ID

__all__ = ["built_spa"]  # the module fixture: the SPA must be built

ADMIN = Principal("settings-form", "settings-form@xsell.example", roles.GROUP_ADMIN, None)


def settings() -> dict[str, Any]:
    return configs.get_document(ADMIN, GROUP, GROUP_ID)


def test_a_group_admin_edits_the_settings_in_the_form(demo_system, page) -> None:
    before = settings()
    original = copy.deepcopy(before["data"])
    caps = original.get("destination_caps", {})
    brand = "tabi" if "tabi" in caps else sorted(caps)[0]
    limit = f"#f-destination_caps-{brand}-0-limit"
    domains = list(original.get("domains", []))
    domain = f"#f-domains-{len(domains)}-"
    admin = user(demo_system, "settings-admin", roles.GROUP_ADMIN)
    try:
        sign_in(page, demo_system, admin)
        go(page, demo_system, "settings")
        page.get_by_role("group", name="送客先の上限").wait_for()
        assert page.locator(limit).input_value() == str(caps[brand][0]["limit"])

        # A limit of 0: the API's message at that input, and nothing saved.
        page.locator(limit).fill("0")
        page.get_by_role("button", name="下書きを保存").click()
        error = page.locator(f"{limit}-err")
        error.wait_for()
        assert f"destination_caps.{brand}[0].limit" in error.inner_text()
        assert page.locator(limit).get_attribute("aria-invalid") == "true"
        assert settings()["rev"] == before["rev"] and settings()["data"] == original
        shoot(page, "settings-form-error")

        # A new limit and a new domain: saved, and nothing else changed.
        page.locator(limit).fill("12345")
        page.get_by_role("button", name="ドメインを追加").click()
        page.locator(domain).fill("img.example.jp")
        page.get_by_role("button", name="下書きを保存").click()
        page.get_by_role("status").filter(has_text="保存しました").wait_for()
        after = settings()
        expected = copy.deepcopy(original)
        expected["destination_caps"][brand][0]["limit"] = 12345
        expected["domains"] = [*domains, "img.example.jp"]
        assert after["data"] == expected
        assert after["rev"] != before["rev"]
        assert page.locator(limit).get_attribute("aria-invalid") is None

        # Two guard rows for one brand: the page says so at the rows, and saves nothing (the
        # document holds one guard per brand, so one row would be lost).
        rev = settings()["rev"]
        guards = page.get_by_role("group", name="ガード(送客元ブランドごと)")
        for _ in range(2):
            guards.get_by_role("button", name=re.compile("を追加")).click()
            rows = guards.locator(".row-item")
            rows.last.locator("select").select_option("hana")
        page.get_by_role("button", name="下書きを保存").click()
        guards.get_by_text("同じ名前の行がほかにもあります").first.wait_for()
        assert settings()["rev"] == rev
        for _ in range(2):
            guards.get_by_role("button", name="削除").last.click()

        # Someone saves in between: their version is shown, and can be taken into the form.
        theirs = copy.deepcopy(after["data"])
        theirs["destination_caps"][brand][0]["limit"] = 777
        configs.save_document(ADMIN, GROUP, GROUP_ID, theirs, after["rev"])
        page.locator(limit).fill("555")
        page.get_by_role("button", name="下書きを保存").click()
        page.get_by_test_id("conflict").wait_for()
        assert settings()["data"] == theirs
        page.get_by_role("button", name="相手の内容を読み込む").click()
        assert page.locator(limit).input_value() == "777"
        page.get_by_role("button", name="下書きを保存").click()
        page.get_by_role("status").filter(has_text="保存しました").wait_for()
        assert settings()["data"] == theirs

        # The JSON for power users follows the form; bad JSON changes nothing.
        page.get_by_text("JSON(上級者向け)").click()
        textarea = page.locator("#settings-json")
        assert '"img.example.jp"' in textarea.input_value()
        textarea.fill("{ not json")
        page.get_by_role("button", name="JSON をフォームに反映").click()
        page.locator("#settings-json-err").wait_for()
        assert page.locator(limit).input_value() == "777"
        edited = copy.deepcopy(theirs)
        edited["destination_caps"][brand][0]["limit"] = 888
        textarea.fill(json.dumps(edited))
        page.get_by_role("button", name="JSON をフォームに反映").click()
        assert page.locator(limit).input_value() == "888"
        assert json.loads(textarea.input_value()) == edited
        assert settings()["data"] == theirs  # applied to the form only, not saved
        shoot(page, "settings-form")
        axe(page, "settings-form")
        sign_out(page)

        # A brand marketer sees the same form, read-only.
        marketer = user(demo_system, "settings-hana", roles.BRAND_MARKETER, "hana")
        sign_in(page, demo_system, marketer)
        go(page, demo_system, "settings")
        page.locator(limit).wait_for()
        assert page.locator(limit).is_disabled()
        assert page.locator(domain).is_disabled()
        assert page.get_by_role("button", name="下書きを保存").count() == 0
        assert page.get_by_role("button", name="ドメインを追加").count() == 0
        shoot(page, "settings-form-read-only")
        axe(page, "settings-form-read-only")
    finally:  # other tests read the demo settings
        now = settings()
        if now["data"] != original:
            configs.save_document(ADMIN, GROUP, GROUP_ID, original, now["rev"])
    assert settings()["data"] == original
