"""Faults: crashes mid-chunk, killed workers, duplicate messages, lost leases, replaced files.

Whatever happens, a finished job has each row counted once, errors.csv lists each
bad or replaced row once, and the table holds each key's last row.
"""

import json
import time
import uuid

import boto3
import pytest

from tests.fixtures.csv import error_lines, redeliver, register, upload
from xsell.dal import import_queue, jobs
from xsell.importing import checkpoints
from xsell.importing.checkpoints import Budget
from xsell.importing.merging import ProfileStore
from xsell.importing.notifications import ObjectRef
from xsell.importing.runner import BUSY, CONTINUES, FINISHED, LOST, Importer
from xsell.models import ImportJob, Profile

DUP = "duplicate of row {} in this file; the later row was kept"
CHUNK = Budget.for_invocation(max_rows=5)


def _file(p: str) -> str:
    rows = [
        "1,a", "2,a", "3,a", "4,a", "5,a",  # chunk 1: lines 2-6
        "1,b", "6,a", "7,a", "6,b", "8,a",  # chunk 2: lines 7-11 (1 repeats line 2, 6 repeats line 8)
        "9,a,abc", "9,a", "3,c",  # chunk 3: lines 12-14 (a bad birth year; 3 repeats line 4)
    ]  # fmt: skip
    lines = ["customer_id,group_rank,birth_year"]
    lines += [f"{p}-{row}" if row.count(",") == 2 else f"{p}-{row}," for row in rows]
    return "\n".join(lines) + "\n"


def _assert_imported_exactly_once(ref, p: str) -> None:
    job = jobs.find(ref.job_id)
    counts = (job.rows_read, job.rows_imported, job.rows_rejected, job.rows_duplicate, job.rows_outdated)
    assert (job.status, counts) == ("succeeded", (13, 9, 1, 3, 0))
    assert error_lines(job) == [
        ["2", "customer_id", f"{p}-1", DUP.format(7)],
        ["8", "customer_id", f"{p}-6", DUP.format(10)],
        ["4", "customer_id", f"{p}-3", DUP.format(14)],
        ["12", "birth_year", "abc", "not a whole number"],
    ]
    ranks = {n: Profile.get(f"{p}-{n}").group_rank for n in range(1, 10)}
    assert ranks == {1: "b", 2: "a", 3: "c", 4: "a", 5: "a", 6: "b", 7: "a", 8: "a", 9: "a"}


class CrashAfter:
    """Our store interface, killed after ``limit`` rows were written (the rest of the batch is lost)."""

    def __init__(self, limit: int) -> None:
        self.real, self.left = ProfileStore(), limit

    def write(self, rows, stamp):
        if len(rows) > self.left:
            self.real.write(rows[: self.left], stamp)
            self.left = 0
            raise RuntimeError("importer killed")
        self.left -= len(rows)
        return self.real.write(rows, stamp)


def _crash_in_chunk_two(ref) -> None:
    # Small batches, one thread: rows 7-8 are written, then row 9, then the crash (row 10 is not).
    crashing = Importer(
        store=CrashAfter(5 + 2 + 1), threads=1, batch_rows=2, request_next_chunk=lambda *_: None
    )
    assert crashing.import_object(ref, CHUNK).state == CONTINUES
    with pytest.raises(RuntimeError, match="importer killed"):
        crashing.run(ref.job_id, CHUNK)
    job = jobs.find(ref.job_id)
    assert (job.chunks, job.rows_read, job.status) == (1, 5, "running")  # the checkpoint of chunk 1


def _finish(ref, importer: Importer) -> None:
    while (step := importer.run(ref.job_id, CHUNK)).state == CONTINUES:
        pass
    assert step.state == FINISHED


def test_a_crash_after_some_rows_then_a_rerun_loses_and_doubles_nothing(local_system):
    p = uuid.uuid4().hex[:8]
    ref = upload(local_system, "profiles", _file(p))
    _crash_in_chunk_two(ref)
    assert jobs.find(ref.job_id).lease_owner is None  # a failing chunk gives its lease back
    _finish(ref, Importer(request_next_chunk=lambda *_: None))
    _assert_imported_exactly_once(ref, p)


def test_a_killed_worker_blocks_its_job_until_its_lease_expires(local_system, monkeypatch):
    p = uuid.uuid4().hex[:8]
    ref = upload(local_system, "profiles", _file(p))
    monkeypatch.setattr(jobs, "release", lambda *_: None)  # killed: nothing runs after the crash
    _crash_in_chunk_two(ref)
    monkeypatch.undo()

    assert Importer().run(ref.job_id, CHUNK).state == BUSY  # a duplicate delivery meanwhile
    later = Importer(clock=lambda: time.time() + CHUNK.lease_seconds + 1, request_next_chunk=lambda *_: None)
    _finish(ref, later)
    _assert_imported_exactly_once(ref, p)


def test_duplicate_notifications_and_continuations_change_nothing_twice(local_system, monkeypatch):
    monkeypatch.setattr(checkpoints, "MAX_ROWS_PER_CHUNK", 5)

    send = import_queue.send_continuation

    def continue_twice(job_id: str, chunk: int) -> None:
        send(job_id, chunk)
        send(job_id, chunk)

    monkeypatch.setattr(import_queue, "send_continuation", continue_twice)
    p = uuid.uuid4().hex[:8]
    ref = upload(local_system, "profiles", _file(p))
    redeliver(local_system, ref, copies=2)
    local_system.dispatcher.drain()

    assert jobs.find(ref.job_id).chunks == 3
    _assert_imported_exactly_once(ref, p)


