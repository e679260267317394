"""Streaming CSV reading and the spreadsheet-safe error report."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import IO

# A cell starting with one of these is run as a formula by spreadsheet programs.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def read_rows(stream: IO[bytes], encoding: str = "utf-8-sig") -> Iterator[tuple[int, list[str]]]:
    """Yield (line number of the row's start, values) for every non-empty row, header first."""
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    reader = csv.reader(text, strict=True)
    line = 1
    for values in reader:
        if values and any(v.strip() for v in values):
            yield line, values
        line = reader.line_num + 1


def neutralise(value: str) -> str:
    """Make a value inert in a spreadsheet by prefixing formula starters with a quote."""
    return "'" + value if value.startswith(_FORMULA_PREFIXES) else value


def error_report(errors: list[tuple[int, str, str, str]]) -> str:
    """The errors.csv text: row, column, value, reason; every cell spreadsheet-safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["row", "column", "value", "reason"])
    for row, column, value, reason in errors:
        writer.writerow([row, neutralise(column), neutralise(value), neutralise(reason)])
    return out.getvalue()
