"""Campaign targeting: a small JSON condition language, its validator, compiler and reference interpreter.

A campaign's ``targeting`` document is checked when it is saved (``validate``) and compiled once per
config snapshot (``compile_targeting``) into a predicate over ``Facts``. Decide calls that predicate for
every candidate campaign on every page view, so it only runs closures built in advance: no parsing, no
walking of the document, no pattern compilation. ``evaluate`` interprets the document directly and is
kept deliberately plain: tests use it as the oracle the compiler must agree with.

The format is described, with examples, in docs/targeting.md.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import operator
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from xsell.decisioning.facts import Facts
from xsell.errors import InvalidRequest

Predicate = Callable[[Facts], bool]

ROOT = "targeting"  # the field name errors start from
MAX_DEPTH = 8  # the top-level condition is level 1
MAX_NODES = 200  # every all / any / not and every comparison counts one
MAX_LIST = 200  # values of one in / not_in / has_any
MAX_TEXT = 256  # characters of one string value or URL pattern
MAX_ATTRIBUTE_NAME = 64  # the importer keeps attribute names to 64 characters
DEVICES = ("mobile", "tablet", "desktop")
GROUP_SCALE = "group"  # rank_scales key of the group rank
DEFAULT_BRAND_SCALE = "brand"  # rank_scales key for brands without a scale of their own
# Partner dates are Japanese business days; Japan keeps no daylight saving time.
BUSINESS_ZONE = dt.timezone(dt.timedelta(hours=9), "Asia/Tokyo")

_COMBINATORS = ("all", "any", "not")
_COMPARISON_KEYS = ("field", "op", "value")
_ORDERING = ("lt", "le", "gt", "ge")
_EQUALITY = ("eq", "ne", "in", "not_in", "exists")
_COMPARABLE = ("eq", "ne", *_ORDERING, "in", "not_in", "exists")
_LIST_OPS = ("in", "not_in", "has_any")
# A field's kind decides which ops apply to it and what its values look like.
_OPS_BY_KIND: dict[str, tuple[str, ...]] = {
    "number": _COMPARABLE,
    "rank": _COMPARABLE,
    "attribute": _COMPARABLE,
    "text": _EQUALITY,
    "device": _EQUALITY,
    "brand": ("eq", "ne", "in", "not_in"),
    "url": (*_EQUALITY, "matches"),
    "flag": ("eq", "ne"),
    "categories": ("has_any", "exists"),
    "used": ("exists",),
}
ALL_OPS = ("eq", "ne", *_ORDERING, "in", "not_in", "exists", "has_any", "matches")
_TOP_FIELDS = {
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
}
_BRAND_PARTS = {
    "ltv": "number",
    "rank": "rank",
    "days_since_first_used": "number",
    "days_since_last_purchase": "number",
}
_FIELD_HELP = (
    ", ".join(_TOP_FIELDS)
    + ", attributes.<name>, brands.<brand>, "
    + ", ".join(f"brands.<brand>.{part}" for part in _BRAND_PARTS)
)
_SHAPE_HELP = (
    'a condition is {"all": [...]}, {"any": [...]}, {"not": {...}} or {"field": ..., "op": ..., "value": ...}'
)
_BRAND_ID = re.compile(r"[^.\s]{1,64}")
_URL_START = ("*", "https://", "http://")
_UNSAFE_IN_PATTERN = re.compile(r"[\s\x00-\x1f\x7f]")


# --- validation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    path: str  # as written in the document
    kind: str
    part: str  # the top-level field, the attribute name or the brand part ("" for brands.<brand>)
    brand: str | None = None


@dataclass(frozen=True)
class _Compare:
    field: _Field
    op: str
    value: Any  # a scalar, a tuple for list ops, a bool for exists


@dataclass(frozen=True)
class _Group:
    op: str  # all | any
    children: tuple[_Node, ...]


@dataclass(frozen=True)
class _Not:
    child: _Node


_Node = _Compare | _Group | _Not


def validate(doc: Any, *, brands: Collection[str] | None = None) -> None:
    """Check a targeting document; raise ``InvalidRequest`` naming the first offending part.

    ``None`` and ``{}`` target everyone. With ``brands``, brand ids in field names and in
    ``source_brand`` values must be among them.
    """
    _Parser(brands, None).document(doc)


class _Parser:
    """Turns a document into a checked tree; raises on the first problem, in document order."""

    def __init__(self, brands: Collection[str] | None, scales: Mapping[str, Sequence[str]] | None) -> None:
        self.brands = brands
        self.scales = scales
        self.nodes = 0

    def document(self, doc: Any) -> _Node | None:
        if doc is None or (isinstance(doc, Mapping) and not doc):
            return None
        return self.node(doc, ROOT, 1)

    def node(self, doc: Any, at: str, depth: int) -> _Node:
        if not isinstance(doc, Mapping):
            raise InvalidRequest(f"expected a condition object, got {_describe(doc)}; {_SHAPE_HELP}", at)
        if depth > MAX_DEPTH:
            raise InvalidRequest(f"conditions nest deeper than {MAX_DEPTH} levels; flatten the tree", at)
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise InvalidRequest(
                f"more than {MAX_NODES} conditions (every all, any, not and comparison counts one)", ROOT
            )
        if not doc:
            raise InvalidRequest(f"empty condition; {_SHAPE_HELP}", at)
        combinator = next((key for key in doc if key in _COMBINATORS), None)
        if combinator is not None:
            return self.combination(doc, combinator, at, depth)
        return self.comparison(doc, at)

    def combination(self, doc: Mapping[Any, Any], key: str, at: str, depth: int) -> _Node:
        for other in doc:
            if other != key:
                raise InvalidRequest(
                    f'"{other}" cannot stand beside "{key}": {key} is the only key of its object',
                    f"{at}.{other}",
                )
        here = f"{at}.{key}"
        inner = doc[key]
        if key == "not":
            return _Not(self.node(inner, here, depth + 1))
        if not isinstance(inner, list | tuple) or not inner:
            raise InvalidRequest(
                f'"{key}" takes a non-empty list of conditions, got {_describe(inner)}', here
            )
        return _Group(
            key, tuple(self.node(child, f"{here}[{i}]", depth + 1) for i, child in enumerate(inner))
        )

    def comparison(self, doc: Mapping[Any, Any], at: str) -> _Compare:
        for key in doc:
            if key not in _COMPARISON_KEYS:
                raise InvalidRequest(f'unknown key "{key}"; {_SHAPE_HELP}', f"{at}.{key}")
        for key in ("field", "op"):
            if key not in doc:
                raise InvalidRequest(f'"{key}" is required in a comparison', f"{at}.{key}")
        field = self.field(doc["field"], f"{at}.field")
        op = _check_op(doc["op"], field, f"{at}.op")
        here = f"{at}.value"
        if op == "exists":
            present = doc.get("value", True)
            if not isinstance(present, bool):
                raise InvalidRequest(
                    f"exists takes true (has a value) or false (has none), got {_describe(present)}", here
                )
            return _Compare(field, op, present)
        if "value" not in doc:
            raise InvalidRequest(f'op "{op}" needs a value', here)
        return _Compare(field, op, self.value(field, op, doc["value"], here))

    def field(self, raw: Any, at: str) -> _Field:
        if not isinstance(raw, str):
            raise InvalidRequest(f"field must be a string, got {_describe(raw)} (fields: {_FIELD_HELP})", at)
        if raw in _TOP_FIELDS:
            return _Field(raw, _TOP_FIELDS[raw], raw)
        if raw.startswith("attributes."):
            name = raw[len("attributes.") :]
            if not name or len(name) > MAX_ATTRIBUTE_NAME:
                raise InvalidRequest(f"attribute names have 1 to {MAX_ATTRIBUTE_NAME} characters", at)
            return _Field(raw, "attribute", name)
        if raw.startswith("brands."):
            brand, _, part = raw[len("brands.") :].partition(".")
            self.brand(brand, at)
            if not part:
                return _Field(raw, "used", "", brand)
            if part not in _BRAND_PARTS:
                raise InvalidRequest(
                    f'unknown brand field "{part}" (expected brands.{brand} or brands.{brand}. followed by '
                    f"one of: {', '.join(_BRAND_PARTS)})",
                    at,
                )
            return _Field(raw, _BRAND_PARTS[part], part, brand)
        raise InvalidRequest(f"unknown field {_quote(raw)} (expected one of: {_FIELD_HELP})", at)

    def brand(self, brand: Any, at: str) -> None:
        if not isinstance(brand, str) or not _BRAND_ID.fullmatch(brand):
            raise InvalidRequest(
                f"expected a brand id (1 to 64 characters, no dots or spaces), got {_describe(brand)}", at
            )
        if self.brands is not None and brand not in self.brands:
            known = ", ".join(sorted(self.brands)) or "none configured"
            raise InvalidRequest(f"unknown brand {_quote(brand)} (expected one of: {known})", at)

    def value(self, field: _Field, op: str, raw: Any, at: str) -> Any:
        if op == "matches":
            return _check_pattern(raw, at)
        if op not in _LIST_OPS:
            return self.scalar(field, raw, at)
        if not isinstance(raw, list | tuple) or not 1 <= len(raw) <= MAX_LIST:
            raise InvalidRequest(
                f'op "{op}" takes a list of 1 to {MAX_LIST} values, got {_describe(raw)}', at
            )
        values = tuple(self.scalar(field, item, f"{at}[{i}]") for i, item in enumerate(raw))
        if len({type(v) for v in values}) > 1:
            raise InvalidRequest("a list mixes strings and numbers; use one kind of value per list", at)
        return values

    def scalar(self, field: _Field, raw: Any, at: str) -> Any:
        kind, is_whole = field.kind, isinstance(raw, int) and not isinstance(raw, bool)
        is_text = isinstance(raw, str) and 1 <= len(raw) <= MAX_TEXT
        if kind == "number" and not is_whole:
            raise InvalidRequest(f"{field.path} compares with a whole number, got {_describe(raw)}", at)
        if kind == "flag" and not isinstance(raw, bool):
            raise InvalidRequest(f"{field.path} compares with true or false, got {_describe(raw)}", at)
        if kind == "attribute" and not (is_whole or is_text):
            raise InvalidRequest(
                f"{field.path} compares with a string of 1 to {MAX_TEXT} characters or a whole number, "
                f"got {_describe(raw)}",
                at,
            )
        if kind in ("number", "flag", "attribute"):
            return raw
        if not is_text:
            raise InvalidRequest(
                f"{field.path} compares with a string of 1 to {MAX_TEXT} characters, got {_describe(raw)}", at
            )
        if kind == "device" and raw not in DEVICES:
            raise InvalidRequest(f"unknown device {_quote(raw)} (expected one of: {', '.join(DEVICES)})", at)
        if kind == "brand":
            self.brand(raw, at)
        if kind == "rank":
            self.rank(field, raw, at)
        return raw

    def rank(self, field: _Field, rank: str, at: str) -> None:
        if self.scales is None:
            return
        key = _scale_key(field, self.scales)
        scale = self.scales.get(key)
        if scale is not None and rank not in scale:
            raise InvalidRequest(
                f"unknown rank {_quote(rank)} on the {key} scale (expected one of: {', '.join(scale)})", at
            )


def _check_op(raw: Any, field: _Field, at: str) -> str:
    if not isinstance(raw, str) or raw not in ALL_OPS:
        got = _quote(raw) if isinstance(raw, str) else _describe(raw)
        raise InvalidRequest(f"unknown op {got} (expected one of: {', '.join(ALL_OPS)})", at)
    allowed = _OPS_BY_KIND[field.kind]
    if raw not in allowed:
        raise InvalidRequest(f'op "{raw}" does not apply to {field.path} (allowed: {", ".join(allowed)})', at)
    return raw


def _check_pattern(raw: Any, at: str) -> str:
    if not isinstance(raw, str) or not 1 <= len(raw) <= MAX_TEXT:
        raise InvalidRequest(
            f"a URL pattern is a string of 1 to {MAX_TEXT} characters, got {_describe(raw)}", at
        )
    if not raw.startswith(_URL_START):
        raise InvalidRequest(
            f"a URL pattern matches the whole URL: start it with https://, http:// or *, got {_quote(raw)}",
            at,
        )
    if _UNSAFE_IN_PATTERN.search(raw):
        raise InvalidRequest("a URL pattern must not contain spaces or control characters", at)
    return raw


def _check_scales(rank_scales: Mapping[str, Sequence[str]] | None) -> dict[str, tuple[str, ...]]:
    checked: dict[str, tuple[str, ...]] = {}
    for key, scale in (rank_scales or {}).items():
        at = f"rank_scales.{key}"
        if isinstance(scale, str) or not isinstance(scale, Sequence) or not scale:
            raise InvalidRequest("a rank scale is a non-empty list of rank names, lowest first", at)
        if not all(isinstance(name, str) and name for name in scale) or len(set(scale)) != len(scale):
            raise InvalidRequest("rank names on a scale must be non-empty strings, each listed once", at)
        checked[str(key)] = tuple(scale)
    return checked


def _scale_key(field: _Field, scales: Mapping[str, Any]) -> str:
    if field.brand is None:
        return GROUP_SCALE
    return field.brand if field.brand in scales else DEFAULT_BRAND_SCALE


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {_quote(value)}"
    if isinstance(value, list | tuple):
        return f"a list of {len(value)}"
    if isinstance(value, Mapping):
        return "an object"
    return f"a {type(value).__name__}"


def _quote(text: str) -> str:
    return json.dumps(text if len(text) <= 60 else text[:57] + "...", ensure_ascii=False)


# --- run-time values ------------------------------------------------------------------------------
# The interpreter shares _is_number and _as_date; it counts days on its own (without the cache).


def _is_number(value: Any) -> bool:
    """Whole or decimal numbers; not booleans, not NaN (which compares with nothing)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return not math.isnan(value)
    return isinstance(value, Decimal) and value.is_finite()


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _days_since(facts: Facts, value: Any) -> int | None:
    day = value if type(value) is dt.date else _as_date(value)
    if day is None:
        return None
    return (_business_day(facts.now) - day).days


