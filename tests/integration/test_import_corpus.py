"""Every file of the bad-file corpus, through the local pipeline, with its exact outcome."""

import uuid

import pytest

from tests.fixtures.csv import CORPUS, corpus_file, error_lines, ten_megabyte_field, upload
from xsell.dal import jobs
from xsell.models import Profile


def _counts(job) -> tuple[int, int, int, int, int]:
    return (job.rows_read, job.rows_imported, job.rows_rejected, job.rows_duplicate, job.rows_outdated)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_corpus_file_gets_exactly_its_expected_outcome(local_system, name):
    expected = CORPUS[name]
    prefix = uuid.uuid4().hex[:8]
    ref = upload(local_system, expected.dataset, corpus_file(name, prefix))
    local_system.dispatcher.drain()

    job = jobs.find(ref.job_id)
    assert (job.status, _counts(job), job.reason) == (expected.status, expected.counts, expected.reason)
    want = [[cell.replace("{p}", prefix) for cell in line] for line in expected.errors]
    assert error_lines(job) == want
    # Invariant of every finished job.
    assert job.rows_read == job.rows_imported + job.rows_rejected + job.rows_duplicate + job.rows_outdated
    if expected.status == "rejected":
        assert not Profile.count(f"{prefix}-1")


def test_a_ten_megabyte_field_is_one_bad_row_and_the_rows_around_it_import(local_system):
    prefix = uuid.uuid4().hex[:8]
    ref = upload(local_system, "profiles", ten_megabyte_field(prefix))
    local_system.dispatcher.drain()

    job = jobs.find(ref.job_id)
    assert (job.status, _counts(job)) == ("succeeded", (3, 2, 1, 0, 0))
    assert error_lines(job) == [["3", "", "", "line 3 is longer than 1048576 bytes"]]
    assert Profile.get(f"{prefix}-3").group_rank == "silver"


def test_duplicates_in_the_last_rows_of_a_file_are_reported_against_the_kept_row(local_system):
    prefix = uuid.uuid4().hex[:8]
    ref = upload(local_system, "profiles", corpus_file("duplicate_ids.csv", prefix))
    local_system.dispatcher.drain()
    assert Profile.get(f"{prefix}-1").group_rank == "platinum"  # the last row wins
    assert jobs.find(ref.job_id).errors_listed == 2
