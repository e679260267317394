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
        ({"site": "hana-web\n"}, "site"),  # a trailing newline is not part of a name
        ({"customer": {"id": "C1\n"}}, "customer.id"),
        ({"slots": ["top\n"]}, "slots"),
        ({"page": {"category": "c" * 65}}, "page.category"),
        ({"page": {"referrer": 5}}, "page.referrer"),
        ({"device": "watch"}, "device"),
        ({"preview": ["x"]}, "preview"),
    ],
)
def test_each_bad_field_is_named(change, field):
    with pytest.raises(InvalidRequest) as err:
        parse({**GOOD, **change})
    assert err.value.field == field


def test_body_must_be_an_object():
    with pytest.raises(InvalidRequest, match="JSON object"):
        parse(["site"])


@pytest.mark.parametrize(
    ("agent", "device"),
    [
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148", "mobile"),
        ("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) Mobile/15E148", "tablet"),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36", "mobile"),
        ("Mozilla/5.0 (Linux; Android 14; SM-X710) Safari/537.36", "tablet"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0", "desktop"),
        (None, None),
    ],
)
def test_device_comes_from_the_user_agent_unless_the_body_says(agent, device):
    assert parse(GOOD, agent).device == device
    assert parse({**GOOD, "device": "desktop"}, agent).device == "desktop"
