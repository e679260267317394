"""The datasets partners can upload, their columns and how each row is checked.

Each dataset maps header names (field names and aliases, Japanese ones included,
plus whatever a partner's settings add) to fields, and turns a raw row into a
record or the reasons it was rejected.

Full-width characters: in ids, numbers and dates, full-width digits, letters and
punctuation (``０-９``, ``Ａ-Ｚ``, ``／``, ``－``, the ideographic space) are read as
their ASCII forms, so ``２０２４／０４／０１`` is ``2024-04-01`` and ``１，２００`` is 1200.
Free text (ranks, custom attributes) is stored exactly as written.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from xsell.importing.errors import DuplicateColumns, MissingColumns
from xsell.importing.mappings import DatasetSettings
from xsell.vocabulary import CUSTOMER_ID_PATTERN

Record = dict[str, object]

# Full-width ASCII (U+FF01-FF5E), the ideographic space and dash look-alikes -> ASCII.
_ASCII_FORMS = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_ASCII_FORMS.update({0x3000: 0x20, 0x2212: 0x2D, **{code: 0x2D for code in range(0x2010, 0x2016)}})


def to_ascii(raw: str) -> str:
    """Full-width digits, letters and punctuation as ASCII; anything else unchanged."""
    return raw if raw.isascii() else raw.translate(_ASCII_FORMS)


class BadValue(ValueError):
    """Raised by a column parser; becomes a :class:`RowError` naming the column."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RowError(ValueError):
    """One bad value (or a bad row, with an empty column): which column and why."""

    def __init__(self, column: str, value: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.value = value
        self.reason = reason


@dataclass(frozen=True)
class ParseContext:
    """What row checks need beyond the row: today's date, the brands a row may name."""

    today: dt.date
    brands: frozenset[str] = frozenset()
    brand_aliases: Mapping[str, str] = field(default_factory=dict)


Parser = Callable[[str, ParseContext], object]

# --- column parsers -------------------------------------------------------------------

_ID = re.compile(CUSTOMER_ID_PATTERN)


def customer_id(raw: str, ctx: ParseContext) -> str:
    value = raw if raw.isascii() else raw.translate(_ASCII_FORMS)  # to_ascii, inlined: once per row
    if _ID.fullmatch(value) is None:
        raise BadValue("customer id must be 1-128 letters, digits or _.:@-")
    return value


def text(limit: int) -> Parser:
    def parse(raw: str, ctx: ParseContext) -> str:
        if len(raw) > limit:
            raise BadValue(f"longer than {limit} characters")
        return raw

    return parse


_GROUPED = re.compile(r"-?\d{1,3}(,\d{3})+")


def _whole_number(raw: str) -> int:
    value = to_ascii(raw)
    if "," in value and _GROUPED.fullmatch(value):
        value = value.replace(",", "")
    try:
        return int(value)
    except ValueError as exc:
        raise BadValue("not a whole number") from exc


def yen(raw: str, ctx: ParseContext) -> int:
    try:
        value = _whole_number(raw)
    except BadValue as exc:
        raise BadValue("not a whole number of yen") from exc
    if value < 0:
        raise BadValue("must not be negative")
    return value


def birth_year(raw: str, ctx: ParseContext) -> int:
    value = _whole_number(raw)
    if not 1900 <= value <= ctx.today.year:
        raise BadValue(f"out of range 1900..{ctx.today.year}")
    return value


_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")
_DATE_JA = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_DATE_FORMATS = "YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD or YYYY年M月D日"


def _day(value: str) -> dt.date | None:
    try:
        if len(value) == 10 and value[4] in "-/" and value[7] == value[4]:
            return dt.date.fromisoformat(value.replace("/", "-"))
        match = _DATE.fullmatch(value) or _DATE_JA.fullmatch(value)
        if match is not None:
            year, month, day = (int(part) for part in match.groups())
            return dt.date(year, month, day)
        if len(value) == 8 and value.isdigit():
            return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        pass
    return None


def date(raw: str, ctx: ParseContext) -> str:
    day = _day(to_ascii(raw))
    if day is None:
        raise BadValue(f"not a date (expected {_DATE_FORMATS})")
    if day > ctx.today:
        raise BadValue("is in the future")
    if day.year < 1900:
        raise BadValue("is before 1900")
    return day.isoformat()


def enum(choices: Mapping[str, str], expected: str) -> Parser:
    index = {unicodedata.normalize("NFKC", k).casefold(): v for k, v in choices.items()}

    def parse(raw: str, ctx: ParseContext) -> str:
        found = index.get(raw.casefold()) or index.get(unicodedata.normalize("NFKC", raw).casefold())
        if found is None:
            raise BadValue(f"not one of {expected}")
        return found

    return parse


GENDERS = {
    **dict.fromkeys(("female", "f", "woman", "女", "女性"), "female"),
    **dict.fromkeys(("male", "m", "man", "男", "男性"), "male"),
    **dict.fromkeys(("other", "x", "その他"), "other"),
    **dict.fromkeys(("unknown", "不明", "無回答", "回答しない"), "unknown"),
}

# fmt: off
PREFECTURES = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県",
    "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県",
    "石川県", "福井県", "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県",
    "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県",
    "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県", "高知県", "福岡県",
    "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
)
# fmt: on
_PREFECTURE_NAMES: dict[str, str] = {}
for _code, _name in enumerate(PREFECTURES, start=1):
    _PREFECTURE_NAMES[_name] = _name
    _PREFECTURE_NAMES[_name if _name == "北海道" else _name[:-1]] = _name  # 東京 -> 東京都
    _PREFECTURE_NAMES[str(_code)] = _PREFECTURE_NAMES[f"{_code:02d}"] = _name  # JIS X 0401 codes


