"""Import job records: claimed once per object, leased per chunk, committed with a checkpoint.

- :func:`claim` creates the record with a conditional put: the same object (bucket,
  key, ETag) becomes one job however often S3 or SQS deliver its notification.
- :func:`acquire` leases an unfinished job to one worker until a deadline. Only the
  lease holder imports; a duplicate message that finds the lease held does nothing.
  A worker killed mid-chunk simply lets its lease expire; the next delivery resumes.
- :func:`commit` saves the checkpoint (offset, line, counters) and releases the lease
  in one conditional update that also requires the chunk number to be unchanged, so
  a worker whose lease was taken over can never commit a chunk twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from xsell.models import ImportJob

RUNNING, SUCCEEDED, FAILED, REJECTED = "running", "succeeded", "failed", "rejected"
FINISHED = frozenset({SUCCEEDED, REJECTED})  # a failed job resumes when its message comes back


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _condition_failed(exc: PutError | UpdateError) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


def claim(
    job_id: str,
    *,
    partner: str,
    dataset: str,
    key: str,
    version: str | None,
    etag: str | None = None,
    bucket: str | None = None,
) -> ImportJob | None:
    """Create the job record, or return None when this object was already claimed."""
    now = _now()
    job = ImportJob(
        job_id,
        partner=partner,
        dataset=dataset,
        object_bucket=bucket,
        object_key=key,
        object_version=version,
        object_etag=etag,
        status=RUNNING,
        started_at=now,
        updated_at=now,
    )
    try:
        job.save(condition=ImportJob.job_id.does_not_exist())
    except PutError as exc:
        if _condition_failed(exc):
            return None
        raise
    return job


def find(job_id: str) -> ImportJob | None:
    try:
        return ImportJob.get(job_id, consistent_read=True)
    except ImportJob.DoesNotExist:
        return None


def acquire(job_id: str, owner: str, until: float, now: float) -> ImportJob | None:
    """Lease an unfinished job to ``owner`` until ``until`` (epoch seconds).

    Returns the fresh record (its checkpoint is where to start), or None when the
    job is finished or another worker's lease has not expired yet.
    """
    job = ImportJob(job_id)
    try:
        job.update(
            actions=[
                ImportJob.lease_owner.set(owner),
                ImportJob.lease_until.set(until),
                ImportJob.status.set(RUNNING),
                ImportJob.updated_at.set(_now()),
            ],
            condition=ImportJob.job_id.exists()
            & ImportJob.status.is_in(RUNNING, FAILED)
            & (ImportJob.lease_until.does_not_exist() | (ImportJob.lease_until < now)),
        )
    except UpdateError as exc:
        if _condition_failed(exc):
            return None
        raise
    return job


def commit(job: ImportJob, owner: str, changes: dict[str, Any]) -> bool:
    """Save ``changes`` with the next chunk number and release the lease.

    False when this worker no longer holds the lease or the chunk was committed by
    someone else: the work is then discarded (every write it made is idempotent).
    """
    changes = {**changes, "chunks": job.chunks + 1, "updated_at": _now()}
    actions = [
        getattr(ImportJob, name).remove() if value is None else getattr(ImportJob, name).set(value)
        for name, value in changes.items()
    ]
    actions += [ImportJob.lease_owner.remove(), ImportJob.lease_until.remove()]
    try:
        job.update(
            actions=actions,
            condition=(ImportJob.lease_owner == owner) & (ImportJob.chunks == job.chunks),
        )
    except UpdateError as exc:
        if _condition_failed(exc):
            return False
        raise
    return True


def report_progress(job_id: str, owner: str, rows: int, offset: int) -> None:
    """Live progress inside a chunk, for the admin page; ignored once the lease is gone."""
    try:
        ImportJob(job_id).update(
            actions=[
                ImportJob.progress_rows.set(rows),
                ImportJob.progress_offset.set(offset),
                ImportJob.updated_at.set(_now()),
            ],
            condition=ImportJob.lease_owner == owner,
        )
    except UpdateError as exc:
        if not _condition_failed(exc):
            raise


def release(job_id: str, owner: str) -> None:
    """Give the lease back early (the chunk failed): the next delivery may resume at once."""
    try:
        ImportJob(job_id).update(
            actions=[ImportJob.lease_owner.remove(), ImportJob.lease_until.remove()],
            condition=ImportJob.lease_owner == owner,
        )
    except UpdateError as exc:
        if not _condition_failed(exc):
            raise


def mark_failed(job_id: str, reason: str, code: str) -> None:
    """The last delivery failed too: show it on the job (a DLQ redrive resumes it)."""
    try:
        ImportJob(job_id).update(
            actions=[
                ImportJob.status.set(FAILED),
                ImportJob.reason.set(reason),
                ImportJob.reason_code.set(code),
                ImportJob.updated_at.set(_now()),
                ImportJob.lease_owner.remove(),
                ImportJob.lease_until.remove(),
            ],
            condition=ImportJob.job_id.exists() & ImportJob.status.is_in(RUNNING, FAILED),
        )
    except UpdateError as exc:
        if not _condition_failed(exc):
            raise


def finish(job: ImportJob) -> None:
    """Save a job that ends at claim time (an object key that is not an import)."""
    job.finished_at = _now()
    job.updated_at = job.finished_at
    job.save()
