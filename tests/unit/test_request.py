import pytest

from xsell.decisioning.request import parse
from xsell.errors import InvalidRequest

GOOD = {
    "site": "hana-web",
    "customer": {"id": "C000001"},
    "slots": ["top-banner", "top-banner"],
    "page": {"url": "https://a"},
}


def test_good_request_dedupes_slots():
    req = parse(GOOD)
    assert (req.site, req.customer_id, req.slots, req.page_url) == (
        "hana-web",
        "C000001",
        ("top-banner",),
        "https://a",
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"site": "<script>"}, "site"),
        ({"site": None}, "site"),
        ({"customer": "C1"}, "customer"),
        ({"customer": {"id": "a b"}}, "customer.id"),
        ({"slots": []}, "slots"),
        ({"slots": ["x"] * 21}, "slots"),
        ({"slots": [1]}, "slots"),
        ({"page": "x"}, "page"),
        ({"page": {"url": "x" * 3000}}, "page.url"),
    ],
)
def test_each_bad_field_is_named(change, field):
    with pytest.raises(InvalidRequest) as err:
        parse({**GOOD, **change})
    assert err.value.field == field


def test_body_must_be_an_object():
    with pytest.raises(InvalidRequest, match="JSON object"):
        parse(["site"])
