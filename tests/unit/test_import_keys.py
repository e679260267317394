import pytest

from xsell.importing.notifications import object_refs
from xsell.importing.runner import ObjectRef, RejectedFile, parse_key


def test_key_names_partner_and_dataset():
    assert parse_key("incoming/acme/profiles/2026-11-23.csv") == ("acme", "profiles")


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("incoming/acme/profiles.csv", "is not incoming/"),
        ("other/acme/profiles/a.csv", "is not incoming/"),
        ("incoming/acme/profiles/a.txt", "is not incoming/"),
        ("incoming/acme/orders/a.csv", "unknown dataset 'orders'"),
    ],
)
def test_bad_keys_are_rejected_with_a_reason(key, reason):
    with pytest.raises(RejectedFile, match=reason):
        parse_key(key)


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
