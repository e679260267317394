"""The error report: ``results/<job-id>/errors.csv`` (row, column, value, reason).

Errors are written as they are found, in parts of at most :data:`PART_ROWS`
lines, so memory stays bounded however many rows are bad. Parts are listed on
the job when its chunk commits; when the job finishes they are concatenated into
errors.csv (UTF-8 with a byte-order mark, so Excel opens Japanese text correctly)
and deleted. A part written by a chunk that never committed is never listed, so a
chunk that is retried cannot report a row twice.
"""

from __future__ import annotations

from collections.abc import Callable

from xsell import topology
from xsell.dal import objects
from xsell.importing.csvfile import report_header, report_rows

PART_ROWS = 20_000
Error = tuple[int, str, str, str]  # row, column, value, reason


def errors_key(job_id: str) -> str:
    return f"{topology.RESULTS_PREFIX}{job_id}/errors.csv"


def part_key(job_id: str, chunk: int, seq: int) -> str:
    return f"{topology.RESULTS_PREFIX}{job_id}/parts/{chunk:06d}-{seq:04d}.csv"


class ErrorSink:
    """Collects one chunk's errors and writes them out in sorted parts."""

    def __init__(
        self,
        bucket: str,
        job_id: str,
        chunk: int,
        *,
        part_rows: int = PART_ROWS,
        put: Callable[[str, str, bytes], None] | None = None,
    ) -> None:
        self._bucket, self._job_id, self._chunk = bucket, job_id, chunk
        self._part_rows = part_rows
        self._put = put or (lambda bucket, key, data: objects.put_bytes(bucket, key, data))
        self._pending: list[Error] = []
        self.parts: list[str] = []
        self.count = 0

    def add(self, row: int, column: str, value: str, reason: str) -> None:
        self._pending.append((row, column, value, reason))
        self.count += 1
        if len(self._pending) >= self._part_rows:
            self._write_part()

    def close(self) -> list[str]:
        """Write what is pending; the keys of every part this chunk wrote, in order."""
        if self._pending:
            self._write_part()
        return self.parts

    def _write_part(self) -> None:
        self._pending.sort(key=lambda error: error[0])
        key = part_key(self._job_id, self._chunk, len(self.parts))
        self._put(self._bucket, key, report_rows(self._pending).encode("utf-8"))
        self.parts.append(key)
        self._pending = []


def publish(bucket: str, job_id: str, parts: list[str]) -> str:
    """Concatenate the committed parts into errors.csv; returns its key."""
    key = errors_key(job_id)
    head = b"\xef\xbb\xbf" + report_header().encode("utf-8")
    objects.concatenate(bucket, head, parts, key)
    return key


def discard_parts(bucket: str, parts: list[str]) -> None:
    if parts:
        objects.delete(bucket, parts)
