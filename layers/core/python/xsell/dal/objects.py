"""Objects in S3: stream a partner file, write a report back."""

from __future__ import annotations

from typing import IO, Any

from xsell.dal import aws


def open_stream(bucket: str, key: str, version: str | None = None) -> IO[bytes]:
    """A streaming body: the file is never read into memory whole."""
    args: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if version:
        args["VersionId"] = version
    body: IO[bytes] = aws.client("s3").get_object(**args)["Body"]
    return body


def put_text(bucket: str, key: str, text: str, content_type: str = "text/csv; charset=utf-8") -> None:
    aws.client("s3").put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"), ContentType=content_type)
