"""Values parsed once per file (repeating columns), and the rows built without dataclass __init__:
the results must be exactly those of parsing every cell and constructing every row afresh."""

import dataclasses
import datetime as dt
import io

import pytest

from xsell.importing import datasets
from xsell.importing.csvfile import CsvStream, Row
from xsell.importing.datasets import DATASETS, ParseContext
from xsell.importing.merging import ProfileRow, profile_row
from xsell.importing.writing import to_write

HEADER = ["顧客ID", "性別", "生年", "都道府県", "入会日"]
LATER = ParseContext(today=dt.date(2026, 11, 23), brands=frozenset({"hana", "umi"}))
EARLIER = ParseContext(today=dt.date(2020, 1, 1), brands=frozenset({"umi"}))


def _errors(result):
    return [(e.column, e.value, e.reason) for e in result[1]]


def test_a_remembered_value_gives_the_same_record_as_parsing_it_again():
    spec = DATASETS["profiles"]
    layout = spec.resolve_header(HEADER)
    row = ["C1", "女性", "１９８０", "東京", "2024/04/01"]
    first = spec.parse_row(row, layout, LATER)
    again = spec.parse_row(["C2", *row[1:]], layout, LATER)
    fresh = spec.parse_row(["C2", *row[1:]], spec.resolve_header(HEADER), LATER)
    assert first == (
        {
            "customer_id": "C1",
            "gender": "female",
            "birth_year": 1980,
            "prefecture": "東京都",
            "member_since": "2024-04-01",
        },
        [],
    )
    assert again == fresh
    assert list(again[0]) == list(fresh[0])  # same field order too


def test_a_new_context_does_not_reuse_values_checked_against_another_day():
    spec = DATASETS["profiles"]
    layout = spec.resolve_header(HEADER)
    row = ["C1", "male", "2021", "13", "2021-05-05"]
    assert spec.parse_row(row, layout, LATER)[1] == []
    assert _errors(spec.parse_row(row, layout, EARLIER)) == [
        ("生年", "2021", "out of range 1900..2020"),
        ("入会日", "2021-05-05", "is in the future"),
    ]
    assert spec.parse_row(row, layout, LATER)[1] == []


def test_a_new_context_does_not_reuse_brands_of_another_partner():
    spec = DATASETS["brand_usage"]
    layout = spec.resolve_header(["customer_id", "brand"])
    assert spec.parse_row(["C1", "hana"], layout, LATER) == ({"customer_id": "C1", "brand": "hana"}, [])
    assert _errors(spec.parse_row(["C1", "hana"], layout, EARLIER)) == [
        ("brand", "hana", "unknown brand (expected one of: umi)")
    ]


def test_a_repeated_bad_value_is_reported_on_every_row():
    spec = DATASETS["profiles"]
    layout = spec.resolve_header(HEADER)
    reports = [_errors(spec.parse_row([f"C{n}", "maybe", "", "", ""], layout, LATER)) for n in range(3)]
    assert reports == [[("性別", "maybe", "not one of female, male, other, unknown")]] * 3


def test_remembered_values_are_bounded_per_column_and_still_parsed_past_the_bound(monkeypatch):
    monkeypatch.setattr(datasets, "MEMO_VALUES", 5)
    spec = DATASETS["profiles"]
    layout = spec.resolve_header(HEADER)
    days = [(dt.date(2024, 1, 1) + dt.timedelta(days=n)) for n in range(20)]
    records = [spec.parse_row(["C1", "", "", "", f"{d:%Y/%m/%d}"], layout, LATER)[0] for d in days * 2]
    assert [r["member_since"] for r in records] == [d.isoformat() for d in days * 2]
    memo = {step[1]: step[5] for step in layout.steps(LATER)}
    assert memo["customer_id"] is None  # unique per row: never remembered
    assert len(memo["member_since"]) == 5


def test_profile_rows_are_the_frozen_dataclass_with_every_field():
    fast = profile_row("C1", 7, {"gender": "female"}, "gold", True)
    assert fast == ProfileRow(
        "C1", 7, attributes={"gender": "female"}, group_rank="gold", sets_group_rank=True
    )
    assert repr(fast) == repr(ProfileRow("C1", 7, {"gender": "female"}, "gold", True))
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.line = 8  # type: ignore[misc]


@pytest.mark.parametrize(
    ("record", "group_rank", "sets_group_rank"),
    [({"group_rank": "gold"}, "gold", True), ({"group_rank": None}, None, True), ({}, None, False)],
)
def test_profile_writes_carry_the_rank_only_when_the_file_has_the_column(record, group_rank, sets_group_rank):
    write = to_write("profiles", {"customer_id": "C1", "gender": "male", **record}, 3)
    assert write == ProfileRow("C1", 3, {"gender": "male"}, group_rank, sets_group_rank)


def test_csv_rows_are_the_frozen_dataclass():
    rows = list(CsvStream(io.BytesIO(b"a,b\r\n1,2\r\n")))
    assert rows == [Row(1, ["a", "b"]), Row(2, ["1", "2"])]
    with pytest.raises(dataclasses.FrozenInstanceError):
        rows[0].line = 3  # type: ignore[misc]
