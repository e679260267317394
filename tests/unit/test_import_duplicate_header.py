"""A duplicate row's error line names the id column as the file wrote it, like every other error
line: a header the partner's settings map to customer_id (会員番号), or a built-in alias."""

from __future__ import annotations

import csv
import io

import pytest

from xsell.importing.datasets import DATASETS
from xsell.importing.mappings import DatasetSettings
from xsell.importing.reports import ErrorSink
from xsell.importing.runner import _Books, id_header


def _error_lines(header: list[str], settings: DatasetSettings | None) -> list[list[str]]:
    layout = DATASETS["profiles"].resolve_header(header, settings)
    written: dict[str, bytes] = {}
    sink = ErrorSink("b", "job", 0, put=lambda bucket, key, data: written.__setitem__(key, data))
    books = _Books(sink, 2, "2026-11-30T00:00:00Z", True, id_header(layout))
    books.replaced_in_batch(2, "M-1", 3)  # row 2 is replaced by the later row 3 with the same id
    sink.close()
    return [row for data in written.values() for row in csv.reader(io.StringIO(data.decode()))]


@pytest.mark.parametrize(
    ("header", "settings", "column"),
    [
        (["会員番号", "生年"], DatasetSettings({"会員番号": "customer_id"}), "会員番号"),
        ([" Member No ", "生年"], DatasetSettings({"member no": "customer_id"}), "Member No"),
        (["会員ID", "生年"], None, "会員ID"),
        (["customer_id", "生年"], None, "customer_id"),
    ],
)
def test_a_duplicate_is_reported_under_the_file_s_own_id_header(header, settings, column):
    assert _error_lines(header, settings) == [
        ["2", column, "M-1", "duplicate of row 3 in this file; the later row was kept"]
    ]
