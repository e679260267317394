"""One writer at a time over profiles: waiting jobs, expired leases, lost leases, concurrent files.

Imports read, merge and put whole profile items, which is exact only while nobody else
writes between the read and the put: the profiles writer lease makes sure of that.
"""

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from tests.fixtures.csv import imported_profile, upload
from xsell.dal import jobs
from xsell.dal.jobs import WriterLease, WriterLeaseLost
from xsell.importing import runner
from xsell.importing.checkpoints import Budget
from xsell.importing.merging import ProfileStore
from xsell.importing.runner import CONTINUES, FINISHED, WAITING, Importer
from xsell.models import Profile
from xsell.models.jobs import ProfilesWriterLease

CHUNK = Budget.for_invocation(max_rows=5)


def _id() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture
def other_writer(aws) -> Iterator[WriterLease]:
    """Another import, holding the profiles writer lease for the test (given back after it)."""
    lease = WriterLease(f"other-{_id()}", "another-job")
    assert lease.acquire()
    yield lease
    lease.release()


def _profiles_file(p: str, rows: int = 3, rank: str = "gold") -> str:
    return "customer_id,group_rank\n" + "".join(f"{p}-{n},{rank}\n" for n in range(1, rows + 1))


def test_a_job_that_finds_the_writer_busy_writes_nothing_and_runs_when_asked_again(
    local_system, other_writer
):
    p = _id()
    ref = upload(local_system, "profiles", _profiles_file(p))
    asked: list[tuple[str, int]] = []
    importer = Importer(request_later=lambda job_id, chunk: asked.append((job_id, chunk)))

    assert importer.import_object(ref).state == WAITING
    assert asked == [(ref.job_id, 0)]
    job = jobs.find(ref.job_id)
    assert (job.status, job.chunks, job.rows_read, job.lease_owner) == ("running", 0, 0, None)
    assert imported_profile(f"{p}-1") is None
    assert jobs.writer_lease_holder()[0] == "another-job"

    other_writer.release()
    assert importer.run(ref.job_id, Budget.for_invocation()).state == FINISHED
    assert jobs.find(ref.job_id).rows_imported == 3 and imported_profile(f"{p}-1").group_rank == "gold"
    assert jobs.writer_lease_holder() == (None, None)  # given back when the writes were done


def test_waiting_acknowledges_the_message_and_a_delayed_continuation_brings_the_job_back(
    local_system, other_writer, monkeypatch
):
    monkeypatch.setattr(runner, "WAIT_SECONDS", 2)
    p = _id()
    ref = upload(local_system, "profiles", _profiles_file(p))
    local_system.dispatcher.drain()  # the notification: the writer is busy

    sqs, queue = boto3.client("sqs"), local_system.resources.import_queue_url
    counts = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    # Not kept in flight for the visibility timeout: acknowledged, and asked again later.
    assert (
        counts["ApproximateNumberOfMessagesNotVisible"],
        counts["ApproximateNumberOfMessagesDelayed"],
    ) == (
        "0",
        "1",
    )
    assert jobs.find(ref.job_id).rows_read == 0

    other_writer.release()
    time.sleep(2.5)
    local_system.dispatcher.drain()  # the continuation, received for the first time
    job = jobs.find(ref.job_id)
    assert (job.status, job.rows_imported) == ("succeeded", 3)


def test_an_expired_writer_lease_lets_the_next_import_in_and_its_holder_can_no_longer_write(local_system):
    p = _id()
    ref = upload(local_system, "profiles", _profiles_file(p))
    moments = [time.monotonic()]
    dead = WriterLease("dead-worker", "a-job-that-died", monotonic=lambda: moments[0])
    assert dead.acquire()
    dead.check()  # it may write now

    assert Importer(request_later=lambda *_: None).import_object(ref).state == WAITING
    much_later = time.time() + jobs.WRITER_LEASE_SECONDS + 1
    assert Importer(clock=lambda: much_later).run(ref.job_id, Budget.for_invocation()).state == FINISHED
    assert imported_profile(f"{p}-1").group_rank == "gold"

    moments[0] += jobs.WRITER_LEASE_SECONDS - jobs.WRITER_SAFETY_SECONDS  # its own clock moved on
    with pytest.raises(WriterLeaseLost, match="lost the profiles writer lease"):
        dead.check()


