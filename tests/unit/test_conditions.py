"""Targeting conditions: every operator, every validation error, and the compiler against the oracle."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.unit.conditions_oracle import evaluate
from xsell.decisioning.conditions import compile_targeting, validate
from xsell.decisioning.facts import BrandUsage, Facts
from xsell.errors import InvalidRequest

NOW = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC)  # 12:00 in Tokyo
BRANDS = ("hana", "kaze", "sora")
SCALES = {
    "group": ("bronze", "silver", "gold", "platinum"),
    "hana": ("regular", "vip"),
    "brand": ("member", "silver", "gold"),
}
SHAPE = (
    'a condition is {"all": [...]}, {"any": [...]}, {"not": {...}} or {"field": ..., "op": ..., "value": ...}'
)
FIELDS = (
    "group_rank, days_since_member_since, visit_count, first_visit, recent_categories, page_url, "
    "page_category, referrer, device, source_brand, attributes.<name>, brands.<brand>, brands.<brand>.ltv, "
    "brands.<brand>.rank, brands.<brand>.days_since_first_used, brands.<brand>.days_since_last_purchase"
)
OPS = "eq, ne, lt, le, gt, ge, in, not_in, exists, has_any, matches"


def facts(**overrides: Any) -> Facts:
    return Facts(**{"customer_id": "C1", "now": NOW, "source_brand": "hana", **overrides})


def decide(doc: Any, subject: Facts, scales: Any = None) -> bool:
    """The compiled predicate's answer, after checking the interpreter gives the same one."""
    compiled = compile_targeting(doc, rank_scales=scales)(subject)
    assert compiled == evaluate(doc, subject, rank_scales=scales)
    return compiled


def cond(field: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "op": op} if value is None else {"field": field, "op": op, "value": value}


# --- operators ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "value", "visits", "expected"),
    [
        ("eq", 3, 3, True),
        ("eq", 3, 4, False),
        ("ne", 3, 4, True),
        ("ne", 3, 3, False),
        ("lt", 3, 2, True),
        ("lt", 3, 3, False),
        ("le", 3, 3, True),
        ("le", 3, 4, False),
        ("gt", 3, 4, True),
        ("gt", 3, 3, False),
        ("ge", 3, 3, True),
        ("ge", 3, 2, False),
        ("in", [1, 3], 3, True),
        ("in", [1, 3], 2, False),
        ("not_in", [1, 3], 2, True),
        ("not_in", [1, 3], 1, False),
    ],
)
def test_number_comparisons(op: str, value: Any, visits: int, expected: bool) -> None:
    assert decide(cond("visit_count", op, value), facts(visit_count=visits)) is expected


@pytest.mark.parametrize(
    ("present", "device", "expected"),
    [
        (None, "mobile", True),
        (None, None, False),
        (True, "tablet", True),
        (False, None, True),
        (False, "x", False),
    ],
)
def test_exists_tells_a_value_from_none(present: Any, device: Any, expected: bool) -> None:
    assert decide(cond("device", "exists", present), facts(device=device)) is expected


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (cond("device", "eq", "mobile"), True),
        (cond("device", "in", ["tablet", "desktop"]), False),
        (cond("page_category", "eq", "skincare"), True),
        (cond("page_category", "not_in", ["skincare"]), False),
        (cond("source_brand", "eq", "hana"), True),
        (cond("source_brand", "ne", "hana"), False),
        (cond("first_visit", "eq", True), True),
        (cond("first_visit", "ne", True), False),
    ],
)
def test_request_fields(doc: dict[str, Any], expected: bool) -> None:
    assert decide(doc, facts(device="mobile", page_category="skincare", first_visit=True)) is expected