def prefecture(raw: str, ctx: ParseContext) -> str:
    found = _PREFECTURE_NAMES.get(raw) or _PREFECTURE_NAMES.get(to_ascii(raw))
    if found is None:
        raise BadValue("not a prefecture (expected e.g. 東京都, 東京 or its code 13)")
    return found


_AGE_BAND = re.compile(r"(\d{1,2})0(?:s|代)(\+|以上)?")


def age_band(raw: str, ctx: ParseContext) -> str:
    match = _AGE_BAND.fullmatch(to_ascii(raw))
    if match is None:
        raise BadValue("not an age band (expected e.g. 20s, 20代 or 70代以上)")
    return f"{match.group(1)}0{'+' if match.group(2) else 's'}"


def _brand_id(raw: str, ctx: ParseContext) -> str | None:
    value = ctx.brand_aliases.get(raw) or to_ascii(raw).lower()
    return value if value in ctx.brands else None


def _known(ctx: ParseContext) -> str:
    return ", ".join(sorted(ctx.brands)) or "none configured"


def brand(raw: str, ctx: ParseContext) -> str:
    found = _brand_id(raw, ctx)
    if found is None:
        raise BadValue(f"unknown brand (expected one of: {_known(ctx)})")
    return found


ALL_BRANDS = "all"
_ALL_WORDS = frozenset({"all", "*", "全て", "すべて", "全ブランド"})


def optout_brand(raw: str, ctx: ParseContext) -> str:
    if to_ascii(raw).lower() in _ALL_WORDS:
        return ALL_BRANDS
    found = _brand_id(raw, ctx)
    if found is None:
        raise BadValue(f"unknown brand (expected all or one of: {_known(ctx)})")
    return found


# --- datasets -----------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    field: str
    parse: Parser
    required: bool = False
    aliases: tuple[str, ...] = ()
    # Values repeat across rows (genders, years, dates, prefectures, brands): each distinct
    # value is parsed once per file and context. Only for parsers whose result depends on
    # nothing but the value and the context.
    repeats: bool = False


def normalise_header(name: str) -> str:
    """How header names are compared: NFKC (full-width letters), trimmed, case-folded."""
    return unicodedata.normalize("NFKC", name).strip().strip("\ufeff\u200b").casefold()


