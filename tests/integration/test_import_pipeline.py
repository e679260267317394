"""A partner CSV travels drop bucket -> notification -> dispatcher -> importer -> tables."""

import csv
import io
import uuid

import boto3

from xsell.dal import jobs
from xsell.importing.runner import ObjectRef
from xsell.models import Profile


def upload(system, dataset: str, text: str, encoding: str = "utf-8", key: str | None = None) -> ObjectRef:
    key = key or f"incoming/test-{uuid.uuid4().hex[:8]}/{dataset}/file.csv"
    put = boto3.client("s3").put_object(
        Bucket=system.resources.drop_bucket, Key=key, Body=text.encode(encoding)
    )
    return ObjectRef(system.resources.drop_bucket, key, put["ETag"], put.get("VersionId"))


def test_good_rows_are_imported_and_bad_rows_reported(local_system):
    prefix = uuid.uuid4().hex[:6]
    text = (
        "\ufeff顧客ID,グループランク,生年,都道府県\r\n"
        f"{prefix}-1,gold,1980,東京都\r\n"
        f"{prefix}-2,silver,nineteen,大阪府\r\n"
        f'{prefix}-3,bronze,1990,"京都\r\n府"\r\n'
        "=cmd|' /C calc'!A0,gold,1970,北海道\r\n"
    )
    ref = upload(local_system, "profiles", text)
    local_system.dispatcher.drain()

    job = jobs.find(ref.job_id)
    assert job is not None
    assert (job.status, job.rows_read, job.rows_imported, job.rows_rejected) == ("succeeded", 4, 2, 2)
    assert Profile.get(f"{prefix}-1").group_rank == "gold"
    assert Profile.get(f"{prefix}-3").attributes.as_dict()["prefecture"] == "京都\r\n府"

    report = boto3.client("s3").get_object(Bucket=ref.bucket, Key=job.errors_key)["Body"].read().decode()
    rows = list(csv.reader(io.StringIO(report)))
    assert rows[0] == ["row", "column", "value", "reason"]
    assert rows[1] == ["3", "birth_year", "nineteen", "not a whole number"]
    assert rows[2][1] == "customer_id" and rows[2][2].startswith("'=cmd")


def test_brand_usage_merges_without_erasing_other_brands(local_system):
    cid = f"m-{uuid.uuid4().hex[:8]}"
    upload(local_system, "profiles", f"customer_id,group_rank\n{cid},gold\n")
    upload(local_system, "brand_usage", f"customer_id,brand,ltv\n{cid},hana,1000\n")
    upload(local_system, "brand_usage", f"customer_id,brand,ltv\n{cid},tabi,2000\n")
    local_system.dispatcher.drain()
    upload(local_system, "profiles", f"customer_id,group_rank\n{cid},platinum\n")
    local_system.dispatcher.drain()

    profile = Profile.get(cid)
    brands = profile.brands.as_dict()
    assert profile.group_rank == "platinum"
    assert {b: (u["used"], u["ltv"]) for b, u in brands.items()} == {"hana": (1, 1000), "tabi": (1, 2000)}


def test_missing_required_column_rejects_the_whole_file(local_system):
    ref = upload(local_system, "profiles", "name,rank\nTaro,gold\n")
    local_system.dispatcher.drain()
    job = jobs.find(ref.job_id)
    assert (job.status, job.rows_imported) == ("rejected", 0)
    assert job.reason == "missing required column(s): customer_id"


def test_cp932_file_is_rejected_with_a_clear_reason_until_encodings_are_configurable(local_system):
    ref = upload(local_system, "profiles", "顧客ID\nC1\n", encoding="cp932")
    local_system.dispatcher.drain()
    job = jobs.find(ref.job_id)
    assert job.status == "rejected" and "not UTF-8" in job.reason


def test_empty_file_and_unknown_dataset_are_rejected(local_system):
    empty = upload(local_system, "profiles", "")
    unknown = upload(local_system, "orders", "customer_id\nC1\n")
    local_system.dispatcher.drain()
    assert jobs.find(empty.job_id).reason == "the file is empty: expected a header row"
    assert "unknown dataset 'orders'" in jobs.find(unknown.job_id).reason


def test_redelivered_notification_imports_once(local_system):
    cid = f"d-{uuid.uuid4().hex[:8]}"
    ref = upload(local_system, "profiles", f"customer_id,group_rank\n{cid},gold\n")
    sqs = boto3.client("sqs")
    queue = local_system.resources.import_queue_url
    [message] = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1)["Messages"]
    # S3 delivers at least once: send the same notification again, then drain both.
    sqs.send_message(QueueUrl=queue, MessageBody=message["Body"])
    sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    local_system.dispatcher.drain()

    job = jobs.find(ref.job_id)
    assert job.rows_imported == 1
    # The second delivery found the job claimed and wrote nothing: updated_at is the first write's.
    first_write = Profile.get(cid).updated_at
    again = upload(
        local_system, "profiles", f"customer_id,group_rank\n{cid},gold\n", key=ref.key
    )  # identical
    local_system.dispatcher.drain()
    assert again.job_id == ref.job_id
    assert Profile.get(cid).updated_at == first_write
