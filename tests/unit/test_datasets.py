import pytest

from xsell.importing.datasets import DATASETS


def test_japanese_headers_map_to_fields():
    spec = DATASETS["profiles"]
    positions = spec.resolve_header(["顧客ID", "グループランク", "生年", "メモ"])
    assert {i: c.field for i, c in positions.items()} == {0: "customer_id", 1: "group_rank", 2: "birth_year"}


def test_missing_required_column_names_it():
    with pytest.raises(ValueError, match="missing required column\\(s\\): customer_id"):
        DATASETS["profiles"].resolve_header(["name", "rank"])
    with pytest.raises(ValueError, match="brand"):
        DATASETS["brand_usage"].resolve_header(["customer_id", "ltv"])


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        (["C1", "hana", "2024-13-01", "", "", ""], "first_used", "not a date"),
        (["C1", "hana", "", "", "-5", ""], "ltv", "must not be negative"),
        (["C1", "hana", "", "", "12.5", ""], "ltv", "not a whole number"),
        (["C 1", "hana", "", "", "", ""], "customer_id", "customer id must be"),
        (["", "hana", "", "", "", ""], "customer_id", "required value is empty"),
    ],
)
def test_bad_values_are_reported_with_column_and_reason(row, column, reason):
    spec = DATASETS["brand_usage"]
    positions = spec.resolve_header(
        ["customer_id", "brand", "first_used", "last_purchase", "ltv", "brand_rank"]
    )
    record, errors = spec.parse_row(row, positions)
    assert [(e.column, reason in e.reason) for e in errors] == [(column, True)]


def test_good_row_is_typed():
    spec = DATASETS["brand_usage"]
    positions = spec.resolve_header(["顧客ID", "ブランド", "初回利用日", "LTV"])
    record, errors = spec.parse_row(["C1", "hana", "2024/04/01", "12000"], positions)
    assert errors == []
    assert record == {"customer_id": "C1", "brand": "hana", "first_used": "2024-04-01", "ltv": 12000}