# One request's Facts share one ``now`` across every campaign tested: convert it once.
_last_day: tuple[dt.datetime, dt.date] | None = None


def _business_day(now: dt.datetime) -> dt.date:
    global _last_day
    last = _last_day
    if last is not None and last[0] is now:
        return last[1]
    today = now.astimezone(BUSINESS_ZONE).date()
    _last_day = (now, today)  # one tuple: a reader never sees a day paired with another instant
    return today


# --- compilation ---------------------------------------------------------------------------------


def _everyone(facts: Facts) -> bool:
    return True


def _never(value: Any) -> bool:
    return False


def compile_targeting(
    doc: Any | None, *, rank_scales: Mapping[str, Sequence[str]] | None = None
) -> Callable[[Facts], bool]:
    """Validate ``doc`` and build its predicate once; ``None`` or ``{}`` targets everyone.

    ``rank_scales`` orders rank names lowest first: ``group`` for the group rank, a brand id for
    that brand's rank, ``brand`` for brands without their own. Rank names in ``doc`` must be on
    the scale that applies; a customer's rank that is not on it makes every comparison false.
    """
    scales = _check_scales(rank_scales)
    tree = _Parser(None, scales).document(doc)
    return _everyone if tree is None else _compile(tree, scales)


def _compile(node: _Node, scales: Mapping[str, tuple[str, ...]]) -> Predicate:
    if isinstance(node, _Not):
        inner = _compile(node.child, scales)
        return lambda facts: not inner(facts)
    if isinstance(node, _Group):
        return _combine(node.op, [_compile(child, scales) for child in node.children])
    return _compile_comparison(node, scales)