def test_a_chunk_that_loses_the_writer_lease_stops_writing_and_asks_again(local_system):
    p = _id()
    ref = upload(local_system, "profiles", _profiles_file(p, rows=12))
    offset = [0.0]
    thief = WriterLease("thief", "another-job")

    class StolenDuringTheSecondBatch(ProfileStore):
        batches = 0

        def write(self, rows, stamp):
            self.batches += 1
            if self.batches == 2:
                # This worker stalls past its lease; another import takes the lease over.
                lease = ProfilesWriterLease(jobs.WRITER_LEASE_ID)
                lease.update(actions=[ProfilesWriterLease.lease_until.set(0)])
                assert thief.acquire()
                offset[0] += jobs.WRITER_LEASE_SECONDS
            return super().write(rows, stamp)

    asked: list[tuple[str, int]] = []
    stalling = Importer(
        store=StolenDuringTheSecondBatch(),
        monotonic=lambda: time.monotonic() + offset[0],
        request_later=lambda job_id, chunk: asked.append((job_id, chunk)),
        threads=1,
        batch_rows=4,
    )
    assert stalling.import_object(ref).state == WAITING
    assert asked == [(ref.job_id, 0)]
    assert [imported_profile(f"{p}-{n}") is not None for n in range(1, 13)] == [True] * 4 + [False] * 8
    job = jobs.find(ref.job_id)
    assert (job.chunks, job.rows_read, job.lease_owner) == (0, 0, None)  # nothing committed

    thief.release()
    assert Importer().run(ref.job_id, Budget.for_invocation()).state == FINISHED
    job = jobs.find(ref.job_id)
    assert (job.rows_read, job.rows_imported, job.rows_duplicate) == (12, 12, 0)  # the replay counts once


class _Slow(ProfileStore):
    """Writes take a while, so that imports started together really overlap."""

    def write(self, rows, stamp):
        time.sleep(0.02)
        return super().write(rows, stamp)


def _import_until_done(ref, waits: list[str]) -> None:
    """What the queue does for one file: deliver it, and deliver each delayed continuation."""
    importer = Importer(store=_Slow(), request_later=lambda *_: None, request_next_chunk=lambda *_: None)
    step = importer.import_object(ref, CHUNK)
    while step.state != FINISHED:
        if step.state == WAITING:
            waits.append(ref.key)
            time.sleep(0.05)  # the continuation's delay, shortened
        step = importer.run(ref.job_id, CHUNK)
        assert step.state in (WAITING, CONTINUES, FINISHED), step


def test_files_for_the_same_customers_imported_at_the_same_time_lose_no_update(local_system):
    p, customers = _id(), 12
    partner = f"c-{_id()}"
    files = [
        upload(local_system, "profiles", _profiles_file(p, customers, "gold"), partner=partner),
        *(
            upload(
                local_system,
                "brand_usage",
                "customer_id,brand,ltv\n"
                + "".join(f"{p}-{n},{brand},{n}\n" for n in range(1, customers + 1)),
            )
            for brand in ("hana", "tabi", "umi")
        ),
        upload(
            local_system,
            "optouts",
            "customer_id,brand\n" + "".join(f"{p}-{n},umi\n" for n in range(1, customers + 1)),
        ),
    ]
    waits: list[str] = []
    with ThreadPoolExecutor(len(files)) as pool:
        for done in [pool.submit(_import_until_done, ref, waits) for ref in files]:
            done.result(timeout=120)
    assert waits, "the imports did not overlap"
    for ref in files:
        job = jobs.find(ref.job_id)
        assert (job.status, job.rows_imported) == ("succeeded", customers)
    for n in range(1, customers + 1):
        profile = Profile.get(f"{p}-{n}")
        usage = {brand: u["ltv"] for brand, u in profile.brands.as_dict().items()}
        assert (profile.group_rank, usage, profile.optouts) == (
            "gold",
            dict.fromkeys(("hana", "tabi", "umi"), n),
            {"umi"},
        )
    local_system.dispatcher.drain()  # the notifications of these files find their jobs done
