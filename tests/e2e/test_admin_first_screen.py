"""The admin page's first screen in Chromium on the local system: a signed-in tab opening a list
renders it from boot.js's early answers (never a loading state, no second request), and English
is fetched only when chosen (a failed fetch leaves the page in Japanese, with an error)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ROOT
from tests.e2e.test_admin_spa import admin_url, sign_in, user
from xsell import roles

DIST = ROOT / "admin_spa" / "dist"

# Before any page script: remembers whether a loading notice was ever in the document.
SEEN_LOADING = """
window.__sawLoading = false;
new MutationObserver(() => {
  // A card that loads on its own ([data-deferred]: home's report-backed one) does not count.
  if (document.querySelector("[data-state=loading]:not([data-deferred] *)")) window.__sawLoading = true;
}).observe(document, {childList: true, subtree: true, attributes: true});
"""


def english_chunk() -> str:
    """The built file holding the English messages."""
    english = "Could not reach the server"  # messages/en.js "error.network"
    found = [p.name for p in DIST.glob("*.js") if english in p.read_text(encoding="utf-8")]
    assert len(found) == 1, found
    return found[0]


def api_gets(page: Any, *paths: str) -> list[str]:
    """The GETs of the admin API ``paths`` the page makes from now on."""
    gets: list[str] = []
    urls = tuple(f"/admin/v1{p}" for p in paths)
    page.on("request", lambda r: gets.append(r.url) if r.method == "GET" and r.url.endswith(urls) else None)
    return gets


# Home (where a tab opens by default) and a list; each with the reads boot.js starts for it.
FIRST_SCREENS = {
    "campaigns": ["/campaigns"],
    "": ["/health", "/publish", "/pacing", "/imports?limit=5"],
}


@pytest.mark.parametrize("screen", sorted(FIRST_SCREENS))
def test_a_signed_in_tab_opens_its_screen_from_the_early_answers(local_system, page, screen: str) -> None:
    sign_in(page, local_system, user(local_system, f"first-screen{screen}", roles.GROUP_ADMIN))
    page.goto(admin_url(local_system, screen))  # warms the API: the measured load below is not the first
    page.locator("[data-state=ready], [data-state=empty]").first.wait_for()

    page.add_init_script(SEEN_LOADING)
    reads = api_gets(page, *FIRST_SCREENS[screen])
    page.reload()
    page.locator("[data-state=ready], [data-state=empty]").first.wait_for()
    page.get_by_role("navigation").wait_for()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__sawLoading") is False
    # boot.js's requests, taken by the screen: no second one.
    assert sorted(r.split("/admin/v1", 1)[1] for r in reads) == sorted(FIRST_SCREENS[screen]), reads
    assert page.evaluate("document.activeElement === document.body")  # the first heading leaves focus alone

    page.get_by_role("link", name="クリエイティブ").click()  # a later screen: its heading takes focus
    page.locator("[data-state=ready], [data-state=empty]").first.wait_for()
    page.wait_for_function("document.activeElement?.tagName === 'H1'")


def test_english_is_fetched_only_when_chosen(local_system, page) -> None:
    chunk = english_chunk()
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url.rsplit("/", 1)[-1]))
    sign_in(page, local_system, user(local_system, "first-en", roles.GROUP_ADMIN))
    page.locator("[data-state=ready], [data-state=empty]").first.wait_for()
    page.wait_for_load_state("networkidle")
    assert chunk not in fetched
    page.get_by_role("button", name="English").click()
    page.locator("html[lang=en]").wait_for(state="attached")
    assert chunk in fetched
    page.get_by_role("button", name="Sign out").wait_for()

    page.reload()  # the choice is remembered, and restored before the first render
    page.get_by_role("button", name="Sign out").wait_for()
    assert page.evaluate("document.documentElement.lang") == "en"


def test_a_failed_english_fetch_keeps_japanese_and_says_so(local_system, page) -> None:
    chunk = english_chunk()
    page.route(f"**/admin/{chunk}", lambda route: route.abort())
    sign_in(page, local_system, user(local_system, "first-en-fail", roles.GROUP_ADMIN))
    page.get_by_role("button", name="English").click()
    alert = page.locator(".lang-error[role=alert]")
    alert.wait_for()
    assert "英語" in alert.inner_text()
    assert page.evaluate("document.documentElement.lang") == "ja"
    assert page.get_by_role("button", name="サインアウト").is_visible()

    page.unroute(f"**/admin/{chunk}")  # the next click tries again
    page.get_by_role("button", name="English").click()
    page.locator("html[lang=en]").wait_for(state="attached")
    assert page.locator(".lang-error").count() == 0
