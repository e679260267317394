"""Campaign targeting, compiled: a checked condition tree turned into a predicate over ``Facts``.

A targeting document is compiled once per config snapshot (:func:`compile_targeting`). Decide
calls the predicate for every candidate campaign on every page view, so it only runs closures
built in advance: no parsing, no walking of the document, no pattern compilation.

The format is described, with examples, in docs/targeting.md.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from xsell.decisioning.conditions.parsing import (
    LIST_OPS,
    ORDERING,
    Compare,
    Field,
    Group,
    Node,
    Not,
    Parser,
    check_scales,
    scale_key,
)
from xsell.decisioning.facts import Facts
from xsell.vocabulary import BUSINESS_ZONE

Predicate = Callable[[Facts], bool]


# --- run-time values ------------------------------------------------------------------------------
# The tests' reference interpreter shares is_number and as_date; it counts days on its own.


def is_number(value: Any) -> bool:
    """Whole or decimal numbers; not booleans, not NaN (which compares with nothing)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return not math.isnan(value)
    return isinstance(value, Decimal) and value.is_finite()


def as_date(value: Any) -> dt.date | None:
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
    day = value if type(value) is dt.date else as_date(value)
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
    scales = check_scales(rank_scales)
    tree = Parser(None, scales).document(doc)
    return _everyone if tree is None else _compile(tree, scales)


def _compile(node: Node, scales: Mapping[str, tuple[str, ...]]) -> Predicate:
    if isinstance(node, Not):
        inner = _compile(node.child, scales)
        return lambda facts: not inner(facts)
    if isinstance(node, Group):
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


def _compile_comparison(node: Compare, scales: Mapping[str, tuple[str, ...]]) -> Predicate:
    field, op, value = node.field, node.op, node.value
    if field.kind == "used":
        brand = field.brand
        if value:
            return lambda facts: brand in facts.brands
        return lambda facts: brand not in facts.brands
    get = _getter(field)
    test = _test(field, op, value, scales)
    return lambda facts: test(get(facts))


def _getter(field: Field) -> Callable[[Facts], Any]:
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


def _test(field: Field, op: str, value: Any, scales: Mapping[str, tuple[str, ...]]) -> Callable[[Any], bool]:
    if op == "exists":
        return _exists_test(field.kind, value)
    if field.kind == "rank":
        return _rank_test(op, value, scales.get(scale_key(field, scales)))
    if op == "has_any":
        return _has_any_test(frozenset(value))
    if op == "matches":
        return _glob(value)
    if field.kind == "flag":
        return (lambda v: v is value) if op == "eq" else (lambda v: v is (not value))
    sample = value[0] if op in LIST_OPS else value
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
            return lambda v: (type(v) is int or is_number(v)) and v in members
        return lambda v: (type(v) is int or is_number(v)) and v not in members
    compare = _COMPARE[op]
    return lambda v: (type(v) is int or is_number(v)) and compare(v, value)


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
        if op in ORDERING:
            return _never
        named = frozenset(value) if op in LIST_OPS else frozenset((value,))
        if op in ("eq", "in"):
            return lambda v: isinstance(v, str) and v in named
        return lambda v: isinstance(v, str) and v not in named
    accepted = _ranks_accepted(op, value, scale)
    return lambda v: isinstance(v, str) and v in accepted


def _ranks_accepted(op: str, value: Any, scale: tuple[str, ...]) -> frozenset[str]:
    named = frozenset(value) if op in LIST_OPS else frozenset((value,))
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
