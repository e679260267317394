"""Campaign targeting, parsed: the condition language's checks and its checked tree.

A campaign's ``targeting`` document is checked when it is saved (:func:`validate`) and again
when a config snapshot compiles it (:mod:`xsell.decisioning.conditions.compiling`), which builds
its predicate from the :data:`Node` tree :class:`Parser` returns. Every problem raises
``InvalidRequest`` naming the first offending part, in document order.

The format is described, with examples, in docs/targeting.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xsell.errors import InvalidRequest
from xsell.vocabulary import DEVICES

ROOT = "targeting"  # the field name errors start from
MAX_DEPTH = 8  # the top-level condition is level 1
MAX_NODES = 200  # every all / any / not and every comparison counts one
MAX_LIST = 200  # values of one in / not_in / has_any
MAX_TEXT = 256  # characters of one string value or URL pattern
MAX_ATTRIBUTE_NAME = 64  # the importer keeps attribute names to 64 characters
GROUP_SCALE = "group"  # rank_scales key of the group rank
DEFAULT_BRAND_SCALE = "brand"  # rank_scales key for brands without a scale of their own

_COMBINATORS = ("all", "any", "not")
_COMPARISON_KEYS = ("field", "op", "value")
ORDERING = ("lt", "le", "gt", "ge")
_EQUALITY = ("eq", "ne", "in", "not_in", "exists")
_COMPARABLE = ("eq", "ne", *ORDERING, "in", "not_in", "exists")
LIST_OPS = ("in", "not_in", "has_any")
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
ALL_OPS = ("eq", "ne", *ORDERING, "in", "not_in", "exists", "has_any", "matches")
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


@dataclass(frozen=True)
class Field:
    path: str  # as written in the document
    kind: str
    part: str  # the top-level field, the attribute name or the brand part ("" for brands.<brand>)
    brand: str | None = None


@dataclass(frozen=True)
class Compare:
    field: Field
    op: str
    value: Any  # a scalar, a tuple for list ops, a bool for exists


@dataclass(frozen=True)
class Group:
    op: str  # all | any
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


Node = Compare | Group | Not


def validate(doc: Any, *, brands: Collection[str] | None = None) -> None:
    """Check a targeting document; raise ``InvalidRequest`` naming the first offending part.

    ``None`` and ``{}`` target everyone. With ``brands``, brand ids in field names and in
    ``source_brand`` values must be among them.
    """
    Parser(brands, None).document(doc)


class Parser:
    """Turns a document into a checked tree; raises on the first problem, in document order."""

    def __init__(self, brands: Collection[str] | None, scales: Mapping[str, Sequence[str]] | None) -> None:
        self.brands = brands
        self.scales = scales
        self.nodes = 0

    def document(self, doc: Any) -> Node | None:
        if doc is None or (isinstance(doc, Mapping) and not doc):
            return None
        return self.node(doc, ROOT, 1)

    def node(self, doc: Any, at: str, depth: int) -> Node:
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

    def combination(self, doc: Mapping[Any, Any], key: str, at: str, depth: int) -> Node:
        for other in doc:
            if other != key:
                raise InvalidRequest(
                    f'"{other}" cannot stand beside "{key}": {key} is the only key of its object',
                    f"{at}.{other}",
                )
        here = f"{at}.{key}"
        inner = doc[key]
        if key == "not":
            return Not(self.node(inner, here, depth + 1))
        if not isinstance(inner, list | tuple) or not inner:
            raise InvalidRequest(
                f'"{key}" takes a non-empty list of conditions, got {_describe(inner)}', here
            )
        return Group(key, tuple(self.node(child, f"{here}[{i}]", depth + 1) for i, child in enumerate(inner)))

    def comparison(self, doc: Mapping[Any, Any], at: str) -> Compare:
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
            return Compare(field, op, present)
        if "value" not in doc:
            raise InvalidRequest(f'op "{op}" needs a value', here)
        return Compare(field, op, self.value(field, op, doc["value"], here))

    def field(self, raw: Any, at: str) -> Field:
        if not isinstance(raw, str):
            raise InvalidRequest(f"field must be a string, got {_describe(raw)} (fields: {_FIELD_HELP})", at)
        if raw in _TOP_FIELDS:
            return Field(raw, _TOP_FIELDS[raw], raw)
        if raw.startswith("attributes."):
            name = raw[len("attributes.") :]
            if not name or len(name) > MAX_ATTRIBUTE_NAME:
                raise InvalidRequest(f"attribute names have 1 to {MAX_ATTRIBUTE_NAME} characters", at)
            return Field(raw, "attribute", name)
        if raw.startswith("brands."):
            brand, _, part = raw[len("brands.") :].partition(".")
            self.brand(brand, at)
            if not part:
                return Field(raw, "used", "", brand)
            if part not in _BRAND_PARTS:
                raise InvalidRequest(
                    f'unknown brand field "{part}" (expected brands.{brand} or brands.{brand}. followed by '
                    f"one of: {', '.join(_BRAND_PARTS)})",
                    at,
                )
            return Field(raw, _BRAND_PARTS[part], part, brand)
        raise InvalidRequest(f"unknown field {_quote(raw)} (expected one of: {_FIELD_HELP})", at)

    def brand(self, brand: Any, at: str) -> None:
        if not isinstance(brand, str) or not _BRAND_ID.fullmatch(brand):
            raise InvalidRequest(
                f"expected a brand id (1 to 64 characters, no dots or spaces), got {_describe(brand)}", at
            )
        if self.brands is not None and brand not in self.brands:
            known = ", ".join(sorted(self.brands)) or "none configured"
            raise InvalidRequest(f"unknown brand {_quote(brand)} (expected one of: {known})", at)

    def value(self, field: Field, op: str, raw: Any, at: str) -> Any:
        if op == "matches":
            return _check_pattern(raw, at)
        if op not in LIST_OPS:
            return self.scalar(field, raw, at)
        if not isinstance(raw, list | tuple) or not 1 <= len(raw) <= MAX_LIST:
            raise InvalidRequest(
                f'op "{op}" takes a list of 1 to {MAX_LIST} values, got {_describe(raw)}', at
            )
        values = tuple(self.scalar(field, item, f"{at}[{i}]") for i, item in enumerate(raw))
        if len({type(v) for v in values}) > 1:
            raise InvalidRequest("a list mixes strings and numbers; use one kind of value per list", at)
        return values

    def scalar(self, field: Field, raw: Any, at: str) -> Any:
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

    def rank(self, field: Field, rank: str, at: str) -> None:
        if self.scales is None:
            return
        key = scale_key(field, self.scales)
        scale = self.scales.get(key)
        if scale is not None and rank not in scale:
            raise InvalidRequest(
                f"unknown rank {_quote(rank)} on the {key} scale (expected one of: {', '.join(scale)})", at
            )


def _check_op(raw: Any, field: Field, at: str) -> str:
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


def check_scales(rank_scales: Mapping[str, Sequence[str]] | None) -> dict[str, tuple[str, ...]]:
    checked: dict[str, tuple[str, ...]] = {}
    for key, scale in (rank_scales or {}).items():
        at = f"rank_scales.{key}"
        if isinstance(scale, str) or not isinstance(scale, Sequence) or not scale:
            raise InvalidRequest("a rank scale is a non-empty list of rank names, lowest first", at)
        if not all(isinstance(name, str) and name for name in scale) or len(set(scale)) != len(scale):
            raise InvalidRequest("rank names on a scale must be non-empty strings, each listed once", at)
        checked[str(key)] = tuple(scale)
    return checked


def scale_key(field: Field, scales: Mapping[str, Any]) -> str:
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
