"""Tables as CSV files a spreadsheet opens safely: UTF-8 with a byte-order mark (so Excel reads
Japanese text), CRLF lines, and every cell that a spreadsheet would run as a formula neutralised."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from xsell.importing.csvfile import neutralise
from xsell.importing.encodings import BOM


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return neutralise(str(value))


def to_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return BOM + out.getvalue().encode("utf-8")
