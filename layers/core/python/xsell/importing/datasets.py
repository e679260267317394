"""The datasets partners can upload, their columns and how each row is checked.

Each dataset maps header names (with aliases, Japanese ones included) to fields
and turns a raw row into a record or a list of reasons it was rejected.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

Record = dict[str, object]


class RowError(ValueError):
    """One bad value: which column and why."""

    def __init__(self, column: str, value: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.value = value
        self.reason = reason


_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")


def _customer_id(column: str, raw: str) -> str:
    if not _ID.match(raw):
        raise RowError(column, raw, "customer id must be 1-128 letters, digits or _.:@-")
    return raw


def _text(limit: int) -> Callable[[str, str], str]:
    def parse(column: str, raw: str) -> str:
        if len(raw) > limit:
            raise RowError(column, raw[:50], f"longer than {limit} characters")
        return raw

    return parse


def _date(column: str, raw: str) -> str:
    try:
        return dt.date.fromisoformat(raw.replace("/", "-")).isoformat()
    except ValueError as exc:
        raise RowError(column, raw, "not a date (expected YYYY-MM-DD or YYYY/MM/DD)") from exc


def _int_range(low: int, high: int) -> Callable[[str, str], int]:
    def parse(column: str, raw: str) -> int:
        try:
            value = int(raw)
        except ValueError as exc:
            raise RowError(column, raw, "not a whole number") from exc
        if not low <= value <= high:
            raise RowError(column, raw, f"out of range {low}..{high}")
        return value

    return parse


def _non_negative(column: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError as exc:
        raise RowError(column, raw, "not a whole number of yen") from exc
    if value < 0:
        raise RowError(column, raw, "must not be negative")
    return value


@dataclass(frozen=True)
class Column:
    field: str
    parse: Callable[[str, str], object]
    required: bool = False
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dataset:
    name: str
    columns: tuple[Column, ...]
    key_field: str = "customer_id"
    _by_header: Mapping[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, Column] = {}
        for col in self.columns:
            for name in (col.field, *col.aliases):
                index[name.strip().lower()] = col
        object.__setattr__(self, "_by_header", index)

    def resolve_header(self, header: list[str]) -> dict[int, Column]:
        """Column position -> column spec; raises ValueError naming missing required columns."""
        positions = {}
        for i, name in enumerate(header):
            col = self._by_header.get(name.strip().lower())
            if col is not None:
                positions[i] = col
        found = {c.field for c in positions.values()}
        missing = [c.field for c in self.columns if c.required and c.field not in found]
        if missing:
            raise ValueError("missing required column(s): " + ", ".join(missing))
        return positions

    def parse_row(self, values: list[str], positions: Mapping[int, Column]) -> tuple[Record, list[RowError]]:
        record: Record = {}
        errors: list[RowError] = []
        for i, col in positions.items():
            raw = values[i].strip() if i < len(values) else ""
            if raw == "":
                if col.required:
                    errors.append(RowError(col.field, "", "required value is empty"))
                continue
            try:
                record[col.field] = col.parse(col.field, raw)
            except RowError as err:
                errors.append(err)
        return record, errors


CUSTOMER_ID = Column("customer_id", _customer_id, required=True, aliases=("顧客ID", "会員ID", "customer"))

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            "profiles",
            (
                CUSTOMER_ID,
                Column("group_rank", _text(32), aliases=("グループランク", "rank")),
                Column("gender", _text(16), aliases=("性別",)),
                Column("birth_year", _int_range(1900, 2100), aliases=("生年",)),
                Column("prefecture", _text(16), aliases=("都道府県",)),
                Column("member_since", _date, aliases=("入会日",)),
            ),
        ),
        Dataset(
            "brand_usage",
            (
                CUSTOMER_ID,
                Column("brand", _text(64), required=True, aliases=("ブランド",)),
                Column("first_used", _date, aliases=("初回利用日",)),
                Column("last_purchase", _date, aliases=("最終購入日",)),
                Column("ltv", _non_negative, aliases=("LTV", "累計購入額")),
                Column("brand_rank", _text(32), aliases=("ブランドランク",)),
            ),
        ),
    )
}