def _combine(op: str, children: list[Predicate]) -> Predicate:
    if len(children) == 1:
        return children[0]
    if len(children) == 2:
        first, second = children
        if op == "all":
            return lambda facts: first(facts) and second(facts)
        return lambda facts: first(facts) or second(facts)
    members = tuple(children)
    # Plain loops, not all()/any() over a generator: about half the cost per call (CPython 3.11).
    if op == "all":

        def every(facts: Facts) -> bool:
            for member in members:  # noqa: SIM110
                if not member(facts):
                    return False
            return True

        return every

    def some(facts: Facts) -> bool:
        for member in members:  # noqa: SIM110
            if member(facts):
                return True
        return False

    return some


def _compile_comparison(node: _Compare, scales: Mapping[str, tuple[str, ...]]) -> Predicate:
    field, op, value = node.field, node.op, node.value
    if field.kind == "used":
        brand = field.brand
        if value:
            return lambda facts: brand in facts.brands
        return lambda facts: brand not in facts.brands
    get = _getter(field)
    test = _test(field, op, value, scales)
    return lambda facts: test(get(facts))


def _getter(field: _Field) -> Callable[[Facts], Any]:
    if field.kind == "attribute":
        name = field.part
        return lambda facts: facts.attributes.get(name)
    if field.part == "days_since_member_since":
        return lambda facts: _days_since(facts, facts.attributes.get("member_since"))
    if field.brand is None:
        return operator.attrgetter(field.part)
    brand = field.brand
    if field.part.startswith("days_since_"):
        date_of = operator.attrgetter(field.part[len("days_since_") :])

        def days(facts: Facts) -> int | None:
            usage = facts.brands.get(brand)
            return None if usage is None else _days_since(facts, date_of(usage))

        return days
    part_of = operator.attrgetter(field.part)

    def part(facts: Facts) -> Any:
        usage = facts.brands.get(brand)
        return None if usage is None else part_of(usage)

    return part


