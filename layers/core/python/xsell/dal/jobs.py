"""Import job records: claimed once per object, leased per chunk, committed with a checkpoint.

- :func:`claim` creates the record with a conditional put: the same object (bucket,
  key, ETag) becomes one job however often S3 or SQS deliver its notification.
- :func:`acquire` leases an unfinished job to one worker until a deadline. Only the
  lease holder imports; a duplicate message that finds the lease held does nothing.
  A worker killed mid-chunk simply lets its lease expire; the next delivery resumes.
- :func:`commit` saves the checkpoint (offset, line, counters) and releases the lease
  in one conditional update that also requires the chunk number to be unchanged, so
  a worker whose lease was taken over can never commit a chunk twice.
- :class:`WriterLease` serialises imports over the profiles table: one lease item in the
  jobs table names the one chunk that may write profile items, until an expiry it renews
  as it writes. With a single writer, reading an item, merging rows into it and putting it
  back is exact (:mod:`xsell.importing.merging`). The holder stops writing
  ``WRITER_SAFETY_SECONDS`` before the stored expiry, by its own monotonic clock measured
  from before the request that set it, so that a write it sent (one attempt of at most
  ``xsell.dal.profiles.REQUEST_SECONDS``) has landed before anyone else may take over,
  even with some clock skew between workers.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from xsell.errors import XsellError
from xsell.models import ImportJob
from xsell.models.jobs import ProfilesWriterLease

RUNNING, SUCCEEDED, FAILED, REJECTED = "running", "succeeded", "failed", "rejected"
FINISHED = frozenset({SUCCEEDED, REJECTED})  # a failed job resumes when its message comes back


WRITER_LEASE_ID = "writer#profiles"  # the key of the lease item in the jobs table
WRITER_LEASE_SECONDS = 120.0  # stored expiry: how long others wait for a writer that died
WRITER_SAFETY_SECONDS = 45.0  # writes stop this long before the stored expiry
WRITER_RENEW_SECONDS = 45.0  # renew once fewer seconds than this are left to write


class WriterLeaseLost(XsellError):
    """This chunk no longer holds the profiles writer lease: it must not write another item."""


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


class WriterLease:
    """One chunk's hold on the profiles writer lease.

    :meth:`acquire` once before writing; :meth:`check` before every request that reads or
    writes profiles (cheap: a clock read, and a conditional renewal every half minute or so);
    :meth:`release` when the chunk's writes are done or abandoned. ``owner`` is the owner
    of the job's own lease, so a job's chunk holds both under one name.
    """

    def __init__(
        self,
        owner: str,
        job_id: str,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        seconds: float = WRITER_LEASE_SECONDS,
    ) -> None:
        self.owner, self.job_id = owner, job_id
        self._clock, self._monotonic, self._seconds = clock, monotonic, seconds
        self._writable_until = -math.inf  # monotonic time after which this chunk must not write
        self._held = False
        self._lock = threading.Lock()

    def acquire(self) -> bool:
        """Take the lease if it is free, expired or already ours; False when another holds it."""
        started, now = self._monotonic(), self._clock()
        try:
            ProfilesWriterLease(WRITER_LEASE_ID).update(
                actions=[
                    ProfilesWriterLease.lease_owner.set(self.owner),
                    ProfilesWriterLease.lease_until.set(now + self._seconds),
                    ProfilesWriterLease.holder_job.set(self.job_id),
                    ProfilesWriterLease.updated_at.set(_now()),
                ],
                condition=ProfilesWriterLease.lease_until.does_not_exist()
                | (ProfilesWriterLease.lease_until < now)
                | (ProfilesWriterLease.lease_owner == self.owner),
            )
        except UpdateError as exc:
            if _condition_failed(exc):
                return False
            raise
        self._writable_until = started + self._seconds - WRITER_SAFETY_SECONDS
        self._held = True
        return True

    def check(self) -> None:
        """Return if this chunk may send a write now (renewing the lease when it is due);
        raise :class:`WriterLeaseLost` if it may not."""
        if self._monotonic() < self._writable_until - WRITER_RENEW_SECONDS:
            return
        with self._lock:
            if self._monotonic() >= self._writable_until - WRITER_RENEW_SECONDS:
                self._renew()

    def _renew(self) -> None:
        started, now = self._monotonic(), self._clock()
        try:
            ProfilesWriterLease(WRITER_LEASE_ID).update(
                actions=[
                    ProfilesWriterLease.lease_until.set(now + self._seconds),
                    ProfilesWriterLease.updated_at.set(_now()),
                ],
                # Ours even if it expired meanwhile: nobody else took it, so nobody else wrote.
                condition=ProfilesWriterLease.lease_owner == self.owner,
            )
        except UpdateError as exc:
            if _condition_failed(exc):
                self._writable_until = -math.inf
                raise WriterLeaseLost(f"import {self.job_id} lost the profiles writer lease") from exc
            if self._monotonic() < self._writable_until:
                return  # a renewal that did not get through is tried again at the next check
            raise WriterLeaseLost(f"import {self.job_id} could not renew the profiles writer lease") from exc
        self._writable_until = started + self._seconds - WRITER_SAFETY_SECONDS

    def release(self) -> None:
        """Let the next import write (nothing happens if the lease is no longer ours)."""
        self._writable_until = -math.inf
        if not self._held:
            return
        self._held = False
        try:
            ProfilesWriterLease(WRITER_LEASE_ID).update(
                actions=[
                    ProfilesWriterLease.lease_owner.remove(),
                    ProfilesWriterLease.lease_until.remove(),
                    ProfilesWriterLease.holder_job.remove(),
                    ProfilesWriterLease.updated_at.set(_now()),
                ],
                condition=ProfilesWriterLease.lease_owner == self.owner,
            )
        except UpdateError as exc:
            if not _condition_failed(exc):
                raise


def writer_lease_holder() -> tuple[str | None, float | None]:
    """(job id, expiry) of the current holder of the profiles writer lease, for operators and tests."""
    try:
        item = ProfilesWriterLease.get(WRITER_LEASE_ID, consistent_read=True)
    except ProfilesWriterLease.DoesNotExist:
        return None, None
    return item.holder_job, item.lease_until
