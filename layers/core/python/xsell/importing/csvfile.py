"""Streaming CSV records with byte offsets, and the spreadsheet-safe error report.

:class:`CsvStream` reads a partner file one physical line at a time, so memory is
bounded by the longest line (capped at :data:`MAX_LINE_BYTES`) whatever the file
size, and it knows the byte offset and line number after every record: an import
can stop after any record and resume there later with an S3 ranged read.

A bad record never stops the file. Lines that are not text in the file's
encoding, lines over the size cap and malformed quoting each become a
:class:`BadRow` naming the lines it covers; reading continues with the next
record. After a quoting error the reader skips to the line where the record's
quotes balance again, so text inside a broken quoted value is never imported as
rows of its own.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from xsell.importing.encodings import AUTO, BOM, UTF8, LineDecoder

MAX_LINE_BYTES = 1 << 20  # one physical line; a longer one is reported, never held in memory
READ_BUFFER_BYTES = 1 << 20

# A cell starting with one of these is run as a formula by spreadsheet programs.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
REPORT_COLUMNS = ("row", "column", "value", "reason")
REPORT_VALUE_CHARS = 200  # a 10 MB value is summarised, not echoed back


@dataclass(frozen=True, slots=True)
class Row:
    line: int  # physical line where the record starts (the header is line 1)
    values: list[str]


_new = object.__new__
_set_line = Row.__dict__["line"].__set__
_set_values = Row.__dict__["values"].__set__


def _row(line: int, values: list[str]) -> Row:
    """``Row(line, values)``, built once per record: filling the slots directly skips the
    frozen dataclass ``__init__``, which costs several times more."""
    row = _new(Row)
    _set_line(row, line)
    _set_values(row, values)
    return row


@dataclass(frozen=True, slots=True)
class BadRow:
    line: int
    last_line: int
    reason: str


class _Raw(io.RawIOBase):
    """Adapts a streaming body (botocore's, for one) to io.BufferedReader."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._body.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        return size


def _buffered(stream: IO[bytes] | Any) -> io.BufferedIOBase:
    if isinstance(stream, io.BufferedIOBase):
        return stream
    return io.BufferedReader(_Raw(stream), buffer_size=READ_BUFFER_BYTES)


class CsvStream:
    """Records of one CSV file (or of its tail, from ``offset``), each with its line number.

    After every yielded record, :attr:`offset`, :attr:`next_line` and
    :attr:`encoding` describe exactly where the next record starts.
    """

    def __init__(
        self,
        stream: IO[bytes] | Any,
        *,
        offset: int = 0,
        line: int = 1,
        encoding: str = AUTO,
        max_line_bytes: int = MAX_LINE_BYTES,
    ) -> None:
        self.offset = offset
        self.next_line = line
        self._decoder = LineDecoder(encoding)
        self._readline = _buffered(stream).readline
        self._max_line = max_line_bytes
        self._bad: list[tuple[int, str]] = []  # lines read but not trustworthy, not yet reported
        self._quotes = 0  # quote characters since the current record started
        self._lines = self._physical_lines()
        self._reader = csv.reader(self._lines, strict=True)

    @property
    def encoding(self) -> str:
        """The file's encoding as far as it is known (``auto`` while only ASCII was seen)."""
        return self._decoder.encoding

    def _physical_lines(self) -> Iterator[str]:
        limit, readline = self._max_line, self._readline
        at_start = self.offset == 0
        while True:
            raw = readline(limit)
            if not raw:
                return
            size = len(raw)
            if at_start:
                at_start = False
                if raw.startswith(BOM):
                    # A UTF-8 byte-order mark settles the encoding, whatever a setting says.
                    self._decoder = LineDecoder(UTF8)
                    raw = raw[len(BOM) :]
            number = self.next_line
            self.next_line = number + 1
            if size >= limit and not raw.endswith(b"\n"):
                size, quotes = self._discard_rest_of_line(raw)
                self.offset += size
                self._quotes += quotes
                self._bad.append((number, f"line {number} is longer than {limit} bytes"))
                yield "\n"
                continue
            self.offset += size
            if raw.isascii():
                text = raw.decode("ascii")
            else:
                text, error = self._decoder.decode(raw)
                if error is not None:
                    self._bad.append((number, f"line {number} is {error}"))
            if '"' in text:
                self._quotes += text.count('"')
            yield text

    def _discard_rest_of_line(self, head: bytes) -> tuple[int, int]:
        size, quotes = len(head), head.count(b'"')
        while True:
            more = self._readline(self._max_line)
            size += len(more)
            quotes += more.count(b'"')
            if not more or more.endswith(b"\n"):
                return size, quotes

    def __iter__(self) -> Iterator[Row | BadRow]:
        reader = self._reader
        while True:
            start = self.next_line
            self._quotes = 0
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield self._resync(start, exc)
                continue
            if self._bad:
                yield self._bad_row(start)
                continue
            if not values or (not values[0].strip() and not any(v.strip() for v in values)):
                continue  # blank line, or only separators
            yield _row(start, values)

    def _bad_row(self, start: int) -> BadRow:
        reasons = "; ".join(reason for _, reason in self._bad)
        self._bad.clear()
        return BadRow(start, self.next_line - 1, reasons)

    def _resync(self, start: int, exc: csv.Error) -> BadRow:
        """Skip to the end of the broken record: the line where its quotes balance."""
        while self._quotes % 2:
            if next(self._lines, None) is None:
                self._bad.clear()
                return BadRow(
                    start,
                    self.next_line - 1,
                    f"a quoted value that starts on line {start} is never closed "
                    f"(the file ends inside it; lines {start}-{self.next_line - 1} were not read as rows)",
                )
        last = self.next_line - 1
        detail = "; ".join(reason for _, reason in self._bad)
        self._bad.clear()
        span = f"line {start}" if last == start else f"lines {start}-{last}"
        return BadRow(start, last, f"{span}: not valid CSV ({detail or exc})")


def neutralise(value: str) -> str:
    """Make a value inert in a spreadsheet: formula starters (full-width ones too, which Excel
    in Japanese reads as formulas) get a quote in front, and NUL, which cuts a cell short in
    some programs, is shown as ␀."""
    value = value.replace("\x00", "\u2400")
    return "'" + value if value.startswith(_FORMULA_PREFIXES) else value


def _shorten(value: str) -> str:
    if len(value) <= REPORT_VALUE_CHARS:
        return value
    return f"{value[:REPORT_VALUE_CHARS]}… ({len(value)} characters)"


def report_rows(errors: Iterable[tuple[int, str, str, str]]) -> str:
    """errors.csv lines (no header) for (row, column, value, reason); every cell spreadsheet-safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row, column, value, reason in errors:
        writer.writerow([row, neutralise(column), neutralise(_shorten(value)), neutralise(reason)])
    return out.getvalue()


def report_header() -> str:
    return ",".join(REPORT_COLUMNS) + "\r\n"


def error_report(errors: Iterable[tuple[int, str, str, str]]) -> str:
    """The whole errors.csv text: header, then one line per error."""
    return report_header() + report_rows(errors)