def test_a_job_leased_by_another_worker_is_left_alone(local_system):
    p = uuid.uuid4().hex[:8]
    ref = upload(local_system, "profiles", _file(p))
    jobs.claim(ref.job_id, partner="x", dataset="profiles", key=ref.key, version=None, bucket=ref.bucket)
    assert jobs.acquire(ref.job_id, "someone-else", until=time.time() + 60, now=time.time())
    assert Importer().import_object(ref, CHUNK).state == BUSY
    assert not Profile.count(f"{p}-1")
    jobs.release(ref.job_id, "someone-else")


def test_a_worker_that_lost_its_lease_commits_nothing(local_system):
    p = uuid.uuid4().hex[:8]
    ref = upload(local_system, "profiles", _file(p))

    class Thief(ProfileStore):
        def write(self, rows, stamp):
            # While this worker writes, its lease expires and another worker takes the job.
            ImportJob(ref.job_id).update(actions=[ImportJob.lease_owner.set("thief")])
            return super().write(rows, stamp)

    assert Importer(store=Thief()).import_object(ref, CHUNK).state == LOST
    job = jobs.find(ref.job_id)
    assert (job.chunks, job.rows_read) == (0, 0)
    jobs.release(ref.job_id, "thief")
    _finish(ref, Importer(request_next_chunk=lambda *_: None))
    _assert_imported_exactly_once(ref, p)


def test_the_last_failed_attempt_marks_the_job_failed_and_a_redrive_resumes_it(local_system):
    p = uuid.uuid4().hex[:8]
    ref = upload(local_system, "profiles", _file(p))
    body = json.dumps({"Records": [{"eventName": "ObjectCreated:Put", "s3": {
        "bucket": {"name": ref.bucket}, "object": {"key": ref.key, "eTag": ref.etag}}}]})  # fmt: skip

    class Down:
        def write(self, rows, stamp):
            raise ConnectionError("DynamoDB is unreachable")

    with pytest.raises(ConnectionError):
        Importer(store=Down()).handle(body, CHUNK, final_attempt=True)
    job = jobs.find(ref.job_id)
    assert (job.status, job.reason_code) == ("failed", "error")
    assert job.reason == "the import failed repeatedly: ConnectionError: DynamoDB is unreachable"

    importer = Importer(request_next_chunk=lambda *_: None)
    assert importer.handle(body, CHUNK)[0].state == CONTINUES  # the message back from the DLQ
    _finish(ref, importer)
    _assert_imported_exactly_once(ref, p)


def test_a_file_replaced_during_its_import_is_still_read_as_announced(local_system):
    p = uuid.uuid4().hex[:8]
    ref = upload(local_system, "profiles", _file(p))
    importer = Importer(request_next_chunk=lambda *_: None)
    assert importer.import_object(ref, CHUNK).state == CONTINUES
    replacement = upload(local_system, "profiles", f"customer_id\n{p}-new\n", key=ref.key)
    # Every chunk reads the version the job started with, so the job is unaffected ...
    _finish(ref, importer)
    _assert_imported_exactly_once(ref, p)
    # ... and the new content is a job of its own.
    assert replacement.job_id != ref.job_id
    local_system.dispatcher.drain()
    assert jobs.find(replacement.job_id).rows_imported == 1


def test_a_file_deleted_during_its_import_fails_the_job_with_a_reason(local_system):
    p = uuid.uuid4().hex[:8]
    ref = upload(local_system, "profiles", _file(p))
    importer = Importer(request_next_chunk=lambda *_: None)
    assert importer.import_object(ref, CHUNK).state == CONTINUES
    boto3.client("s3").delete_object(Bucket=ref.bucket, Key=ref.key, VersionId=ref.version)
    assert importer.run(ref.job_id, CHUNK).state == FINISHED

    job = jobs.find(ref.job_id)
    assert (job.status, job.reason_code, job.rows_read) == ("failed", "object_gone", 5)
    assert job.reason == f"s3://{ref.bucket}/{ref.key} no longer exists"


def test_a_file_overwritten_in_an_unversioned_bucket_fails_its_job_and_the_new_content_imports(local_system):
    # Without versioning, a later chunk cannot read the bytes the job started with: the ETag
    # condition on its ranged GET shows the key now holds other content.
    bucket = f"xsell-unversioned-{uuid.uuid4().hex[:8]}"
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": s3.meta.region_name})
    p = uuid.uuid4().hex[:8]
    key = f"incoming/{register(f'p-{p}')}/profiles/daily.csv"
    first = s3.put_object(Bucket=bucket, Key=key, Body=_file(p).encode())
    ref = ObjectRef(bucket, key, first["ETag"], first.get("VersionId"))
    assert ref.version is None
    importer = Importer(request_next_chunk=lambda *_: None)
    assert importer.import_object(ref, CHUNK).state == CONTINUES

    second = s3.put_object(Bucket=bucket, Key=key, Body=f"customer_id,group_rank\n{p}-1,new\n".encode())
    assert importer.run(ref.job_id, CHUNK).state == FINISHED
    job = jobs.find(ref.job_id)
    assert (job.status, job.reason_code, job.rows_read, job.rows_imported) == (
        "failed",
        "object_replaced",
        5,
        5,
    )
    assert job.reason == (
        f"s3://{bucket}/{key} was replaced by another upload; the new content is imported as a job of its own"
    )

    replacement = ObjectRef(bucket, key, second["ETag"])
    assert replacement.job_id != ref.job_id
    assert importer.import_object(replacement, CHUNK).state == FINISHED
    assert jobs.find(replacement.job_id).rows_imported == 1
    assert Profile.get(f"{p}-1").group_rank == "new"
