import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xsell.importing.csvfile import BadRow, CsvStream, Row, error_report, neutralise


def records(data: bytes, **kwargs):
    return list(CsvStream(io.BytesIO(data), **kwargs))


def test_bom_is_dropped_and_quoted_newlines_stay_in_their_field():
    data = '\ufeff顧客ID,メモ\r\nC1,"一行目\r\n二行目"\r\n\r\n ,, \r\nC2,x\r\n'.encode()
    assert records(data) == [
        Row(1, ["顧客ID", "メモ"]),
        Row(2, ["C1", "一行目\r\n二行目"]),
        Row(6, ["C2", "x"]),
    ]


def test_offsets_and_lines_after_each_record_point_at_the_next_one():
    data = b'a,b\r\n1,"x\ny"\n\n2,z'
    stream = CsvStream(io.BytesIO(data))
    states = [(row.line, stream.offset, stream.next_line) for row in stream]
    assert states == [(1, 5, 2), (2, 13, 4), (5, 17, 6)]
    assert stream.offset == len(data)


def test_shift_jis_is_detected_at_its_first_non_ascii_line():
    data = "id,name\nC1,ascii\nC2,髙橋①\n".encode("cp932")
    stream = CsvStream(io.BytesIO(data))
    assert [r.values[1] for r in stream] == ["name", "ascii", "髙橋①"]
    assert stream.encoding == "cp932"


def test_an_unterminated_quote_swallows_the_rest_of_the_file_as_one_bad_row():
    assert records(b'id,name\nC1,"open\nC2,x\n') == [
        Row(1, ["id", "name"]),
        BadRow(
            2,
            3,
            "a quoted value that starts on line 2 is never closed "
            "(the file ends inside it; lines 2-3 were not read as rows)",
        ),
    ]


def test_a_malformed_quote_is_one_bad_row_and_reading_goes_on():
    assert records(b'id,name\nC1,"a"b\nC2,x\n')[1:] == [
        BadRow(2, 2, "line 2: not valid CSV (',' expected after '\"')"),
        Row(3, ["C2", "x"]),
    ]


def test_a_quoted_value_over_the_field_limit_is_skipped_to_where_it_closes():
    data = b'id,memo\nC1,"' + b"x\n" * 70_000 + b'"\nC2,y\n'
    got = records(data)
    assert got[1] == BadRow(
        2, 70_002, "lines 2-70002: not valid CSV (field larger than field limit (131072))"
    )
    assert got[2] == Row(70_003, ["C2", "y"])


def test_a_line_over_the_size_cap_is_reported_without_being_kept():
    data = b"id,memo\nC1," + b"x" * 5000 + b"\nC2,y\n"
    assert records(data, max_line_bytes=1024)[1:] == [
        BadRow(2, 2, "line 2 is longer than 1024 bytes"),
        Row(3, ["C2", "y"]),
    ]


@pytest.mark.parametrize(
    ("data", "encoding", "reason"),
    [
        (
            "id\nC1東\n".encode() + "C2東\n".encode("cp932"),
            "auto",
            "line 3 is not UTF-8 text like the rest of the file (byte 0x93 at position 3 of the line): "
            "the file mixes encodings",
        ),
        (
            "id\nC1東\n".encode("cp932") + "C2東\n".encode(),
            "auto",
            "line 3 is UTF-8 text in a Shift_JIS (CP932) file: the file mixes encodings",
        ),
        (
            b"id\nC1\x81\x7f\n",  # 0x81 0x7F: invalid in both
            "auto",
            "line 2 is not UTF-8, Shift_JIS (CP932) or EUC-JP text (byte 0x81 at position 3 of the line)",
        ),
        (
            "id\nC1東\n".encode(),
            "cp932",
            "line 2 is UTF-8 text in a Shift_JIS (CP932) file: the file mixes encodings",
        ),
    ],
)
def test_lines_in_another_encoding_are_bad_rows(data, encoding, reason):
    bad = [r for r in records(data, encoding=encoding) if isinstance(r, BadRow)]
    assert [b.reason for b in bad] == [reason]


def test_a_byte_order_mark_wins_over_a_configured_encoding():
    stream = CsvStream(io.BytesIO("\ufeffid\n東\n".encode()), encoding="cp932")
    assert [r.values for r in stream] == [["id"], ["東"]]
    assert stream.encoding == "utf-8"


