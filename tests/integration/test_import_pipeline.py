"""A partner CSV travels drop bucket -> notification -> dispatcher -> importer -> tables + errors.csv."""

import datetime as dt
import time
import uuid

import boto3

from tests import configs
from tests.fixtures.csv import error_lines, imported_profile, redeliver, upload
from xsell.dal import customers, jobs
from xsell.importing.notifications import ObjectRef, object_refs
from xsell.importing.runner import Importer
from xsell.models import Profile


def _id() -> str:
    return uuid.uuid4().hex[:8]


def test_good_rows_are_imported_and_bad_rows_reported(local_system):
    p = _id()
    text = (
        "\ufeff顧客ID,グループランク,生年,都道府県,メモ\r\n"
        f"{p}-1,gold,1980,東京都,x\r\n"
        f"{p}-2,silver,nineteen,大阪府,y\r\n"
        f'{p}-3,bronze,１９９０,京都,"複数\r\n行のメモ"\r\n'
        "=cmd|' /C calc'!A0,gold,1970,北海道,z\r\n"
    )
    ref = upload(local_system, "profiles", text)
    local_system.dispatcher.drain()

    job = jobs.find(ref.job_id)
    assert (job.status, job.rows_read, job.rows_imported, job.rows_rejected) == ("succeeded", 4, 2, 2)
    assert (job.encoding, job.offset, job.object_size, job.chunks) == (
        "utf-8",
        len(text.encode()),
        len(text.encode()),
        1,
    )
    assert job.as_of.endswith("Z") and job.rows_per_second > 0 and job.finished_at is not None
    assert Profile.get(f"{p}-1").group_rank == "gold"
    # Full-width digits are read as numbers; 京都 is the prefecture 京都府.
    assert Profile.get(f"{p}-3").attributes.as_dict() == {"birth_year": 1990, "prefecture": "京都府"}
    assert error_lines(job) == [
        ["3", "生年", "nineteen", "not a whole number"],
        ["6", "顧客ID", "'=cmd|' /C calc'!A0", "customer id must be 1-128 letters, digits or _.:@-"],
    ]


def test_brand_usage_merges_without_erasing_other_brands(local_system):
    cid = f"m-{_id()}"
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


def test_profiles_rows_merge_attribute_by_attribute(local_system):
    cid = f"a-{_id()}"
    upload(local_system, "profiles", f"customer_id,group_rank,gender,prefecture\n{cid},gold,女性,13\n")
    local_system.dispatcher.drain()
    # A blank cell clears that value; a column the file does not have leaves it alone.
    upload(local_system, "profiles", f"customer_id,gender,birth_year\n{cid},,1985\n")
    local_system.dispatcher.drain()
    profile = Profile.get(cid)
    assert profile.group_rank == "gold"
    assert profile.attributes.as_dict() == {"prefecture": "東京都", "birth_year": 1985}


def test_missing_required_column_rejects_the_whole_file(local_system):
    ref = upload(local_system, "profiles", "name,rank\nTaro,gold\n")
    local_system.dispatcher.drain()
    job = jobs.find(ref.job_id)
    assert (job.status, job.rows_imported, job.reason_code) == ("rejected", 0, "missing_columns")
    assert job.reason == "missing required column(s): customer_id"


def test_shift_jis_file_is_detected_and_imported(local_system):
    p = _id()
    text = f"顧客ID,グループランク,都道府県\r\n{p}-1,ゴールド,大阪府\r\n{p}-2,髙橋①,沖縄\r\n"
    ref = upload(local_system, "profiles", text.encode("cp932"))
    local_system.dispatcher.drain()
    job = jobs.find(ref.job_id)
    assert (job.status, job.encoding, job.rows_imported) == ("succeeded", "cp932", 2)
    assert Profile.get(f"{p}-2").group_rank == "髙橋①"  # CP932-only characters
    assert Profile.get(f"{p}-2").attributes.as_dict() == {"prefecture": "沖縄県"}


