import pytest

from xsell.importing.errors import BadObjectKey, RejectedFile, UnknownDataset, UnreadableMessage
from xsell.importing.notifications import Continuation, ObjectRef, object_refs, parse_message
from xsell.importing.runner import parse_key


def test_key_names_partner_and_dataset():
    assert parse_key("incoming/acme/profiles/2026-11-23.csv") == ("acme", "profiles")
    assert parse_key("incoming/acme-2/erasure/x.csv") == ("acme-2", "erasure")
    assert parse_key("incoming/acme/profiles/MEMBERS.CSV") == ("acme", "profiles")  # any case


@pytest.mark.parametrize(
    ("key", "error", "reason"),
    [
        ("incoming/acme/profiles.csv", BadObjectKey, "is not incoming/"),
        ("other/acme/profiles/a.csv", BadObjectKey, "is not incoming/"),
        ("incoming/acme/profiles/sub/a.csv", BadObjectKey, "is not incoming/"),
        ("incoming/a.csv", BadObjectKey, "is not incoming/<partner>/<dataset>/<file>.csv"),
        ("incoming/acme/profiles/a.txt", BadObjectKey, r"file name 'a.txt' does not end in \.csv"),
        ("incoming/acme/profiles/a.tsv", BadObjectKey, "only CSV files are imported"),
        ("incoming/acme/profiles/.CSV", BadObjectKey, "does not end in"),
        ("incoming/acme/orders/a.csv", UnknownDataset, "unknown dataset 'orders'"),
        ("incoming/Acme/profiles/a.csv", BadObjectKey, "partner 'Acme' in the object key must be"),
    ],
)
def test_bad_keys_are_rejected_with_a_reason(key, error, reason):
    with pytest.raises(error, match=reason) as refused:
        parse_key(key)
    assert isinstance(refused.value, RejectedFile)


def test_same_key_and_content_is_the_same_job():
    a = ObjectRef("b", "incoming/p/profiles/x.csv", '"abc"', "v1")
    b = ObjectRef("b", "incoming/p/profiles/x.csv", "abc", "v2")
    c = ObjectRef("b", "incoming/p/profiles/x.csv", "abd", "v3")
    assert a.job_id == b.job_id != c.job_id


def test_notifications_decode_keys_and_skip_test_events():
    body = (
        '{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"drop"},'
        '"object":{"key":"incoming/p/profiles/%E9%A1%A7%E5%AE%A2+1.csv","eTag":"e1","versionId":"v"}}}]}'
    )
    assert object_refs(body) == [ObjectRef("drop", "incoming/p/profiles/顧客 1.csv", "e1", "v")]
    assert object_refs('{"Service":"Amazon S3","Event":"s3:TestEvent"}') == []


def test_continuations_name_the_job_and_chunk():
    assert parse_message('{"xsell_import_continue": {"job_id": "j1", "chunk": 3}}') == Continuation("j1", 3)
    assert object_refs('{"xsell_import_continue": {"job_id": "j1", "chunk": 3}}') == []


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[1]",
        '{"xsell_import_continue": {"chunk": 1}}',
        '{"Records":[{"eventName":"ObjectCreated:Put"}]}',
    ],
)
def test_unreadable_messages_are_a_domain_error(body):
    with pytest.raises(UnreadableMessage):
        parse_message(body)


def test_a_folder_marker_is_no_file_and_gets_no_job():
    from xsell.importing.runner import FOLDER, Importer, Step

    class NoStore:  # the importer must not reach any storage for a folder marker
        def __getattr__(self, name):
            raise AssertionError(f"storage used: {name}")

    ref = ObjectRef("drop", "incoming/acme/profiles/", "d41d8cd98f00b204e9800998ecf8427e")
    assert Importer(NoStore()).import_object(ref) == Step(ref.job_id, FOLDER)