def _test(field: _Field, op: str, value: Any, scales: Mapping[str, tuple[str, ...]]) -> Callable[[Any], bool]:
    if op == "exists":
        return _exists_test(field.kind, value)
    if field.kind == "rank":
        return _rank_test(op, value, scales.get(_scale_key(field, scales)))
    if op == "has_any":
        return _has_any_test(frozenset(value))
    if op == "matches":
        return _glob(value)
    if field.kind == "flag":
        return (lambda v: v is value) if op == "eq" else (lambda v: v is (not value))
    sample = value[0] if op in _LIST_OPS else value
    return _number_test(op, value) if isinstance(sample, int) else _string_test(op, value)


def _exists_test(kind: str, present: bool) -> Callable[[Any], bool]:
    if kind == "categories":
        if present:
            return lambda v: isinstance(v, tuple | list) and len(v) > 0
        return lambda v: not (isinstance(v, tuple | list) and len(v) > 0)
    if present:
        return lambda v: v is not None
    return lambda v: v is None


_COMPARE = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}


# The kind checks are written out in each closure (``type(v) is int`` first) rather than passed
# in as a function: one Python call less per comparison.
def _number_test(op: str, value: Any) -> Callable[[Any], bool]:
    """A comparison with a number: false for anything that is not one (booleans included)."""
    if op in ("in", "not_in"):
        members = frozenset(value)
        if op == "in":
            return lambda v: (type(v) is int or _is_number(v)) and v in members
        return lambda v: (type(v) is int or _is_number(v)) and v not in members
    compare = _COMPARE[op]
    return lambda v: (type(v) is int or _is_number(v)) and compare(v, value)