@pytest.mark.parametrize(
    ("doc", "attributes", "expected"),
    [
        (cond("attributes.gender", "eq", "female"), {"gender": "female"}, True),
        (cond("attributes.birth_year", "lt", 1990), {"birth_year": 1985}, True),
        (cond("attributes.birth_year", "ge", 1990), {"birth_year": Decimal(1991)}, True),
        (cond("attributes.member_since", "lt", "2021-01-01"), {"member_since": "2020-04-01"}, True),
        (cond("attributes.prefecture", "in", ["東京都", "大阪府"]), {"prefecture": "大阪府"}, True),
        # A value of another type compares false, whatever the op, and never raises.
        (cond("attributes.birth_year", "eq", 1985), {"birth_year": "1985"}, False),
        (cond("attributes.birth_year", "ne", 1985), {"birth_year": "1985"}, False),
        (cond("attributes.birth_year", "lt", 1990), {"birth_year": "1985"}, False),
        (cond("attributes.vip", "eq", 1), {"vip": True}, False),
        (cond("attributes.score", "gt", 1), {"score": float("nan")}, False),
        (cond("attributes.gender", "not_in", ["male"]), {"gender": 2}, False),
        # A missing attribute compares false too; only exists (or not) speaks about absence.
        (cond("attributes.gender", "ne", "male"), {}, False),
        (cond("attributes.gender", "exists", False), {}, True),
        ({"not": cond("attributes.gender", "eq", "male")}, {}, True),
    ],
)
def test_attributes(doc: dict[str, Any], attributes: dict[str, Any], expected: bool) -> None:
    assert decide(doc, facts(attributes=attributes)) is expected


@pytest.mark.parametrize(
    ("op", "value", "rank", "expected"),
    [
        ("ge", "gold", "gold", True),
        ("ge", "gold", "platinum", True),
        ("ge", "gold", "silver", False),
        ("gt", "gold", "gold", False),
        ("lt", "silver", "bronze", True),
        ("le", "silver", "gold", False),
        ("eq", "gold", "gold", True),
        ("ne", "gold", "silver", True),
        ("in", ["bronze", "gold"], "gold", True),
        ("not_in", ["bronze", "gold"], "silver", True),
        # A rank that is not on the scale (or none at all) makes every comparison false.
        ("ge", "bronze", "diamond", False),
        ("ne", "gold", "diamond", False),
        ("not_in", ["gold"], "diamond", False),
        ("ge", "bronze", None, False),
    ],
)
def test_group_rank_against_its_scale(op: str, value: Any, rank: Any, expected: bool) -> None:
    assert decide(cond("group_rank", op, value), facts(group_rank=rank), SCALES) is expected


@pytest.mark.parametrize("scales", [SCALES, None])
def test_every_rank_comparison_against_the_interpreter(scales: Any) -> None:
    group = SCALES["group"]
    for op in ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in"):
        for value in group:
            doc = cond("group_rank", op, [value, group[0]] if op in ("in", "not_in") else value)
            for rank in (*group, "diamond", None, 3):
                decide(doc, facts(group_rank=rank), scales)  # asserts the two agree


def test_without_a_scale_ranks_are_names_and_have_no_order() -> None:
    gold = facts(group_rank="gold")
    assert decide(cond("group_rank", "eq", "gold"), gold) is True
    assert decide(cond("group_rank", "ne", "gold"), facts(group_rank="diamond")) is True
    assert decide(cond("group_rank", "ge", "bronze"), gold) is False
    assert decide(cond("group_rank", "ge", "bronze"), gold, {"hana": ["regular", "vip"]}) is False


def test_brand_rank_uses_the_brand_scale_or_the_default() -> None:
    customer = facts(brands={"hana": BrandUsage(rank="vip"), "kaze": BrandUsage(rank="gold")})
    assert decide(cond("brands.hana.rank", "gt", "regular"), customer, SCALES) is True
    assert decide(cond("brands.kaze.rank", "ge", "silver"), customer, SCALES) is True
    assert decide(cond("brands.kaze.rank", "lt", "gold"), customer, SCALES) is False
    assert decide(cond("brands.sora.rank", "exists"), customer, SCALES) is False


def test_brand_usage() -> None:
    customer = facts(
        brands={
            "hana": BrandUsage(
                first_used=dt.date(2024, 11, 1), last_purchase=dt.date(2026, 10, 24), ltv=30000
            ),
            "kaze": BrandUsage(),
        }
    )
    assert decide(cond("brands.hana", "exists"), customer) is True
    assert decide(cond("brands.kaze", "exists"), customer) is True  # used, nothing else known
    assert decide(cond("brands.sora", "exists", False), customer) is True
    assert decide(cond("brands.hana.ltv", "ge", 30000), customer) is True
    assert decide(cond("brands.hana.ltv", "gt", 30000), customer) is False
    assert decide(cond("brands.kaze.ltv", "lt", 30000), customer) is False  # unknown LTV
    assert decide(cond("brands.sora.ltv", "lt", 30000), customer) is False  # not a customer
    assert decide(cond("brands.hana.days_since_last_purchase", "eq", 30), customer) is True
    assert decide(cond("brands.hana.days_since_first_used", "gt", 365), customer) is True
    assert decide(cond("brands.kaze.days_since_first_used", "exists"), customer) is False


