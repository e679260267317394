"""Read S3 event notifications (as delivered in an SQS message body)."""

from __future__ import annotations

import json
from urllib.parse import unquote_plus

from xsell.importing.runner import ObjectRef


def object_refs(message_body: str) -> list[ObjectRef]:
    """The created objects named by one notification; empty for S3's test event."""
    payload = json.loads(message_body)
    refs = []
    for record in payload.get("Records", []):
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        s3 = record["s3"]
        refs.append(
            ObjectRef(
                bucket=s3["bucket"]["name"],
                key=unquote_plus(s3["object"]["key"]),
                etag=s3["object"].get("eTag", ""),
                version=s3["object"].get("versionId"),
            )
        )
    return refs