def test_partner_settings_map_headers_pin_the_encoding_and_keep_unknown_columns(local_system):
    partner, p = f"acme-{_id()}", _id()
    configs.put(
        "partner",
        partner,
        {
            "encoding": "shift_jis",
            "datasets": {
                "profiles": {
                    "columns": {"会員番号": "customer_id", "備考": None},
                    "keep_unknown_columns": True,
                },
                "brand_usage": {"columns": {"会員番号": "customer_id", "店舗": "brand"}},
            },
            "brands": ["hana"],
            "brand_aliases": {"花コスメ": "hana"},
        },
    )
    # ASCII-only so far: without the setting, this would be read as UTF-8 (the same bytes).
    profiles = f"会員番号,会員種別,備考\r\n{p}-1,プレミアム,内部メモ\r\n".encode("cp932")
    usage = f"会員番号,店舗,LTV\r\n{p}-1,花コスメ,500\r\n{p}-1,tabi,700\r\n".encode("cp932")
    profile_ref = upload(local_system, "profiles", profiles, partner=partner)
    usage_ref = upload(local_system, "brand_usage", usage, partner=partner)
    local_system.dispatcher.drain()

    assert Profile.get(f"{p}-1").attributes.as_dict() == {"会員種別": "プレミアム"}
    assert Profile.get(f"{p}-1").brands.as_dict()["hana"]["ltv"] == 500
    usage_job = jobs.find(usage_ref.job_id)
    assert (usage_job.rows_imported, usage_job.rows_rejected) == (1, 1)
    assert error_lines(usage_job) == [["3", "店舗", "tabi", "unknown brand (expected one of: hana)"]]
    assert jobs.find(profile_ref.job_id).settings["encoding"] == "cp932"


def _raw_item(customer_id: str) -> dict | None:
    """The stored item as DynamoDB has it, attribute by attribute (AttributeValue JSON)."""
    response = boto3.client("dynamodb").get_item(
        TableName=Profile.Meta.table_name, Key={"customer_id": {"S": customer_id}}, ConsistentRead=True
    )
    return response.get("Item")


def test_optouts_add_to_the_set_and_erasure_erases_everything_keyed_on_the_customer(local_system):
    keep, gone = f"o-{_id()}", f"e-{_id()}"
    upload(local_system, "brand_usage", f"customer_id,brand\n{keep},hana\n{gone},tabi\n")
    local_system.dispatcher.drain()
    # Decide's state item of the customer: behaviour and a frequency count (xsell.dal.customers).
    customers.record_visit(gone, "hana-web", "travel", dt.datetime.now(dt.UTC))
    assert _raw_item(f"state#{gone}") is not None
    upload(local_system, "optouts", f"customer_id,brand\n{keep},umi\n{keep},\n{gone},hana\nnew-{keep},tabi\n")
    erasure = upload(local_system, "erasure", f"顧客ID\n{gone}\n{gone}\n")
    local_system.dispatcher.drain()

    assert Profile.get(keep).optouts == {"umi", "all"}  # a blank brand opts out of everything
    assert Profile.get(keep).brands.as_dict()["hana"]["used"] == 1
    assert Profile.get(f"new-{keep}").optouts == {"tabi"}  # opt-outs hold before the profile arrives
    job = jobs.find(erasure.job_id)
    # Only a tombstone is left: the key and when the erasure was uploaded, no personal data.
    assert _raw_item(gone) == {"customer_id": {"S": gone}, "erased_as_of": {"S": job.as_of}}
    assert imported_profile(gone) is None
    assert _raw_item(f"state#{gone}") is None
    assert (job.rows_read, job.rows_imported, job.rows_duplicate, job.errors_key) == (2, 2, 0, None)


def test_an_older_file_processed_after_a_newer_one_changes_nothing(local_system):
    p, partner = _id(), f"o-{_id()}"
    older = upload(
        local_system, "profiles", f"customer_id,group_rank\n{p}-1,silver\n{p}-2,silver\n", partner=partner
    )
    upload(local_system, "brand_usage", f"customer_id,brand,ltv\n{p}-1,hana,100\n", partner=partner)
    time.sleep(1.1)  # S3 times have one-second resolution
    key = f"incoming/{partner}/profiles/newer.csv"
    newer = upload(local_system, "profiles", f"customer_id,group_rank\n{p}-1,gold\n", key=key)
    newer_usage = upload(
        local_system,
        "brand_usage",
        f"customer_id,brand,ltv\n{p}-1,hana,900\n",
        partner=partner,
        key=f"incoming/{partner}/brand_usage/n.csv",
    )
    importer = Importer()
    importer.import_object(newer)
    importer.import_object(newer_usage)
    local_system.dispatcher.drain()  # now the older files

    job = jobs.find(older.job_id)
    assert (job.rows_imported, job.rows_outdated) == (1, 1)
    assert Profile.get(f"{p}-1").group_rank == "gold"
    assert Profile.get(f"{p}-2").group_rank == "silver"
    assert Profile.get(f"{p}-1").brands.as_dict()["hana"]["ltv"] == 900
    [line] = error_lines(job)
    assert line[:3] == ["2", "", f"{p}-1"]
    assert line[3] == (
        f"not applied: newer data is stored for this customer (from a file uploaded "
        f"{jobs.find(newer.job_id).as_of}; this file was uploaded {job.as_of})"
    )


