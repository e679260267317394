"""A demo brand site shows the customer a referral to another brand, and stays intact without us."""

from demo.brands import BY_ID
from demo.customers import brands_used, customer_id


def first_customer_using(brands: list[str]) -> str:
    return next(customer_id(n) for n in range(1, 300) if brands_used(n) == brands)


def test_cosmetics_customer_new_to_travel_sees_the_travel_banner(demo_system, page):
    cid = first_customer_using(["hana"])
    page.goto(f"{demo_system.site_urls['hana']}/?customer={cid}")
    banner = page.locator("[data-xsell-slot='top-banner'] a.xsell-creative")
    banner.wait_for(timeout=10_000)

    assert banner.locator(".xsell-title").inner_text() == "旅トラベル 会員限定 温泉宿10%オフ"
    href = banner.get_attribute("href")
    assert href.startswith(f"{demo_system.site_urls['tabi']}/?from=hana&xsell_ref=")
    assert banner.get_attribute("data-xsell-campaign") == "hana-to-tabi"
    assert banner.locator("img").get_attribute("alt") == BY_ID["tabi"].name
    assert page.console_messages == []


def test_customer_who_already_travels_gets_the_next_brand(demo_system, page):
    cid = next(customer_id(n) for n in range(1, 300) if sorted(brands_used(n)) == ["hana", "tabi"])
    page.goto(f"{demo_system.site_urls['hana']}/?customer={cid}")
    banner = page.locator("[data-xsell-slot='top-banner'] a.xsell-creative")
    banner.wait_for(timeout=10_000)
    assert banner.get_attribute("data-xsell-campaign") == "hana-to-umi"
    assert banner.locator(".xsell-title").inner_text() == "海グルメ 初回送料無料"


def test_clicking_the_banner_reaches_the_destination_site(demo_system, page):
    page.goto(f"{demo_system.site_urls['umi']}/?customer={first_customer_using(['umi'])}")
    page.locator("a.xsell-creative").click()
    page.wait_for_url(f"{demo_system.site_urls['hana']}/?from=umi*")
    assert page.locator("h1").inner_text() == BY_ID["hana"].name


def test_api_down_leaves_the_page_intact_and_quiet(demo_system, page):
    page.route(f"{demo_system.gateway.url}/**", lambda route: route.abort())
    page.goto(f"{demo_system.site_urls['hana']}/?customer={first_customer_using(['hana'])}")
    page.wait_for_function("window.xsell && window.xsell.loaded === true")
    page.wait_for_timeout(300)
    assert page.locator("[data-xsell-slot] a").count() == 0
    assert page.locator("h1").inner_text() == BY_ID["hana"].name
    # the aborted request itself is reported by Chromium as a network error; nothing else may be
    assert [m for m in page.console_messages if "net::ERR_FAILED" not in m] == []


def test_anonymous_visitor_sees_no_banner(demo_system, page):
    page.goto(demo_system.site_urls["tabi"] + "/")
    page.wait_for_function("window.xsell && window.xsell.loaded === true")
    page.wait_for_timeout(300)
    assert page.locator("[data-xsell-slot] a").count() == 0
    assert page.console_messages == []


def test_a_customer_who_uses_every_other_brand_is_told_why_no_banner_shows(demo_system, page):
    cid = next(customer_id(n) for n in range(1, 300) if sorted(brands_used(n)) == ["tabi", "umi"])
    page.goto(f"{demo_system.site_urls['hana']}/?customer={cid}")
    page.wait_for_function("window.xsell && window.xsell.loaded === true")
    page.wait_for_timeout(300)
    assert page.locator("[data-xsell-slot] a").count() == 0
    note = page.locator("#xsell-demo-note").inner_text()
    assert f"{cid}に表示できるキャンペーンはありません" in note
    assert f"hana-to-tabi: {BY_ID['tabi'].name}をすでに利用中" in note
    assert f"hana-to-umi: {BY_ID['umi'].name}をすでに利用中" in note


def test_the_note_names_the_campaign_the_banner_comes_from(demo_system, page):
    cid = first_customer_using(["hana"])
    page.goto(f"{demo_system.site_urls['hana']}/?customer={cid}")
    banner = page.locator("[data-xsell-slot='top-banner'] a.xsell-creative")
    banner.wait_for(timeout=10_000)
    campaign = banner.get_attribute("data-xsell-campaign")
    assert f"{cid}には {campaign} のバナーを表示します" in page.locator("#xsell-demo-note").inner_text()


def test_a_bad_customer_id_in_the_address_is_explained_not_a_broken_page(demo_system, page):
    page.goto(f"{demo_system.site_urls['hana']}/?customer=%3Cscript%3Ex%3C%2Fscript%3E")
    note = page.locator("#xsell-demo-note").inner_text()
    assert "会員ID '<script>x</script>' は使えません" in note
    assert page.locator("h1").inner_text() == BY_ID["hana"].name