def test_days_are_counted_in_tokyo() -> None:
    # 2026-11-22 15:30 UTC is already 2026-11-23 in Tokyo.
    late = facts(
        now=dt.datetime(2026, 11, 22, 15, 30, tzinfo=dt.UTC),
        brands={"hana": BrandUsage(last_purchase=dt.date(2026, 11, 22))},
    )
    assert decide(cond("brands.hana.days_since_last_purchase", "eq", 1), late) is True


@pytest.mark.parametrize(
    ("member_since", "expected"),
    [("2025-11-23", True), ("2025-11-24", False), ("someday", False), (20251123, False)],
)
def test_days_since_member_since(member_since: Any, expected: bool) -> None:
    customer = facts(attributes={"member_since": member_since})
    assert decide(cond("days_since_member_since", "ge", 365), customer) is expected


@pytest.mark.parametrize(
    ("doc", "recent", "expected"),
    [
        (cond("recent_categories", "has_any", ["skincare", "makeup"]), ("food", "makeup"), True),
        (cond("recent_categories", "has_any", ["skincare"]), ("food",), False),
        (cond("recent_categories", "has_any", ["skincare"]), (["odd"], "skincare"), True),
        (cond("recent_categories", "exists"), ("food",), True),
        (cond("recent_categories", "exists"), (), False),
        (cond("recent_categories", "exists", False), (), True),
    ],
)
def test_recent_categories(doc: dict[str, Any], recent: tuple[Any, ...], expected: bool) -> None:
    assert decide(doc, facts(recent_categories=recent)) is expected


@pytest.mark.parametrize(
    ("pattern", "url", "expected"),
    [
        ("https://hana.example.jp/sale/*", "https://hana.example.jp/sale/spring?utm=x", True),
        ("https://hana.example.jp/sale/*", "https://hana.example.jp/sale", False),
        ("https://hana.example.jp/sale", "https://hana.example.jp/sale/", False),  # anchored at the end
        ("*/products/*", "https://kaze.example.jp/products/42", True),
        ("*/products/*", "https://kaze.example.jp/products", False),
        ("*/products/*/reviews", "https://x.jp/products/1/2/reviews", True),
        ("https://x.jp/a?b", "https://x.jp/a?b", True),  # ? is a literal question mark
        ("https://x.jp/a?b", "https://x.jp/aXb", False),
        ("https://x.jp/.*", "https://x.jp/abc", False),  # no regex: . is a dot
        ("*aa*aa", "aaa", False),  # pieces never overlap
        ("https://x.jp/*/", "https://x.jp/", False),
        ("*/a*a", "https://x.jp/a", False),
        ("*", "", True),
    ],
)
def test_url_patterns(pattern: str, url: str, expected: bool) -> None:
    assert decide(cond("page_url", "matches", pattern), facts(page_url=url)) is expected
    assert decide(cond("referrer", "matches", pattern), facts(referrer=url)) is expected


def test_url_pattern_on_a_missing_url_is_false() -> None:
    assert decide(cond("page_url", "matches", "*"), facts(page_url=None)) is False


def test_all_any_not() -> None:
    gold_new_to_kaze = {
        "all": [cond("group_rank", "ge", "gold"), {"not": cond("brands.kaze", "exists")}],
    }
    assert decide(gold_new_to_kaze, facts(group_rank="gold"), SCALES) is True
    assert decide(gold_new_to_kaze, facts(group_rank="gold", brands={"kaze": BrandUsage()}), SCALES) is False
    either = {
        "any": [cond("visit_count", "ge", 3), cond("device", "eq", "mobile"), cond("first_visit", "eq", True)]
    }
    assert decide(either, facts(visit_count=1, device="desktop", first_visit=False)) is False
    assert decide(either, facts(visit_count=1, device="mobile", first_visit=False)) is True
    three = {
        "all": [cond("visit_count", "ge", 3), cond("device", "eq", "mobile"), cond("page_url", "exists")]
    }
    assert decide(three, facts(visit_count=3, device="mobile", page_url="https://x.jp/")) is True
    assert decide(three, facts(visit_count=3, device="mobile")) is False


def test_no_targeting_means_everyone() -> None:
    assert compile_targeting(None) is compile_targeting({})
    assert decide(None, facts()) is True
    assert decide({}, facts()) is True