def test_redelivered_notification_and_identical_reupload_import_once(local_system):
    cid = f"d-{_id()}"
    ref = upload(local_system, "profiles", f"customer_id,group_rank\n{cid},gold\n")
    redeliver(local_system, ref)  # S3 delivers at least once
    local_system.dispatcher.drain()

    job = jobs.find(ref.job_id)
    assert (job.rows_imported, job.chunks) == (1, 1)
    first_write = Profile.get(cid).updated_at
    again = upload(local_system, "profiles", f"customer_id,group_rank\n{cid},gold\n", key=ref.key)
    local_system.dispatcher.drain()
    assert again.job_id == ref.job_id
    assert Profile.get(cid).updated_at == first_write


def test_keys_that_are_not_imports_are_rejected_with_a_reason(local_system):
    unknown = upload(local_system, "orders", "customer_id\nC1\n")
    bad_partner = upload(local_system, "profiles", "customer_id\nC1\n", key="incoming/ACME/profiles/a.csv")
    local_system.dispatcher.drain()
    assert jobs.find(unknown.job_id).reason_code == "unknown_dataset"
    assert jobs.find(unknown.job_id).reason.startswith("unknown dataset 'orders'")
    assert jobs.find(bad_partner.job_id).reason == (
        "partner 'ACME' in the object key must be lowercase letters, digits, _ or -"
    )


