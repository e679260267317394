import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xsell.importing.datasets import DATASETS, EXTRA, ParseContext, to_ascii
from xsell.importing.errors import DuplicateColumns, MissingColumns
from xsell.importing.mappings import DatasetSettings

CTX = ParseContext(
    today=dt.date(2026, 11, 23),
    brands=frozenset({"hana", "tabi", "umi"}),
    brand_aliases={"花コスメ": "hana"},
)


def parse(dataset: str, header: list[str], row: list[str], settings: DatasetSettings | None = None):
    spec = DATASETS[dataset]
    return spec.parse_row(row, spec.resolve_header(header, settings), CTX)


def errors(dataset: str, header: list[str], row: list[str]) -> list[tuple[str, str, str]]:
    return [(e.column, e.value, e.reason) for e in parse(dataset, header, row)[1]]


def test_japanese_and_full_width_headers_map_to_fields():
    layout = DATASETS["profiles"].resolve_header(["顧客ID", "グループランク", "ＢＩＲＴＨ＿ＹＥＡＲ", "メモ"])
    assert [(pos, header, col.field) for pos, header, col in layout.columns] == [
        (0, "顧客ID", "customer_id"),
        (1, "グループランク", "group_rank"),
        (2, "ＢＩＲＴＨ＿ＹＥＡＲ", "birth_year"),
    ]
    assert layout.extras == () and layout.width == 4


def test_missing_required_columns_are_named():
    with pytest.raises(MissingColumns, match=r"^missing required column\(s\): customer_id$"):
        DATASETS["profiles"].resolve_header(["name", "rank"])
    with pytest.raises(MissingColumns, match=r"^missing required column\(s\): brand$"):
        DATASETS["brand_usage"].resolve_header(["customer_id", "ltv"])


def test_two_columns_for_one_field_reject_the_file():
    with pytest.raises(DuplicateColumns) as refused:
        DATASETS["profiles"].resolve_header(["顧客ID", "rank", "customer_id"])
    assert str(refused.value) == "columns 1 (顧客ID) and 3 (customer_id) both map to customer_id"


def test_partner_columns_add_aliases_ignore_columns_and_keep_unknown_ones():
    settings = DatasetSettings({"会員番号": "customer_id", "ランク": None}, keep_unknown_columns=True)
    record, problems = parse(
        "profiles", ["会員番号", "ランク", "会員種別", ""], ["C1", "gold", "VIP", ""], settings
    )
    assert problems == []
    assert record == {"customer_id": "C1", EXTRA: {"会員種別": "VIP"}}


def test_a_partner_column_must_name_a_field_of_the_dataset():
    with pytest.raises(MissingColumns, match="which profiles does not have"):
        DATASETS["profiles"].resolve_header(["x"], DatasetSettings({"x": "brand"}))


@pytest.mark.parametrize(
    ("row", "column", "value", "reason"),
    [
        (["C1", "hana", "2024-13-01", "", "", ""], "first_used", "2024-13-01", "not a date"),
        (["C1", "hana", "", "2027-01-01", "", ""], "last_purchase", "2027-01-01", "is in the future"),
        (["C1", "hana", "", "", "-5", ""], "ltv", "-5", "must not be negative"),
        (["C1", "hana", "", "", "12.5", ""], "ltv", "12.5", "not a whole number of yen"),
        (["C 1", "hana", "", "", "", ""], "customer_id", "C 1", "customer id must be"),
        (["", "hana", "", "", "", ""], "customer_id", "", "required value is empty"),
        (["C1", "mori", "", "", "", ""], "brand", "mori", "unknown brand (expected one of: hana, tabi, umi)"),
        (["C1", "hana", "", "", "", "x" * 33], "brand_rank", "x" * 33, "longer than 32 characters"),
    ],
)
def test_bad_values_are_reported_with_column_and_reason(row, column, value, reason):
    header = ["customer_id", "brand", "first_used", "last_purchase", "ltv", "brand_rank"]
    [(got_column, got_value, got_reason)] = errors("brand_usage", header, row)
    assert (got_column, got_value) == (column, value)
    assert got_reason.startswith(reason)


def test_good_row_is_typed_and_full_width_numbers_and_dates_are_read_as_ascii():
    record, problems = parse(
        "brand_usage",
        ["顧客ID", "ブランド", "初回利用日", "最終購入日", "LTV"],
        ["Ｃ１", "花コスメ", "２０２４／０４／０１", "2024年5月6日", "１，２００"],
    )
    assert problems == []
    assert record == {
        "customer_id": "C1",
        "brand": "hana",
        "first_used": "2024-04-01",
        "last_purchase": "2024-05-06",
        "ltv": 1200,
    }