def _string_test(op: str, value: Any) -> Callable[[Any], bool]:
    """A comparison with a string: false for anything that is not one."""
    if op in ("in", "not_in"):
        members = frozenset(value)
        if op == "in":
            return lambda v: isinstance(v, str) and v in members
        return lambda v: isinstance(v, str) and v not in members
    if op == "eq":
        return lambda v: v == value  # only an equal string equals a string
    compare = _COMPARE[op]
    return lambda v: isinstance(v, str) and compare(v, value)


def _rank_test(op: str, value: Any, scale: tuple[str, ...] | None) -> Callable[[Any], bool]:
    """Every rank comparison becomes membership in the set of ranks it accepts."""
    if scale is None:
        if op in _ORDERING:
            return _never
        named = frozenset(value) if op in _LIST_OPS else frozenset((value,))
        if op in ("eq", "in"):
            return lambda v: isinstance(v, str) and v in named
        return lambda v: isinstance(v, str) and v not in named
    accepted = _ranks_accepted(op, value, scale)
    return lambda v: isinstance(v, str) and v in accepted


def _ranks_accepted(op: str, value: Any, scale: tuple[str, ...]) -> frozenset[str]:
    named = frozenset(value) if op in _LIST_OPS else frozenset((value,))
    if op in ("eq", "in"):
        return named
    if op in ("ne", "not_in"):
        return frozenset(scale) - named
    level = scale.index(value)
    chosen = {"lt": scale[:level], "le": scale[: level + 1], "gt": scale[level + 1 :], "ge": scale[level:]}
    return frozenset(chosen[op])


def _has_any_test(wanted: frozenset[str]) -> Callable[[Any], bool]:
    def has_any(v: Any) -> bool:
        if not isinstance(v, tuple | list):
            return False
        try:
            return not wanted.isdisjoint(v)
        except TypeError:  # an unhashable item: look at the strings one by one
            return any(isinstance(item, str) and item in wanted for item in v)

    return has_any


def _glob(pattern: str) -> Callable[[Any], bool]:
    """Whole-string match where ``*`` is any run of characters and everything else is literal.

    Literal pieces are found left to right with ``str.find``: the time is linear in the URL
    whatever the pattern, unlike a backtracking regex.
    """
    pieces = pattern.split("*")
    if len(pieces) == 1:
        return lambda text: text == pattern
    head, *middle, tail = pieces
    shortest = sum(map(len, pieces))

    def match(text: Any) -> bool:
        if (
            not isinstance(text, str)
            or len(text) < shortest
            or not text.startswith(head)
            or not text.endswith(tail)
        ):
            return False
        position, end = len(head), len(text) - len(tail)
        for piece in middle:
            found = text.find(piece, position, end)
            if found < 0:
                return False
            position = found + len(piece)
        return True

    return match


