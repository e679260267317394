"""Long files in chunks: checkpoints on the job, follow-up messages, duplicates across chunks."""

import uuid

from tests.fixtures.csv import error_lines, upload
from xsell.dal import jobs
from xsell.importing import checkpoints
from xsell.importing.checkpoints import Budget
from xsell.importing.runner import CONTINUES, FINISHED, Importer
from xsell.models import Profile

DUP = "duplicate of row {} in this file; the later row was kept"


def _file(p: str) -> bytes:
    """40 data rows: ASCII first (the encoding is only known at row 13), then Shift_JIS text,
    a quoted value over two lines, a bad row, and customer 1 repeated in a later chunk."""
    lines = ["customer_id,group_rank,prefecture"]
    lines += [f"{p}-{n},r{n}," for n in range(1, 12)]
    lines += [f"{p}-12,ゴールド,大阪府", f'{p}-13,"二行\r\nランク",東京都', f"{p}-14,x,not-a-prefecture"]
    lines += [f"{p}-{n},r{n},13" for n in range(15, 39)]
    lines += [f"{p}-1,last,沖縄", f"{p}-39,r39,"]
    return ("\r\n".join(lines) + "\r\n").encode("cp932")


def test_a_file_imports_in_chunks_through_follow_up_messages(local_system, monkeypatch):
    monkeypatch.setattr(checkpoints, "MAX_ROWS_PER_CHUNK", 7)
    p = uuid.uuid4().hex[:8]
    data = _file(p)
    ref = upload(local_system, "profiles", data)
    local_system.dispatcher.drain()

    job = jobs.find(ref.job_id)
    counts = (job.rows_read, job.rows_imported, job.rows_rejected, job.rows_duplicate)
    assert (job.status, job.chunks, counts) == ("succeeded", 6, (40, 38, 1, 1))
    assert (job.offset, job.object_size, job.encoding) == (len(data), len(data), "cp932")
    assert job.lease_owner is None and job.progress_rows is None
    assert Profile.get(f"{p}-1").group_rank == "last"
    assert Profile.get(f"{p}-13").group_rank == "二行\r\nランク"
    assert error_lines(job) == [
        [
            "16",
            "prefecture",
            "not-a-prefecture",
            "not a prefecture (expected e.g. 東京都, 東京 or its code 13)",
        ],
        ["2", "customer_id", f"{p}-1", DUP.format(41)],
    ]


def test_each_chunk_commits_a_checkpoint_that_the_next_one_resumes_from(local_system):
    p = uuid.uuid4().hex[:8]
    ref = upload(local_system, "profiles", _file(p))
    requested: list[tuple[str, int]] = []
    importer = Importer(request_next_chunk=lambda job_id, chunk: requested.append((job_id, chunk)))
    budget = Budget.for_invocation(max_rows=11)

    assert importer.import_object(ref, budget).state == CONTINUES
    job = jobs.find(ref.job_id)
    # 11 rows read, all ASCII so far: the encoding is still undecided.
    assert (job.status, job.chunks, job.rows_read, job.next_line, job.encoding) == (
        "running",
        1,
        11,
        13,
        "auto",
    )
    assert job.offset == len(b"\r\n".join(_file(p).split(b"\r\n")[:12])) + 2
    assert requested == [(ref.job_id, 1)]

    assert importer.run(ref.job_id, budget).state == CONTINUES
    assert jobs.find(ref.job_id).encoding == "cp932"
    assert importer.run(ref.job_id, budget).state == CONTINUES
    assert importer.run(ref.job_id, budget).state == FINISHED
    job = jobs.find(ref.job_id)
    assert (job.status, job.chunks, job.rows_imported, job.rows_duplicate) == ("succeeded", 4, 38, 1)
    assert importer.run(ref.job_id, budget).state == "already-done"
    local_system.dispatcher.drain()  # the notification finds the job done
    assert jobs.find(ref.job_id).chunks == 4
