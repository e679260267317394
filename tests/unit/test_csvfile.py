import csv
import io

import pytest

from xsell.importing.csvfile import error_report, neutralise, read_rows


def rows(data: bytes):
    return list(read_rows(io.BytesIO(data)))


def test_bom_is_dropped_and_quoted_newlines_stay_in_their_field():
    data = '\ufeff顧客ID,メモ\r\nC1,"一行目\r\n二行目"\r\n\r\nC2,x\r\n'.encode()
    assert rows(data) == [(1, ["顧客ID", "メモ"]), (2, ["C1", "一行目\r\n二行目"]), (5, ["C2", "x"])]


def test_unterminated_quote_is_a_csv_error():
    with pytest.raises(csv.Error):
        rows(b'id,name\nC1,"open\n')


def test_shift_jis_is_not_silently_accepted_as_utf8():
    with pytest.raises(UnicodeDecodeError):
        rows("顧客ID\nC1\n".encode("cp932"))


@pytest.mark.parametrize("value", ["=1+1", "+cmd", "-2", "@SUM(A1)"])
def test_formula_starters_are_neutralised(value):
    assert neutralise(value) == "'" + value


def test_error_report_is_spreadsheet_safe():
    text = error_report([(3, "ltv", '=HYPERLINK("x")', "not a whole number")])
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed == [
        ["row", "column", "value", "reason"],
        ["3", "ltv", '\'=HYPERLINK("x")', "not a whole number"],
    ]