# --- reference interpreter -------------------------------------------------------------------------


def evaluate(doc: Any, facts: Facts, *, rank_scales: Mapping[str, Sequence[str]] | None = None) -> bool:
    """Decide ``doc`` for ``facts`` by walking the document: slow and plain, the compiler's oracle."""
    scales = _check_scales(rank_scales)
    if _Parser(None, scales).document(doc) is None:
        return True
    return _interpret(doc, facts, scales)


def _interpret(node: Mapping[str, Any], facts: Facts, scales: Mapping[str, tuple[str, ...]]) -> bool:
    if "all" in node:
        return all(_interpret(child, facts, scales) for child in node["all"])
    if "any" in node:
        return any(_interpret(child, facts, scales) for child in node["any"])
    if "not" in node:
        return not _interpret(node["not"], facts, scales)
    path, op = node["field"], node["op"]
    if op == "exists":
        return _has_value(path, facts) == node.get("value", True)
    actual = _look_up(path, facts)
    value = node["value"]
    if path == "group_rank" or (path.startswith("brands.") and path.endswith(".rank")):
        return _interpret_rank(actual, op, value, _interpreted_scale(path, scales))
    if op == "matches":
        return isinstance(actual, str) and re.fullmatch(_glob_regex(value), actual, re.DOTALL) is not None
    if op == "has_any":
        return isinstance(actual, tuple | list) and any(isinstance(c, str) and c in value for c in actual)
    sample = value[0] if op in ("in", "not_in") else value
    if not _same_kind(actual, sample):
        return False
    if op == "in":
        return actual in value
    if op == "not_in":
        return actual not in value
    return _interpret_ordering(op, actual, value)


def _look_up(path: str, facts: Facts) -> Any:
    if path.startswith("attributes."):
        return facts.attributes.get(path[len("attributes.") :])
    if path == "days_since_member_since":
        return _interpreted_days(facts, facts.attributes.get("member_since"))
    if not path.startswith("brands."):
        return getattr(facts, path)
    brand, _, part = path[len("brands.") :].partition(".")
    usage = facts.brands.get(brand)
    if usage is None:
        return None
    if part == "days_since_first_used":
        return _interpreted_days(facts, usage.first_used)
    if part == "days_since_last_purchase":
        return _interpreted_days(facts, usage.last_purchase)
    return getattr(usage, part)


def _interpreted_days(facts: Facts, value: Any) -> int | None:
    day = _as_date(value)
    return None if day is None else (facts.now.astimezone(BUSINESS_ZONE).date() - day).days


def _has_value(path: str, facts: Facts) -> bool:
    if path.startswith("brands.") and path.count(".") == 1:
        return path[len("brands.") :] in facts.brands
    actual = _look_up(path, facts)
    if path == "recent_categories":
        return isinstance(actual, tuple | list) and len(actual) > 0
    return actual is not None


def _interpreted_scale(path: str, scales: Mapping[str, tuple[str, ...]]) -> tuple[str, ...] | None:
    if path == "group_rank":
        return scales.get("group")
    brand = path.split(".")[1]
    return scales.get(brand) if brand in scales else scales.get("brand")


def _interpret_rank(actual: Any, op: str, value: Any, scale: tuple[str, ...] | None) -> bool:
    if not isinstance(actual, str):
        return False
    if scale is not None and actual not in scale:
        return False
    if op == "eq":
        return actual == value
    if op == "ne":
        return actual != value
    if op == "in":
        return actual in value
    if op == "not_in":
        return actual not in value
    if scale is None:
        return False
    return _interpret_ordering(op, scale.index(actual), scale.index(value))


def _same_kind(actual: Any, value: Any) -> bool:
    if isinstance(value, bool):
        return isinstance(actual, bool)
    if isinstance(value, int):
        return _is_number(actual)
    return isinstance(actual, str)


def _interpret_ordering(op: str, left: Any, right: Any) -> bool:
    if op == "eq":
        return left == right
    if op == "ne":
        return left != right
    if op == "lt":
        return left < right
    if op == "le":
        return left <= right
    if op == "gt":
        return left > right
    return left >= right


def _glob_regex(pattern: str) -> str:
    return ".*".join(re.escape(piece) for piece in pattern.split("*"))
