"""The targeting language's reference interpreter: the oracle the compiler must agree with.

``evaluate`` decides a document for some facts by walking it, plainly and slowly (about 40 µs
for a 10-condition tree against the compiled predicate's 1.5 µs). It shares only the parser's
checks and the run-time value helpers with the product; everything else is written out anew,
so that a mistake in the compiler does not hide behind the same mistake here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from xsell.decisioning.conditions.compiling import as_date, is_number
from xsell.decisioning.conditions.parsing import Parser, check_scales
from xsell.decisioning.facts import Facts
from xsell.vocabulary import BUSINESS_ZONE


def evaluate(doc: Any, facts: Facts, *, rank_scales: Mapping[str, Sequence[str]] | None = None) -> bool:
    """Decide ``doc`` for ``facts`` by walking the document: slow and plain, the compiler's oracle."""
    scales = check_scales(rank_scales)
    if Parser(None, scales).document(doc) is None:
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
    day = as_date(value)
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
        return is_number(actual)
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
