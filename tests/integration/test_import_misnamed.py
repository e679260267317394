"""A file dropped under incoming/ with another suffix, or outside incoming/<partner>/<dataset>/,
gets a rejected job that says why (through the bucket notification, as in AWS); .CSV is .csv."""

from __future__ import annotations

import uuid

import pytest

from tests.fixtures.csv import upload
from xsell.dal import jobs
from xsell.models import Profile

CSV = "customer_id,birth_year\r\n{p}-1,1980\r\n"


def _partner() -> str:
    return f"m-{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("members.txt", "file name 'members.txt' does not end in .csv: only CSV files are imported"),
        ("members.tsv", "file name 'members.tsv' does not end in .csv"),
        (
            "sub/members.csv",
            "is not incoming/<partner>/<dataset>/<file>.csv: files elsewhere are not imported",
        ),
    ],
)
def test_a_misnamed_file_gets_a_rejected_job_with_the_reason(local_system, name, reason):
    partner = _partner()
    ref = upload(local_system, "profiles", CSV.format(p=partner), key=f"incoming/{partner}/profiles/{name}")
    local_system.dispatcher.drain()
    job = jobs.find(ref.job_id)
    assert job is not None, f"no job for {ref.key}"
    assert (job.status, job.reason_code, job.partner) == ("rejected", "bad_key", partner)
    assert reason in job.reason


def test_a_file_right_under_incoming_gets_a_rejected_job(local_system):
    ref = upload(local_system, "profiles", "x", key=f"incoming/{_partner()}.csv")
    local_system.dispatcher.drain()
    job = jobs.find(ref.job_id)
    assert job is not None and job.status == "rejected"
    assert "is not incoming/<partner>/<dataset>/<file>.csv" in job.reason


def test_an_upper_case_csv_suffix_is_imported(local_system):
    partner = _partner()
    ref = upload(
        local_system, "profiles", CSV.format(p=partner), key=f"incoming/{partner}/profiles/MEMBERS.CSV"
    )
    local_system.dispatcher.drain()
    job = jobs.find(ref.job_id)
    assert (job.status, job.rows_imported) == ("succeeded", 1)
    assert Profile.get(f"{partner}-1").attributes.as_dict() == {"birth_year": 1980}