def _held_back(system, ref):
    """Take ``ref``'s notification off the queue (other messages stay): the test imports it later."""
    sqs, queue = boto3.client("sqs"), system.resources.import_queue_url
    found = False
    for _ in range(20):
        for message in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
            if ref.job_id in {r.job_id for r in object_refs(message["Body"])}:
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
                found = True
            else:
                sqs.change_message_visibility(
                    QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
        if found:
            return ref
    raise AssertionError(f"no notification for {ref.key} in the queue")


def test_a_file_uploaded_before_an_erasure_but_imported_after_it_does_not_bring_the_customer_back(
    local_system,
):
    p, partner = _id(), f"r-{_id()}"
    before = upload(
        local_system, "profiles", f"customer_id,group_rank\n{p}-1,gold\n{p}-2,gold\n", partner=partner
    )
    usage_before = upload(local_system, "brand_usage", f"customer_id,brand,ltv\n{p}-1,hana,100\n")
    optout_before = upload(local_system, "optouts", f"customer_id,brand\n{p}-1,tabi\n")
    usage_much_later = _held_back(
        local_system, upload(local_system, "brand_usage", f"customer_id,brand,ltv\n{p}-1,umi,5\n")
    )
    time.sleep(1.1)  # S3 times have one-second resolution
    erasure = upload(local_system, "erasure", f"customer_id\n{p}-1\n")
    Importer().import_object(erasure)  # the erasure is imported first, the older files after it
    local_system.dispatcher.drain()

    erased_as_of = jobs.find(erasure.job_id).as_of
    assert _raw_item(f"{p}-1") == {"customer_id": {"S": f"{p}-1"}, "erased_as_of": {"S": erased_as_of}}
    assert imported_profile(f"{p}-1") is None
    assert imported_profile(f"{p}-2").group_rank == "gold"  # the rest of the older file applies
    for ref, imported in ((before, 1), (usage_before, 0), (optout_before, 0)):
        _assert_erased_row_not_applied(ref, f"{p}-1", erased_as_of, imported)

    # A file uploaded after the erasure brings the customer back, and the erasure stays on record:
    # rows from before it stay erased even now that the customer exists again.
    time.sleep(1.1)
    upload(local_system, "profiles", f"customer_id,group_rank\n{p}-1,silver\n", partner=partner)
    local_system.dispatcher.drain()
    Importer().import_object(usage_much_later)
    profile = imported_profile(f"{p}-1")
    assert (profile.group_rank, profile.brands.as_dict(), profile.optouts) == ("silver", {}, None)
    assert profile.erased_as_of == erased_as_of
    _assert_erased_row_not_applied(usage_much_later, f"{p}-1", erased_as_of)


def _assert_erased_row_not_applied(ref, customer_id: str, erased_as_of: str, imported: int = 0) -> None:
    job = jobs.find(ref.job_id)
    assert (job.status, job.rows_imported, job.rows_outdated) == ("succeeded", imported, 1)
    assert error_lines(job) == [
        [
            "2",
            "",
            customer_id,
            f"not applied: the customer was erased (by a file uploaded {erased_as_of}; "
            f"this file was uploaded {job.as_of})",
        ]
    ]


def test_a_duplicate_row_is_reported_under_the_column_name_the_file_uses(local_system):
    p = _id()
    text = f"会員ID,グループランク\r\n{p}-1,gold\r\n{p}-1,silver\r\n"
    ref = upload(local_system, "profiles", text)
    local_system.dispatcher.drain()
    job = jobs.find(ref.job_id)
    assert (job.status, job.rows_imported, job.rows_duplicate) == ("succeeded", 1, 1)
    assert error_lines(job) == [
        ["2", "会員ID", f"{p}-1", "duplicate of row 3 in this file; the later row was kept"]
    ]
    assert Profile.get(f"{p}-1").group_rank == "silver"


def _drop(system, key: str, text: str):
    """A file put straight into the bucket with the partner's own credentials (no admin URL,
    and no registration on the way, unlike the ``upload`` fixture)."""
    put = boto3.client("s3").put_object(Bucket=system.resources.drop_bucket, Key=key, Body=text.encode())
    return ObjectRef(system.resources.drop_bucket, key, put["ETag"], put.get("VersionId"))


def test_a_partner_without_settings_cannot_import_a_dropped_file(local_system):
    partner, p = f"stranger-{_id()}", _id()
    ref = _drop(local_system, f"incoming/{partner}/profiles/x.csv", f"customer_id,group_rank\n{p}-1,gold\n")
    local_system.dispatcher.drain()
    job = jobs.find(ref.job_id)
    assert (job.status, job.reason_code, job.partner, job.dataset) == (
        "rejected",
        "unknown_partner",
        partner,
        "profiles",
    )
    assert job.reason == (
        f"partner {partner!r} is not registered: a group admin publishes its partner settings first"
    )
    assert imported_profile(f"{p}-1") is None


def test_a_partner_may_drop_only_its_datasets_and_privileged_ones_only_when_listed(local_system):
    plain, narrow, trusted, p = f"plain-{_id()}", f"narrow-{_id()}", f"trusted-{_id()}", _id()
    configs.put("partner", plain, {})  # defaults: every dataset but erasure and optouts
    configs.put("partner", narrow, {"allowed_datasets": ["profiles"]})
    configs.put("partner", trusted, {"allowed_datasets": ["erasure", "profiles"]})
    upload(local_system, "profiles", f"customer_id,group_rank\n{p}-1,gold\n{p}-2,gold\n", partner=plain)
    local_system.dispatcher.drain()

    refused = {
        "erasure by default": _drop(local_system, f"incoming/{plain}/erasure/e.csv", f"customer_id\n{p}-1\n"),
        "optouts by default": _drop(
            local_system, f"incoming/{plain}/optouts/o.csv", f"customer_id,brand\n{p}-1,hana\n"
        ),
        "not listed": _drop(
            local_system, f"incoming/{narrow}/brand_usage/u.csv", f"customer_id,brand,ltv\n{p}-1,hana,1\n"
        ),
    }
    allowed = _drop(local_system, f"incoming/{trusted}/erasure/e.csv", f"customer_id\n{p}-2\n")
    local_system.dispatcher.drain()

    for case, ref in refused.items():
        job = jobs.find(ref.job_id)
        assert (job.status, job.reason_code, job.rows_read) == ("rejected", "dataset_not_allowed", 0), case
    assert jobs.find(refused["erasure by default"].job_id).reason == (
        f"partner {plain!r} may not import erasure files (a privileged dataset: its settings must list it "
        "in allowed_datasets); it may import: brand_usage, profiles"
    )
    assert jobs.find(refused["not listed"].job_id).reason == (
        f"partner {narrow!r} may not import brand_usage files; it may import: profiles"
    )
    # Nothing of the refused files was applied; the allowed erasure was.
    profile = imported_profile(f"{p}-1")
    assert profile is not None and profile.optouts is None and profile.brands.as_dict() == {}
    assert jobs.find(allowed.job_id).status == "succeeded"
    assert imported_profile(f"{p}-2") is None


def test_bad_allowed_datasets_settings_reject_the_file_with_the_reason(local_system):
    partner = f"typo-{_id()}"
    # Settings the admin API would refuse, as an older config might hold them.
    configs.put_unchecked({("partner", partner): {"allowed_datasets": ["profile"]}})
    try:
        ref = _drop(local_system, f"incoming/{partner}/profiles/x.csv", "customer_id\nC1\n")
        local_system.dispatcher.drain()
    finally:  # every later publish would refuse to carry the invalid document on
        configs.put_unchecked({("partner", partner): None})
    job = jobs.find(ref.job_id)
    assert (job.status, job.reason_code) == ("rejected", "invalid_settings")
    assert "allowed_datasets names unknown dataset(s) profile" in job.reason