MEMO_VALUES = 4096  # distinct values remembered per repeating column and file


# One column's check, ready for every row: (position, field, header as written, parser,
# required, accepted value -> parsed result or None when the column does not repeat).
_Step = tuple[int, str, str, Parser, bool, "dict[str, object] | None"]


@dataclass(frozen=True)
class Layout:
    """How one file's header maps onto a dataset."""

    columns: tuple[tuple[int, str, Column], ...]  # (position, header as written, column)
    extras: tuple[tuple[int, str], ...]  # (position, attribute name): unknown columns kept
    width: int  # number of columns up to the last named one
    # The steps for the context rows were last checked with: (context, steps).
    _bound: list[tuple[ParseContext | None, tuple[_Step, ...]]] = field(
        default_factory=lambda: [(None, ())], init=False, repr=False, compare=False
    )

    def steps(self, ctx: ParseContext) -> tuple[_Step, ...]:
        """The column checks for rows read with ``ctx``; remembered values start afresh for a
        new context (a different day or brand list can change a result)."""
        bound_ctx, steps = self._bound[0]
        if bound_ctx is not ctx:
            steps = tuple(
                (position, col.field, header, col.parse, col.required, {} if col.repeats else None)
                for position, header, col in self.columns
            )
            self._bound[0] = (ctx, steps)
        return steps


@dataclass(frozen=True)
class Dataset:
    name: str
    columns: tuple[Column, ...]
    key_fields: tuple[str, ...] = ("customer_id",)
    may_keep_unknown: bool = False  # unknown columns can become attributes (profiles)
    check: Callable[[Record], list[RowError]] | None = None  # checks across fields
    _by_header: Mapping[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, Column] = {}
        for col in self.columns:
            for name in (col.field, *col.aliases):
                index[normalise_header(name)] = col
        object.__setattr__(self, "_by_header", index)

    @property
    def fields(self) -> dict[str, Column]:
        return {c.field: c for c in self.columns}

    def resolve_header(self, header: list[str], settings: DatasetSettings | None = None) -> Layout:
        """Map header positions to columns; raises when required columns are missing or a
        field is named twice. Unknown columns are ignored, or kept as attributes when the
        partner's settings say so and the dataset allows it."""
        settings = settings or DatasetSettings()
        fields = self.fields
        overrides: dict[str, Column | None] = {}
        for name, target in settings.columns.items():
            if target is not None and target not in fields:
                raise MissingColumns(
                    f"the partner settings map {name!r} to {target!r}, which {self.name} does not have"
                )
            overrides[normalise_header(name)] = fields[target] if target is not None else None
        keep = settings.keep_unknown_columns and self.may_keep_unknown
        columns: list[tuple[int, str, Column]] = []
        extras: list[tuple[int, str]] = []
        first_seen: dict[str, int] = {}
        width = 0
        for position, raw_name in enumerate(header):
            name = normalise_header(raw_name)
            if not name:
                continue
            width = position + 1
            col = overrides[name] if name in overrides else self._by_header.get(name)
            if col is None:
                if keep and name not in overrides:
                    extras.append((position, attribute_name(raw_name)))
                continue
            if col.field in first_seen:
                raise DuplicateColumns(
                    f"columns {first_seen[col.field] + 1} ({header[first_seen[col.field]].strip()}) and "
                    f"{position + 1} ({raw_name.strip()}) both map to {col.field}"
                )
            first_seen[col.field] = position
            columns.append((position, raw_name.strip(), col))
        missing = [c.field for c in self.columns if c.required and c.field not in first_seen]
        if missing:
            raise MissingColumns("missing required column(s): " + ", ".join(missing))
        taken = {c.field for c in self.columns}
        extras = [(p, n) for p, n in extras if n and n not in taken]
        return Layout(tuple(columns), tuple(extras), width)

    def parse_row(
        self, values: list[str], layout: Layout, ctx: ParseContext
    ) -> tuple[Record, list[RowError]]:
        """A record (blank optional cells are None), or the reasons the row is rejected."""
        count, width = len(values), layout.width
        if count != width and (count < width or any(v.strip() for v in values[width:])):
            reason = f"the row has {count} values but the header has {width} columns"
            return {}, [RowError("", "", reason)]
        record: Record = {}
        errors: list[RowError] = []
        for position, name, header, parse, required, memo in layout.steps(ctx):
            raw = values[position].strip()
            if not raw:
                if required:
                    errors.append(RowError(header, "", "required value is empty"))
                else:
                    record[name] = None
                continue
            if memo is not None:
                value = memo.get(raw)
                if value is not None:
                    record[name] = value
                    continue
            try:
                value = parse(raw, ctx)
            except BadValue as exc:
                errors.append(RowError(header, raw, exc.reason))
                continue
            record[name] = value
            if memo is not None and value is not None and len(memo) < MEMO_VALUES:
                memo[raw] = value
        if layout.extras:
            extra = {}
            for position, name in layout.extras:
                raw = values[position].strip()
                if len(raw) > EXTRA_VALUE_LIMIT:
                    errors.append(RowError(name, raw, f"longer than {EXTRA_VALUE_LIMIT} characters"))
                extra[name] = raw or None
            record[EXTRA] = extra
        if not errors and self.check is not None:
            errors = self.check(record)
        return record, errors

    def key(self, record: Record) -> tuple[object, ...]:
        return tuple(record[f] for f in self.key_fields)