@pytest.mark.parametrize(
    ("raw", "day"),
    [
        ("2024-04-01", "2024-04-01"),
        ("2024/4/1", "2024-04-01"),
        ("20240401", "2024-04-01"),
        ("2024/04/01 0:00:00", "2024-04-01"),
        ("2024.04.01", "2024-04-01"),
        ("2024年4月1日", "2024-04-01"),
    ],
)
def test_dates_in_the_formats_japanese_exports_use(raw, day):
    record, problems = parse("profiles", ["customer_id", "member_since"], ["C1", raw])
    assert (problems, record["member_since"]) == ([], day)


@pytest.mark.parametrize(
    ("header", "raw", "stored"),
    [
        ("gender", "女性", "female"),
        ("gender", "Ｍ", "male"),
        ("gender", "回答しない", "unknown"),
        ("prefecture", "東京", "東京都"),
        ("prefecture", "北海道", "北海道"),
        ("prefecture", "27", "大阪府"),
        ("prefecture", "０１", "北海道"),
        ("age_band", "20代", "20s"),
        ("age_band", "７０代以上", "70+"),
        ("age_band", "30s", "30s"),
        ("birth_year", "１９８０", 1980),
    ],
)
def test_enumerations_are_normalised(header, raw, stored):
    record, problems = parse("profiles", ["customer_id", header], ["C1", raw])
    assert (problems, record[header]) == ([], stored)


@pytest.mark.parametrize(
    ("header", "raw", "reason"),
    [
        ("gender", "?", "not one of female, male, other, unknown"),
        ("prefecture", "Tokyo", "not a prefecture (expected e.g. 東京都, 東京 or its code 13)"),
        ("prefecture", "48", "not a prefecture (expected e.g. 東京都, 東京 or its code 13)"),
        ("age_band", "25", "not an age band (expected e.g. 20s, 20代 or 70代以上)"),
        ("birth_year", "1899", "out of range 1900..2026"),
        ("member_since", "1899-12-31", "is before 1900"),
    ],
)
def test_values_outside_an_enumeration_or_range_are_rejected(header, raw, reason):
    assert errors("profiles", ["customer_id", header], ["C1", raw]) == [(header, raw, reason)]


def test_blank_optional_cells_are_kept_as_none_so_they_can_clear_stored_values():
    record, problems = parse("profiles", ["customer_id", "group_rank", "gender"], ["C1", "", " "])
    assert (problems, record) == ([], {"customer_id": "C1", "group_rank": None, "gender": None})


def test_rows_must_have_as_many_values_as_the_header():
    header = ["customer_id", "group_rank", ""]  # a trailing empty header name is not a column
    assert parse("profiles", header, ["C1", "gold"])[1] == []
    assert parse("profiles", header, ["C1", "gold", "", ""])[1] == []  # trailing empty cells
    assert errors("profiles", header, ["C1"]) == [
        ("", "", "the row has 1 values but the header has 2 columns")
    ]
    assert errors("profiles", header, ["C1", "a", "b"]) == [
        ("", "", "the row has 3 values but the header has 2 columns")
    ]


def test_usage_dates_must_be_in_order():
    header = ["customer_id", "brand", "first_used", "last_purchase"]
    assert errors("brand_usage", header, ["C1", "hana", "2024-05-01", "2024-04-30"]) == [
        ("last_purchase", "2024-04-30", "is before first_used (2024-05-01)")
    ]


def test_optouts_name_a_brand_or_all():
    header = ["customer_id", "brand"]
    assert parse("optouts", header, ["C1", "全て"])[0]["brand"] == "all"
    assert parse("optouts", header, ["C1", "TABI"])[0]["brand"] == "tabi"
    assert errors("optouts", header, ["C1", "mori"]) == [
        ("brand", "mori", "unknown brand (expected all or one of: hana, tabi, umi)")
    ]


@given(st.integers(min_value=0, max_value=10**9))
def test_full_width_digits_read_as_the_same_number(n):
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in str(n))
    assert to_ascii(full_width) == str(n)
    record, problems = parse("brand_usage", ["customer_id", "brand", "ltv"], ["C1", "hana", full_width])
    assert (problems, record["ltv"]) == ([], n)
