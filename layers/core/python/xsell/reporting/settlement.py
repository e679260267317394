"""Inter-brand settlement: the group settings' prices per ordered pair, and the monthly statement.

The destination brand pays the source brand for every order credited to a referral from it
(click-through or view-through, docs/reports.md). Per pair ``"source>destination"`` the group
settings agree either a price per conversion or a share of the orders' revenue:

    "settlement": {"currency": "JPY",
                   "default": {"per_conversion": 500},
                   "pairs": {"hana>tabi": {"revenue_share": 0.05}, "umi>hana": null}}

``null`` means the pair settles nothing. Amounts are rounded to whole units, half up.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from xsell.errors import InvalidRequest

COLUMNS = (
    "kind",
    "month",
    "payer_brand",
    "payee_brand",
    "currency",
    "conversions",
    "revenue",
    "basis",
    "rate",
    "amount",
)
_KEYS = {"currency", "default", "pairs"}
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_PAIR = re.compile(r"^([A-Za-z0-9_-]{1,64})>([A-Za-z0-9_-]{1,64})$")
MAX_PRICE = 10**9


def validate(value: Any, path: str, brands: Collection[str] | None = None) -> dict[str, Any]:
    """The ``settlement`` key of the group settings; InvalidRequest names the field at fault."""
    if not isinstance(value, dict):
        raise InvalidRequest(f"{path} must be an object", path)
    unknown = sorted(set(value) - _KEYS)
    if unknown:
        raise InvalidRequest(
            f"{path} has unknown field {unknown[0]!r} (allowed: {', '.join(sorted(_KEYS))})",
            f"{path}.{unknown[0]}",
        )
    currency = value.get("currency", "JPY")
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        raise InvalidRequest(f"{path}.currency must be three capital letters (ISO 4217)", f"{path}.currency")
    if value.get("default") is not None:
        _term(value["default"], f"{path}.default")
    pairs = value.get("pairs", {})
    if not isinstance(pairs, dict):
        raise InvalidRequest(f'{path}.pairs must be an object of "from>to" pairs', f"{path}.pairs")
    for key, term in pairs.items():
        at = f"{path}.pairs.{key}"
        found = _PAIR.fullmatch(key) if isinstance(key, str) else None
        if not found or found.group(1) == found.group(2):
            raise InvalidRequest(f'{at} must name a pair of two brands as "from>to"', at)
        if brands is not None:
            for brand in found.groups():
                if brand not in brands:
                    raise InvalidRequest(f"{at} names unknown brand {brand!r}", at)
        if term is not None:
            _term(term, at)
    return value


def _term(value: Any, path: str) -> None:
    if (
        not isinstance(value, dict)
        or len(value) != 1
        or not set(value) <= {"per_conversion", "revenue_share"}
    ):
        raise InvalidRequest(
            f'{path} must be {{"per_conversion": price}} or {{"revenue_share": share}}', path
        )
    ((basis, rate),) = value.items()
    if isinstance(rate, bool) or not isinstance(rate, int | float):
        raise InvalidRequest(f"{path}.{basis} must be a number", f"{path}.{basis}")
    if basis == "per_conversion" and not 0 <= rate <= MAX_PRICE:
        raise InvalidRequest(f"{path}.per_conversion must be from 0 to {MAX_PRICE}", f"{path}.per_conversion")
    if basis == "revenue_share" and not 0 <= rate <= 1:
        raise InvalidRequest(f"{path}.revenue_share must be a share from 0 to 1", f"{path}.revenue_share")


def term(config: Mapping[str, Any] | None, source: str, destination: str) -> tuple[str, float] | None:
    if not config:
        return None
    pairs = config.get("pairs") or {}
    key = f"{source}>{destination}"
    chosen = pairs[key] if key in pairs else config.get("default")
    if not chosen:
        return None
    ((basis, rate),) = chosen.items()
    return basis, float(rate)


def _round(value: float) -> int:
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def statement(
    rows: list[dict[str, Any]], config: Mapping[str, Any] | None, month: str, brand: str = ""
) -> list[dict[str, Any]]:
    """One line per ordered pair (the destination pays the source), then one net line per brand
    (positive: the brand receives)."""
    currency = (config or {}).get("currency", "JPY")
    lines: list[dict[str, Any]] = []
    net: dict[str, int] = {}
    for row in rows:
        if row.get("currency") not in (None, currency):
            basis, rate, amount = "other_currency", None, 0  # not settled: the orders are in another currency
        else:
            agreed = term(config, row["source_brand"], row["destination_brand"])
            if agreed is None:
                basis, rate, amount = "none", None, 0
            else:
                basis, rate = agreed
                base = row["conversions"] if basis == "per_conversion" else row["revenue"]
                amount = _round(base * rate)
        lines.append(
            {
                "kind": "pair",
                "month": month,
                "payer_brand": row["destination_brand"],
                "payee_brand": row["source_brand"],
                "currency": row.get("currency") or currency,
                "conversions": row["conversions"],
                "revenue": row["revenue"],
                "basis": basis,
                "rate": rate,
                "amount": amount,
            }
        )
        net[row["source_brand"]] = net.get(row["source_brand"], 0) + amount
        net[row["destination_brand"]] = net.get(row["destination_brand"], 0) - amount
    for name in sorted(net):
        if brand and name != brand:
            continue
        lines.append(
            {
                "kind": "net",
                "month": month,
                "payer_brand": None,
                "payee_brand": name,
                "currency": currency,
                "conversions": None,
                "revenue": None,
                "basis": None,
                "rate": None,
                "amount": net[name],
            }
        )
    return lines