def test_the_limits_themselves_are_allowed() -> None:
    deep: dict[str, Any] = cond("visit_count", "ge", 1)
    for _ in range(7):
        deep = {"not": deep}
    validate(deep)
    validate({"all": [cond("visit_count", "ge", i) for i in range(199)]})


# --- validation -----------------------------------------------------------------------------------


def nested_nots(levels: int) -> dict[str, Any]:
    doc: dict[str, Any] = cond("visit_count", "ge", 1)
    for _ in range(levels - 1):
        doc = {"not": doc}
    return doc


INVALID = [
    ([], "targeting", f"expected a condition object, got a list of 0; {SHAPE}"),
    (cond("visit_count", "ge") | {"valu": 3}, "targeting.valu", f'unknown key "valu"; {SHAPE}'),
    ({"all": [{}]}, "targeting.all[0]", f"empty condition; {SHAPE}"),
    ({"all": []}, "targeting.all", '"all" takes a non-empty list of conditions, got a list of 0'),
    ({"any": {"field": "x"}}, "targeting.any", '"any" takes a non-empty list of conditions, got an object'),
    (
        {"not": [cond("visit_count", "ge", 1)]},
        "targeting.not",
        f"expected a condition object, got a list of 1; {SHAPE}",
    ),
    (
        {"all": [cond("visit_count", "ge", 1)], "field": "device"},
        "targeting.field",
        '"field" cannot stand beside "all": all is the only key of its object',
    ),
    ({"op": "eq", "value": 1}, "targeting.field", '"field" is required in a comparison'),
    ({"field": "visit_count", "value": 1}, "targeting.op", '"op" is required in a comparison'),
    (cond("visit_count", "ge"), "targeting.value", 'op "ge" needs a value'),
    (
        {"all": [cond("device", "exists"), cond("visit_count", "gte", 3)]},
        "targeting.all[1].op",
        f'unknown op "gte" (expected one of: {OPS})',
    ),
    ({"field": "visit_count", "op": None}, "targeting.op", f"unknown op null (expected one of: {OPS})"),
    (
        cond("device", "gt", "mobile"),
        "targeting.op",
        'op "gt" does not apply to device (allowed: eq, ne, in, not_in, exists)',
    ),
    (
        cond("brands.hana", "eq", True),
        "targeting.op",
        'op "eq" does not apply to brands.hana (allowed: exists)',
    ),
    (
        cond("vist_count", "ge", 3),
        "targeting.field",
        f'unknown field "vist_count" (expected one of: {FIELDS})',
    ),
    (
        {"field": 3, "op": "eq", "value": 1},
        "targeting.field",
        f"field must be a string, got the number 3 (fields: {FIELDS})",
    ),
    (
        cond("brands.hana.sales", "ge", 1),
        "targeting.field",
        'unknown brand field "sales" (expected brands.hana or brands.hana. followed by one of: '
        "ltv, rank, days_since_first_used, days_since_last_purchase)",
    ),
    (
        cond("brands..ltv", "ge", 1),
        "targeting.field",
        'expected a brand id (1 to 64 characters, no dots or spaces), got the string ""',
    ),
    (
        {"any": [cond("device", "exists"), cond("brands.hnaa.ltv", "ge", 1)]},
        "targeting.any[1].field",
        'unknown brand "hnaa" (expected one of: hana, kaze, sora)',
    ),
    (
        cond("source_brand", "in", ["hana", "umi"]),
        "targeting.value[1]",
        'unknown brand "umi" (expected one of: hana, kaze, sora)',
    ),
    (cond("attributes.", "eq", "x"), "targeting.field", "attribute names have 1 to 64 characters"),
    (
        {"all": [cond("device", "exists"), cond("device", "exists"), cond("visit_count", "ge", "3")]},
        "targeting.all[2].value",
        'visit_count compares with a whole number, got the string "3"',
    ),
    (
        cond("brands.hana.ltv", "ge", 3.5),
        "targeting.value",
        "brands.hana.ltv compares with a whole number, got the number 3.5",
    ),
    (
        cond("visit_count", "ge", True),
        "targeting.value",
        "visit_count compares with a whole number, got true",
    ),
    (
        cond("first_visit", "eq", 1),
        "targeting.value",
        "first_visit compares with true or false, got the number 1",
    ),
    (
        cond("attributes.vip", "eq", False),
        "targeting.value",
        "attributes.vip compares with a string of 1 to 256 characters or a whole number, got false",
    ),
    (
        cond("page_category", "eq", ""),
        "targeting.value",
        'page_category compares with a string of 1 to 256 characters, got the string ""',
    ),
    (
        cond("page_category", "eq", "x" * 257),
        "targeting.value",
        'page_category compares with a string of 1 to 256 characters, got the string "' + "x" * 57 + '..."',
    ),
    (
        cond("device", "eq", "phone"),
        "targeting.value",
        'unknown device "phone" (expected one of: mobile, tablet, desktop)',
    ),
    (
        cond("page_category", "in", []),
        "targeting.value",
        'op "in" takes a list of 1 to 200 values, got a list of 0',
    ),
    (
        cond("page_category", "in", "sale"),
        "targeting.value",
        'op "in" takes a list of 1 to 200 values, got the string "sale"',
    ),
    (
        cond("page_category", "not_in", ["sale", 3]),
        "targeting.value[1]",
        "page_category compares with a string of 1 to 256 characters, got the number 3",
    ),
    (
        cond("attributes.age_band", "in", ["20s", 30]),
        "targeting.value",
        "a list mixes strings and numbers; use one kind of value per list",
    ),
    (
        cond("recent_categories", "has_any", [["sale"]]),
        "targeting.value[0]",
        "recent_categories compares with a string of 1 to 256 characters, got a list of 1",
    ),
    (
        cond("device", "exists", "yes"),
        "targeting.value",
        'exists takes true (has a value) or false (has none), got the string "yes"',
    ),
    (
        cond("page_url", "matches", "/sale/*"),
        "targeting.value",
        'a URL pattern matches the whole URL: start it with https://, http:// or *, got "/sale/*"',
    ),
    (
        cond("referrer", "matches", "https://x.jp/a b"),
        "targeting.value",
        "a URL pattern must not contain spaces or control characters",
    ),
    (
        cond("page_url", "matches", "*" * 257),
        "targeting.value",
        'a URL pattern is a string of 1 to 256 characters, got the string "' + "*" * 57 + '..."',
    ),
    (
        cond("page_url", "matches", ["*"]),
        "targeting.value",
        "a URL pattern is a string of 1 to 256 characters, got a list of 1",
    ),
    (
        nested_nots(9),
        "targeting" + ".not" * 8,
        "conditions nest deeper than 8 levels; flatten the tree",
    ),
    (
        {"all": [cond("visit_count", "ge", i) for i in range(200)]},
        "targeting",
        "more than 200 conditions (every all, any, not and comparison counts one)",
    ),
]