EXTRA = "_extra"  # record key holding kept unknown columns (attribute name -> value or None)
EXTRA_VALUE_LIMIT = 256
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def attribute_name(header: str) -> str:
    """An attribute name from a partner's own column header (kept as written, trimmed)."""
    return _CONTROL.sub("", unicodedata.normalize("NFKC", header)).strip().strip("\ufeff")[:64]


def _usage_dates_in_order(record: Record) -> list[RowError]:
    first, last = record.get("first_used"), record.get("last_purchase")
    if isinstance(first, str) and isinstance(last, str) and last < first:
        return [RowError("last_purchase", last, f"is before first_used ({first})")]
    return []


CUSTOMER_ID = Column("customer_id", customer_id, required=True, aliases=("顧客ID", "会員ID", "customer"))
PROFILE_ATTRIBUTES = ("gender", "birth_year", "age_band", "prefecture", "member_since")

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            "profiles",
            (
                CUSTOMER_ID,
                Column("group_rank", text(32), aliases=("グループランク", "rank", "ランク")),
                Column(
                    "gender", enum(GENDERS, "female, male, other, unknown"), aliases=("性別",), repeats=True
                ),
                Column("birth_year", birth_year, aliases=("生年", "生まれ年"), repeats=True),
                Column("age_band", age_band, aliases=("年代",), repeats=True),
                Column("prefecture", prefecture, aliases=("都道府県",), repeats=True),
                Column("member_since", date, aliases=("入会日",), repeats=True),
            ),
            may_keep_unknown=True,
        ),
        Dataset(
            "brand_usage",
            (
                CUSTOMER_ID,
                Column("brand", brand, required=True, aliases=("ブランド",), repeats=True),
                Column("first_used", date, aliases=("初回利用日",), repeats=True),
                Column("last_purchase", date, aliases=("最終購入日",), repeats=True),
                Column("ltv", yen, aliases=("LTV", "累計購入額")),
                Column("brand_rank", text(32), aliases=("ブランドランク",)),
            ),
            key_fields=("customer_id", "brand"),
            check=_usage_dates_in_order,
        ),
        Dataset(
            "optouts",
            (
                CUSTOMER_ID,
                Column("brand", optout_brand, aliases=("ブランド", "対象ブランド"), repeats=True),
            ),
            key_fields=("customer_id", "brand"),
        ),
        Dataset("erasure", (CUSTOMER_ID,)),
    )
}
