"""Import job records: a conditional claim makes each object version import once."""

from __future__ import annotations

import datetime as dt

from pynamodb.exceptions import PutError

from xsell.models import ImportJob


def claim(job_id: str, *, partner: str, dataset: str, key: str, version: str | None) -> ImportJob | None:
    """Create the job record, or return None when this object version was already claimed."""
    job = ImportJob(
        job_id,
        partner=partner,
        dataset=dataset,
        object_key=key,
        object_version=version,
        status="running",
        started_at=dt.datetime.now(dt.UTC),
    )
    try:
        job.save(condition=ImportJob.job_id.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return job


def finish(job: ImportJob) -> None:
    job.finished_at = dt.datetime.now(dt.UTC)
    elapsed = (job.finished_at - job.started_at).total_seconds()
    job.rows_per_second = round(job.rows_imported / elapsed, 1) if elapsed > 0 else None
    job.save()


def find(job_id: str) -> ImportJob | None:
    try:
        return ImportJob.get(job_id)
    except ImportJob.DoesNotExist:
        return None