@pytest.mark.parametrize(("doc", "field", "message"), INVALID)
def test_invalid_documents_are_rejected_naming_the_part(doc: Any, field: str, message: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        validate(doc, brands=BRANDS)
    assert (caught.value.field, str(caught.value)) == (field, message)


@pytest.mark.parametrize(
    ("doc", "field", "message"),
    [
        (
            cond("group_rank", "ge", "platnum"),
            "targeting.value",
            'unknown rank "platnum" on the group scale (expected one of: bronze, silver, gold, platinum)',
        ),
        (
            cond("brands.kaze.rank", "in", ["member", "vip"]),
            "targeting.value[1]",
            'unknown rank "vip" on the brand scale (expected one of: member, silver, gold)',
        ),
    ],
)
def test_rank_names_must_be_on_the_scale(doc: Any, field: str, message: str) -> None:
    validate(doc)  # without scales any name will do
    for check in (
        lambda: compile_targeting(doc, rank_scales=SCALES),
        lambda: evaluate(doc, facts(), rank_scales=SCALES),
    ):
        with pytest.raises(InvalidRequest) as caught:
            check()
        assert (caught.value.field, str(caught.value)) == (field, message)


@pytest.mark.parametrize(
    ("scales", "message"),
    [
        ({"group": "gold"}, "a rank scale is a non-empty list of rank names, lowest first"),
        ({"group": []}, "a rank scale is a non-empty list of rank names, lowest first"),
        ({"group": ["gold", "gold"]}, "rank names on a scale must be non-empty strings, each listed once"),
    ],
)
def test_bad_rank_scales_are_rejected(scales: Any, message: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        compile_targeting(None, rank_scales=scales)
    assert (caught.value.field, str(caught.value)) == ("rank_scales.group", message)


# --- the compiler agrees with the interpreter -----------------------------------------------------

RANKS = sorted({rank for scale in SCALES.values() for rank in scale})
CATEGORIES = ("skincare", "makeup", "travel", "sale", "food")
URL_PIECES = (
    "https://",
    "http://",
    "hana.example.jp",
    "/",
    "sale",
    "?",
    "utm=x",
    "products",
    "a",
    "aa",
    "42",
)
ATTRIBUTE_NAMES = ("gender", "birth_year", "member_since", "tier")
NUMBERS = st.one_of(st.sampled_from([0, 1, 3, 30, 365, 1985, 30000]), st.integers(-10, 1000))
TEXTS = st.one_of(
    st.sampled_from(["female", "male", "gold", "2020-04-01", "1985"]), st.text(min_size=1, max_size=3)
)
URLS = st.lists(st.sampled_from(URL_PIECES), max_size=6).map("".join)
PATTERNS = st.tuples(
    st.sampled_from(["*", "https://", "http://"]), st.lists(st.sampled_from((*URL_PIECES, "*")), max_size=5)
).map(lambda parts: parts[0] + "".join(parts[1]))


def values_for(kind: str, op: str, ranks: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    scalar = {
        "number": NUMBERS,
        "rank": ranks,
        "text": st.sampled_from(CATEGORIES),
        "device": st.sampled_from(["mobile", "tablet", "desktop"]),
        "brand": st.sampled_from(BRANDS),
        "url": URLS.filter(bool),
        "flag": st.booleans(),
        "categories": st.sampled_from(CATEGORIES),
    }
    if op == "matches":
        return PATTERNS
    if op == "exists":
        return st.sampled_from([None, True, False])
    if kind == "attribute":
        if op in ("in", "not_in"):
            return st.one_of(
                st.lists(NUMBERS, min_size=1, max_size=3), st.lists(TEXTS, min_size=1, max_size=3)
            )
        return st.one_of(NUMBERS, TEXTS)
    if op in ("in", "not_in", "has_any"):
        return st.lists(scalar[kind], min_size=1, max_size=3)
    return scalar[kind]


KIND_OPS = {
    "number": ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "exists"),
    "text": ("eq", "ne", "in", "not_in", "exists"),
    "brand": ("eq", "ne", "in", "not_in"),
    "flag": ("eq", "ne"),
    "categories": ("has_any", "exists"),
    "used": ("exists",),
}
KIND_OPS["rank"] = KIND_OPS["attribute"] = KIND_OPS["number"]
KIND_OPS["device"] = KIND_OPS["text"]
KIND_OPS["url"] = (*KIND_OPS["text"], "matches")
FIELD_KINDS = {
    "group_rank": "rank",
    "days_since_member_since": "number",
    "visit_count": "number",
    "first_visit": "flag",
    "recent_categories": "categories",
    "page_url": "url",
    "page_category": "text",
    "referrer": "url",
    "device": "device",
    "source_brand": "brand",
    **{f"attributes.{name}": "attribute" for name in ATTRIBUTE_NAMES},
    **{f"brands.{brand}": "used" for brand in BRANDS},
    **{f"brands.{b}.{part}": "number" for b in BRANDS for part in ("ltv", "days_since_first_used")},
    **{f"brands.{b}.days_since_last_purchase": "number" for b in BRANDS},
    **{f"brands.{brand}.rank": "rank" for brand in BRANDS},
}


def scale_for(field: str) -> tuple[str, ...]:
    if field == "group_rank":
        return SCALES["group"]
    brand = field.split(".")[1]
    return SCALES.get(brand, SCALES["brand"])


@st.composite
def comparisons(draw: st.DrawFn, scaled: bool) -> dict[str, Any]:
    # Kind first, then a field of that kind: ranks and flags are as likely as the many numbers.
    kind = draw(st.sampled_from(sorted(set(FIELD_KINDS.values()))))
    field = draw(st.sampled_from(sorted(name for name, of in FIELD_KINDS.items() if of == kind)))
    op = draw(st.sampled_from(KIND_OPS[kind]))
    ranks = st.sampled_from(scale_for(field) if scaled and kind == "rank" else RANKS)
    return cond(field, op, draw(values_for(kind, op, ranks)))


def depth(doc: Any) -> int:
    if "all" in doc or "any" in doc:
        return 1 + max(depth(child) for child in doc.get("all", doc.get("any")))
    return 1 + depth(doc["not"]) if "not" in doc else 1


def trees(scaled: bool) -> st.SearchStrategy[Any]:
    def combine(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        members = st.lists(children, min_size=1, max_size=4)
        return st.one_of(
            members.map(lambda xs: {"all": xs}),
            members.map(lambda xs: {"any": xs}),
            children.map(lambda x: {"not": x}),
        )

    tree = st.recursive(comparisons(scaled), combine, max_leaves=12).filter(lambda doc: depth(doc) <= 8)
    return st.one_of(st.sampled_from([None, {}]), tree) if not scaled else tree


def days_around(now: dt.datetime) -> st.SearchStrategy[Any]:
    today = now.date()
    return st.one_of(st.none(), st.dates(today - dt.timedelta(days=800), today + dt.timedelta(days=2)))


@st.composite
def random_facts(draw: st.DrawFn) -> Facts:
    now = draw(st.datetimes(dt.datetime(2025, 1, 1), dt.datetime(2027, 1, 1), timezones=st.just(dt.UTC)))
    odd = st.sampled_from(
        [None, True, 2.5, float("nan"), Decimal(1985), Decimal("NaN"), ("x",), "not a date"]
    )
    usage = st.builds(
        BrandUsage,
        first_used=days_around(now),
        last_purchase=days_around(now),
        ltv=st.one_of(st.none(), NUMBERS),
        rank=st.sampled_from([*RANKS, *RANKS, None, "diamond", 3]),
    )
    attribute = st.one_of(NUMBERS, TEXTS, odd, days_around(now).map(lambda d: d and d.isoformat()))
    return Facts(
        customer_id="C1",
        now=now,
        source_brand=draw(st.sampled_from(BRANDS)),
        # Mostly names on the scale, so that rank comparisons often hinge on the order.
        group_rank=draw(st.sampled_from([*SCALES["group"], *SCALES["group"], None, "vip", "diamond", 3])),
        attributes=draw(st.dictionaries(st.sampled_from(ATTRIBUTE_NAMES), attribute)),
        brands=draw(st.dictionaries(st.sampled_from(BRANDS), usage)),
        visit_count=draw(st.integers(0, 40)),
        first_visit=draw(st.one_of(st.booleans(), st.sampled_from([1, 0, None]))),
        recent_categories=draw(st.lists(st.sampled_from(CATEGORIES), max_size=4).map(tuple)),
        page_url=draw(st.one_of(st.none(), URLS)),
        page_category=draw(st.one_of(st.none(), st.sampled_from(CATEGORIES))),
        referrer=draw(st.one_of(st.none(), URLS)),
        device=draw(st.sampled_from([None, "mobile", "tablet", "desktop", "tv"])),
    )


@st.composite
def documents_and_scales(draw: st.DrawFn) -> tuple[Any, Any]:
    scaled = draw(st.booleans())
    return draw(trees(scaled)), SCALES if scaled else None


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents_and_scales(), st.lists(random_facts(), min_size=1, max_size=4))
def test_compiled_predicates_agree_with_the_interpreter(case: tuple[Any, Any], subjects: list[Facts]) -> None:
    doc, scales = case
    predicate = compile_targeting(doc, rank_scales=scales)
    for subject in subjects:
        answer = predicate(subject)
        assert answer is evaluate(doc, subject, rank_scales=scales)
        event(f"answer={answer}")


@settings(max_examples=1000, deadline=None)
@given(st.text("a/?*", max_size=8), st.data())
def test_url_patterns_agree_with_a_regex(pattern: str, data: st.DataObject) -> None:
    # URLs near the pattern: its pieces with the stars filled in, then perhaps one character
    # dropped or the end cut off; near misses are where a matcher goes wrong.
    fills = data.draw(
        st.lists(st.text("a/?", max_size=3), min_size=pattern.count("*"), max_size=pattern.count("*"))
    )
    near = "".join(piece + fill for piece, fill in zip(pattern.split("*"), [*fills, ""], strict=True))
    cut = st.integers(0, len(near)).map(lambda n: near[:n])
    dropped = st.integers(0, len(near)).map(lambda n: near[:n] + near[n + 1 :])
    url = data.draw(st.one_of(st.just(near), cut, dropped, st.text("a/?")))
    doc = cond("page_url", "matches", "http://" + pattern)
    subject = facts(page_url="http://" + url)
    assert compile_targeting(doc)(subject) is evaluate(doc, subject)