@pytest.mark.parametrize(
    "value", ["=1+1", "+cmd", "-2", "@SUM(A1)", "\t=1", "\r=1", "＝1+1", "＋cmd", "－2", "＠SUM(A1)"]
)
def test_formula_starters_are_neutralised(value):
    assert neutralise(value) == "'" + value


def test_nul_is_shown_not_written():
    assert neutralise("ab\x00cd") == "ab\u2400cd"
    assert neutralise("\x00=1") == "\u2400=1"


def test_error_report_is_spreadsheet_safe_and_summarises_huge_values():
    text = error_report(
        [(3, "ltv", '=HYPERLINK("x")', "not a whole number"), (4, "memo", "y" * 300, "too long")]
    )
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[:2] == [
        ["row", "column", "value", "reason"],
        ["3", "ltv", '\'=HYPERLINK("x")', "not a whole number"],
    ]
    assert parsed[2][2] == "y" * 200 + "… (300 characters)"


# --- properties -----------------------------------------------------------------------

# Text a partner's CSV can hold: separators, quotes, newlines, Japanese (all CP932-encodable).
CELL = st.text(alphabet=st.sampled_from(list('ab 1,"\r\n東京都髙①ｱＡ１　-=')), max_size=12)
ROWS = st.lists(st.lists(CELL, min_size=1, max_size=4), min_size=1, max_size=12)


def _encode(rows, encoding: str, terminator: str) -> tuple[bytes, list[Row]]:
    """The file csv.writer makes of ``rows``, and the records a reader must find in it."""
    out, expected = io.StringIO(), []
    writer = csv.writer(out, lineterminator=terminator)
    for values in rows:
        if terminator == "\n":  # csv.writer would not quote a lone CR then: not a well-formed file
            values = [v.replace("\r", "") for v in values]
        line = out.getvalue().count("\n") + 1
        writer.writerow(values)
        if any(v.strip() for v in values):
            expected.append(Row(line, values))
    return out.getvalue().encode(encoding), expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=ROWS, encoding=st.sampled_from(["utf-8", "cp932"]), terminator=st.sampled_from(["\r\n", "\n"]))
def test_whatever_csv_writer_writes_reads_back_with_its_line_numbers(rows, encoding, terminator):
    data, expected = _encode(rows, encoding, terminator)
    assert records(data, encoding=encoding) == expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=ROWS, encoding=st.sampled_from(["utf-8", "cp932"]), cut=st.integers(min_value=0))
def test_resuming_from_any_checkpoint_reads_exactly_the_remaining_records(rows, encoding, cut):
    data, expected = _encode(rows, encoding, "\r\n")
    stream = CsvStream(io.BytesIO(data), encoding=encoding)
    checkpoints = [(0, 1, encoding)] + [(stream.offset, stream.next_line, stream.encoding) for _ in stream]
    offset, line, detected = checkpoints[cut % len(checkpoints)]
    resumed = CsvStream(io.BytesIO(data[offset:]), offset=offset, line=line, encoding=detected)
    assert list(resumed) == expected[cut % len(checkpoints) :]
    assert resumed.offset == len(data)


def test_euc_jp_is_detected_not_read_as_shift_jis_mojibake():
    text = "顧客ID,グループランク,都道府県\n1,ゴールド,東京都\n"
    stream = CsvStream(io.BytesIO(text.encode("euc_jp")))
    rows = [r.values for r in stream]
    assert rows == [["顧客ID", "グループランク", "都道府県"], ["1", "ゴールド", "東京都"]]
    assert stream.encoding == "euc_jp"


@pytest.mark.parametrize("text", ["ﾀﾅｶ ﾀﾛｳ,髙橋①\n", "ﾀﾅｶﾀﾛｳ\n", "顧客ID,ランク\n"])
def test_shift_jis_with_half_width_katakana_stays_shift_jis(text):
    stream = CsvStream(io.BytesIO(text.encode("cp932")))
    assert [r.values for r in stream] == [text.strip().split(",")]
    assert stream.encoding == "cp932"


def test_a_partner_can_pin_euc_jp():
    stream = CsvStream(io.BytesIO("漢字\n".encode("euc_jp")), encoding="euc-jp")
    assert [r.values for r in stream] == [["漢字"]]
