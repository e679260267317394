"""Preview/QA: which campaign a test customer gets in a slot, and why not the others."""

from __future__ import annotations

import pytest

from demo.customers import brands_used, customer_id
from xsell.admin import explain
from xsell.admin.access import Principal
from xsell.errors import InvalidRequest, NotAllowed

ADMIN = Principal("a", "a@xsell.example", "group-admin", None)
UMI = Principal("u", "u@xsell.example", "brand-marketer", "umi")


@pytest.fixture(scope="module")
def customers(demo_system):
    """Imported demo customers: one who uses hana only, one who uses hana and tabi."""
    only_hana = next(customer_id(n) for n in range(1, 300) if brands_used(n) == ["hana"])
    hana_tabi = next(customer_id(n) for n in range(1, 300) if sorted(brands_used(n)) == ["hana", "tabi"])
    return only_hana, hana_tabi


def test_a_customer_new_to_tabi_gets_the_tabi_campaign_and_every_other_is_explained(demo_system, customers):
    only_hana, _ = customers
    answer = explain.explain(ADMIN, "hana-web", "top-banner", only_hana)
    assert answer["winner"]["campaign_id"] == "hana-to-tabi"
    rows = {row["campaign_id"]: row for row in answer["campaigns"]}
    assert rows["hana-to-tabi"]["wins"] and rows["hana-to-tabi"]["eligible"]
    assert rows["hana-to-umi"] == {**rows["hana-to-umi"], "eligible": True, "wins": False}  # lower priority


def test_a_customer_who_already_uses_tabi_is_told_why_not(demo_system, customers):
    _, hana_tabi = customers
    answer = explain.explain(ADMIN, "hana-web", "top-banner", hana_tabi)
    rows = {row["campaign_id"]: row for row in answer["campaigns"]}
    assert rows["hana-to-tabi"]["reason"] == "uses_destination"
    assert answer["winner"]["campaign_id"] == "hana-to-umi"
    assert explain.explain(ADMIN, "hana-web", "footer", hana_tabi)["winner"] is None


def test_nothing_is_counted_or_written(demo_system, customers):
    from xsell.dal import customers as store

    only_hana, _ = customers
    before = store.read(only_hana)
    explain.explain(ADMIN, "hana-web", "top-banner", only_hana)
    assert store.read(only_hana) == before


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("hana web", "top-banner", "C1"), "site_id"),
        (("hana-web", "", "C1"), "slot"),
        (("hana-web", "top-banner", "a b"), "customer_id"),
    ],
)
def test_bad_input_names_the_field(demo_system, args, field):
    with pytest.raises(InvalidRequest) as raised:
        explain.explain(ADMIN, *args)
    assert raised.value.field == field


def test_a_brand_marketer_explains_only_on_their_own_site(demo_system, customers):
    with pytest.raises(NotAllowed):
        explain.explain(UMI, "hana-web", "top-banner", customers[0])
    assert explain.explain(UMI, "umi-web", "top-banner", customers[0])["site_id"] == "umi-web"


def test_the_preview_screen_explains_the_choice_in_chromium(demo_system, customers, page):
    from tests.e2e.test_admin_spa import axe, go, shoot, sign_in, user
    from xsell import roles

    _, hana_tabi = customers
    sign_in(page, demo_system, user(demo_system, "explain-admin", roles.GROUP_ADMIN))
    go(page, demo_system, "preview")
    # The explain form shows once the sites are in; the preview-link form below it has a "サイト"
    # of its own (a select), which may show first.
    form = page.get_by_role("form", name="この顧客にはどれが出る?")
    form.get_by_label("サイト", exact=True).fill("hana-web")
    form.get_by_label("枠").fill("top-banner")
    form.get_by_label("テスト顧客 ID").fill(hana_tabi)
    form.get_by_role("button", name="判定する").click()
    result = page.get_by_test_id("explain-result")
    result.wait_for()
    assert "hana-to-umi" in result.get_by_role("status").inner_text()
    assert "送客先ブランドを利用済み" in result.locator("tr[data-campaign=hana-to-tabi]").inner_text()
    shoot(page, "preview-explain")
    axe(page, "preview-explain")
