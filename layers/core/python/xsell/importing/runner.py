"""Import one partner file: claim the job, stream rows, write good ones, report bad ones."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from xsell import topology
from xsell.dal import jobs, objects, profiles
from xsell.importing.csvfile import error_report, read_rows
from xsell.importing.datasets import DATASETS, Record

Writer = Callable[[Mapping[str, Any]], None]
WRITERS: dict[str, Writer] = {
    "profiles": profiles.merge_profile,
    "brand_usage": profiles.merge_brand_usage,
}


@dataclass(frozen=True)
class ObjectRef:
    bucket: str
    key: str
    etag: str
    version: str | None = None

    @property
    def job_id(self) -> str:
        """Same key and same content -> same job: a re-delivered event or a re-uploaded
        identical file is imported once. The version id, when S3 sends one, is only
        used to read exactly the bytes that were announced."""
        etag = self.etag.strip('"')
        ident = f"{self.bucket}/{self.key}#{etag}"
        return hashlib.sha256(ident.encode()).hexdigest()[:32]


class RejectedFile(ValueError):
    """The whole file is refused; nothing from it is written."""


def parse_key(key: str) -> tuple[str, str]:
    """``incoming/<partner>/<dataset>/<file>.csv`` -> (partner, dataset)."""
    parts = key.split("/")
    if (
        len(parts) != 4
        or f"{parts[0]}/" != topology.DROP_PREFIX
        or not parts[3].endswith(topology.DROP_SUFFIX)
    ):
        expected = f"{topology.DROP_PREFIX}<partner>/<dataset>/<file>{topology.DROP_SUFFIX}"
        raise RejectedFile(f"object key {key!r} is not {expected}")
    partner, dataset = parts[1], parts[2]
    if dataset not in DATASETS:
        raise RejectedFile(f"unknown dataset {dataset!r}: expected one of {', '.join(sorted(DATASETS))}")
    return partner, dataset


def import_object(ref: ObjectRef) -> str | None:
    """Import ``ref`` once. Returns the job id, or None when it was already imported."""
    rejected_reason: str | None = None
    try:
        partner, dataset = parse_key(ref.key)
    except RejectedFile as exc:
        rejected_reason = str(exc)
        parts = ref.key.split("/")
        partner = parts[1] if len(parts) > 2 else "unknown"
        dataset = parts[2] if len(parts) > 3 else "unknown"

    job = jobs.claim(ref.job_id, partner=partner, dataset=dataset, key=ref.key, version=ref.version)
    if job is None:
        return None
    if rejected_reason:
        job.status, job.reason = "rejected", rejected_reason
        jobs.finish(job)
        return job.job_id

    spec, write = DATASETS[dataset], WRITERS[dataset]
    errors: list[tuple[int, str, str, str]] = []
    latest: dict[str, tuple[int, Record]] = {}
    try:
        rows = read_rows(objects.open_stream(ref.bucket, ref.key, ref.version))
        header_line, header = next(rows, (0, []))
        if not header:
            raise RejectedFile("the file is empty: expected a header row")
        try:
            positions = spec.resolve_header(header)
        except ValueError as exc:
            raise RejectedFile(str(exc)) from exc
        for line, values in rows:
            job.rows_read += 1
            record, row_errors = spec.parse_row(values, positions)
            if row_errors:
                errors.extend((line, e.column, e.value, e.reason) for e in row_errors)
                continue
            key = _row_key(record, dataset)
            if key in latest:
                errors.append(
                    (
                        latest[key][0],
                        spec.key_field,
                        str(record[spec.key_field]),
                        f"duplicate of row {line} in this file; the later row was kept",
                    )
                )
            latest[key] = (line, record)
    except (RejectedFile, UnicodeDecodeError, csv.Error) as exc:
        job.status, job.reason = "rejected", _reason(exc)
        job.rows_imported, job.rows_rejected = 0, 0
        jobs.finish(job)
        return job.job_id

    for _line, record in latest.values():
        write(record)
    job.rows_imported = len(latest)
    job.rows_rejected = job.rows_read - len(latest)
    if errors:
        job.errors_key = f"{topology.RESULTS_PREFIX}{job.job_id}/errors.csv"
        objects.put_text(ref.bucket, job.errors_key, error_report(errors))
    job.status = "succeeded"
    jobs.finish(job)
    return job.job_id


def _row_key(record: Record, dataset: str) -> tuple[str, ...]:
    if dataset == "brand_usage":
        return (str(record["customer_id"]), str(record["brand"]))
    return (str(record["customer_id"]),)


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"the file is not UTF-8 text (byte {exc.start}): save it as UTF-8 or declare its encoding"
    if isinstance(exc, csv.Error):
        return f"the file is not valid CSV: {exc}"
    return str(exc)
