"""Presigned upload URLs: a partner without AWS credentials PUTs one file into its own prefix.

moto serves the PUT but does not check SigV4 query signatures (it accepts a URL
whose path was changed, and one that has expired), so it cannot show S3 refusing
another prefix. What S3 checks is the signature, and the signature covers the
method, the host and the exact path: :func:`signature_matches` recomputes it the
way S3 does (AWS Signature Version 4, query-string form) and shows that the URL
is valid for its own key and for nothing else.
"""

import datetime as dt
import hashlib
import hmac
import os
import urllib.error
import urllib.request
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

import boto3
import pytest

from tests.fixtures.csv import register
from xsell.dal import jobs
from xsell.errors import InvalidRequest
from xsell.importing.notifications import ObjectRef
from xsell.importing.presign import MAX_EXPIRES_S, upload_url


def signature_matches(url: str, method: str, secret: str) -> bool:
    """Would S3 accept this presigned URL for ``method``? (SigV4 query auth, payload unsigned.)"""
    parts = urlsplit(url)
    params = parse_qsl(parts.query, keep_blank_values=True)
    values = dict(params)

    def encode(text: str) -> str:
        return quote(text, safe="-_.~")

    query = "&".join(f"{encode(k)}={encode(v)}" for k, v in sorted(params) if k != "X-Amz-Signature")
    signed = values["X-Amz-SignedHeaders"]
    headers = {"host": parts.netloc}
    canonical = "\n".join(
        [
            method,
            parts.path,
            query,
            "".join(f"{name}:{headers[name]}\n" for name in signed.split(";")),
            signed,
            "UNSIGNED-PAYLOAD",
        ]
    )
    _, day, region, service, terminator = values["X-Amz-Credential"].split("/")
    scope = f"{day}/{region}/{service}/{terminator}"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", values["X-Amz-Date"], scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = f"AWS4{secret}".encode()
    for part in (day, region, service, terminator):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, values["X-Amz-Signature"])


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


def test_a_presigned_url_uploads_one_file_into_the_partners_own_prefix(local_system):
    grant = upload_url(register("presign-acme"), "profiles", "2026-11-23 顧客.csv", expires_in=300)
    assert grant.key == "incoming/presign-acme/profiles/2026-11-23 顧客.csv"
    assert grant.method == "PUT"
    assert dt.timedelta(seconds=299) < grant.expires_at - dt.datetime.now(dt.UTC) <= dt.timedelta(seconds=300)

    # The partner needs nothing but the URL. (It sends the file as raw bytes, as `curl -T`
    # does; urllib without a content type would send a form, which the emulator consumes.)
    body = b"customer_id,group_rank\npresigned-1,gold\n"
    request = urllib.request.Request(grant.url, data=body, method="PUT", headers={"Content-Type": "text/csv"})
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
    head = boto3.client("s3").head_object(Bucket=local_system.resources.drop_bucket, Key=grant.key)
    local_system.dispatcher.drain()
    job = jobs.find(ObjectRef(local_system.resources.drop_bucket, grant.key, head["ETag"]).job_id)
    assert (job.partner, job.status, job.rows_imported, job.reason) == ("presign-acme", "succeeded", 1, None)

    # What S3 verifies: the signature is valid for this key and method only.
    secret = os.environ["AWS_SECRET_ACCESS_KEY"]
    path = urlsplit(grant.url).path
    assert signature_matches(grant.url, "PUT", secret)
    assert not signature_matches(
        _with_path(grant.url, path.replace("/presign-acme/", "/other/")), "PUT", secret
    )
    assert not signature_matches(
        _with_path(grant.url, path.replace("/profiles/", "/erasure/")), "PUT", secret
    )
    assert not signature_matches(_with_path(grant.url, path.replace(".csv", "2.csv")), "PUT", secret)
    assert not signature_matches(grant.url, "GET", secret)
    assert not signature_matches(grant.url, "DELETE", secret)


@pytest.mark.parametrize(
    ("partner", "dataset", "filename", "field"),
    [
        ("Acme", "profiles", "a.csv", "partner"),
        ("../acme", "profiles", "a.csv", "partner"),
        ("acme", "orders", "a.csv", "dataset"),
        ("acme", "profiles", "../../results/x.csv", "filename"),
        ("acme", "profiles", "a.txt", "filename"),
        ("acme", "profiles", ".csv", "filename"),
    ],
)
def test_upload_urls_are_only_made_for_checked_names(aws, partner, dataset, filename, field):
    with pytest.raises(InvalidRequest) as refused:
        upload_url(partner, dataset, filename)
    assert refused.value.field == field


def test_upload_urls_are_short_lived(aws):
    with pytest.raises(InvalidRequest) as refused:
        upload_url("acme", "profiles", "a.csv", expires_in=MAX_EXPIRES_S + 1)
    assert refused.value.field == "expires_in"
