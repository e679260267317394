"""Objects in S3: stream a partner file (from any byte offset), write reports back, presign uploads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from xsell.dal import aws
from xsell.errors import XsellError

# S3 multipart parts must be at least 5 MiB, except the last.
MULTIPART_PART_BYTES = 8 * 1024 * 1024


class ObjectGone(XsellError):
    """The object (or the version) named by the notification no longer exists."""


class ObjectChanged(XsellError):
    """The key now holds other content than the job was created for."""


@dataclass(frozen=True)
class ObjectInfo:
    size: int  # the whole object, whatever range was read
    etag: str
    version: str | None
    last_modified: dt.datetime


def _total_size(response: dict[str, Any]) -> int:
    content_range = response.get("ContentRange")  # "bytes 4-9/10"
    if content_range and "/" in content_range:
        return int(content_range.rsplit("/", 1)[1])
    return int(response["ContentLength"])


def open_range(
    bucket: str, key: str, *, version: str | None = None, etag: str | None = None, offset: int = 0
) -> tuple[IO[bytes], ObjectInfo]:
    """A streaming body from ``offset`` to the end; the file is never read into memory whole.

    ``etag`` makes S3 refuse with :class:`ObjectChanged` if the key was overwritten
    with other content since the job began.
    """
    args: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if version:
        args["VersionId"] = version
    if etag:
        args["IfMatch"] = etag if etag.startswith('"') else f'"{etag}"'
    if offset:
        args["Range"] = f"bytes={offset}-"
    try:
        response = aws.client("s3").get_object(**args)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchKey", "NoSuchVersion", "404"):
            raise ObjectGone(f"s3://{bucket}/{key} no longer exists") from exc
        if code in ("PreconditionFailed", "412"):
            raise ObjectChanged(f"s3://{bucket}/{key} was replaced by another upload") from exc
        raise
    info = ObjectInfo(
        size=_total_size(response),
        etag=str(response.get("ETag", "")).strip('"'),
        version=response.get("VersionId"),
        last_modified=response["LastModified"],
    )
    return response["Body"], info


def put_bytes(bucket: str, key: str, data: bytes, content_type: str = "text/csv; charset=utf-8") -> None:
    aws.client("s3").put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type)


def read_bytes(bucket: str, key: str) -> bytes:
    data: bytes = aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return data


def delete(bucket: str, keys: Iterable[str]) -> None:
    keys = list(keys)
    s3 = aws.client("s3")
    for start in range(0, len(keys), 1000):
        batch = keys[start : start + 1000]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True})


def concatenate(
    bucket: str,
    head: bytes,
    part_keys: Iterable[str],
    dest: str,
    content_type: str = "text/csv; charset=utf-8",
) -> None:
    """Write ``head`` followed by the parts into ``dest``, holding at most one multipart
    part in memory; small results are a single put."""
    s3 = aws.client("s3")
    buffer = bytearray(head)
    upload_id: str | None = None
    parts: list[dict[str, Any]] = []
    try:
        for key in part_keys:
            buffer += read_bytes(bucket, key)
            if len(buffer) >= MULTIPART_PART_BYTES:
                if upload_id is None:
                    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=dest, ContentType=content_type)[
                        "UploadId"
                    ]
                number = len(parts) + 1
                etag = s3.upload_part(
                    Bucket=bucket, Key=dest, UploadId=upload_id, PartNumber=number, Body=bytes(buffer)
                )["ETag"]
                parts.append({"ETag": etag, "PartNumber": number})
                buffer.clear()
        if upload_id is None:
            put_bytes(bucket, dest, bytes(buffer), content_type)
            return
        if buffer:
            number = len(parts) + 1
            etag = s3.upload_part(
                Bucket=bucket, Key=dest, UploadId=upload_id, PartNumber=number, Body=bytes(buffer)
            )["ETag"]
            parts.append({"ETag": etag, "PartNumber": number})
        s3.complete_multipart_upload(
            Bucket=bucket, Key=dest, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )
    except BaseException:
        if upload_id is not None:
            s3.abort_multipart_upload(Bucket=bucket, Key=dest, UploadId=upload_id)
        raise


def presign_put(
    bucket: str,
    key: str,
    expires_in: int,
    content_type: str | None = None,
    *,
    length: int | None = None,
    sha256: str | None = None,
) -> str:
    """A URL that lets its holder PUT exactly ``key`` (SigV4: the signature covers the path), and
    with ``content_type``, ``length`` or ``sha256`` (base64) exactly such bytes: those become
    signed headers, which S3 holds the request to."""
    s3 = boto3.session.Session().client("s3", config=Config(signature_version="s3v4"))
    params: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if content_type:
        params["ContentType"] = content_type
    if length is not None:
        params["ContentLength"] = length
    if sha256 is not None:
        params["ChecksumSHA256"] = sha256
    url: str = s3.generate_presigned_url("put_object", Params=params, ExpiresIn=expires_in, HttpMethod="PUT")
    return url


def presign_get(bucket: str, key: str, expires_in: int, filename: str | None = None) -> str:
    """A URL that lets its holder GET exactly ``key`` until it expires (``filename``: save as)."""
    s3 = boto3.session.Session().client("s3", config=Config(signature_version="s3v4"))
    params: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if filename:
        params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
    url: str = s3.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in, HttpMethod="GET")
    return url
