"""What an import-queue message asks for: S3 notifications, or the next chunk of a job."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from urllib.parse import unquote_plus

from xsell.dal.import_queue import CONTINUE
from xsell.importing.errors import UnreadableMessage


@dataclass(frozen=True)
class ObjectRef:
    bucket: str
    key: str
    etag: str
    version: str | None = None

    @property
    def job_id(self) -> str:
        """Same key and same content -> same job: a re-delivered event or a re-uploaded
        identical file is imported once. The version id, when S3 sends one, is only
        used to read exactly the bytes that were announced."""
        etag = self.etag.strip('"')
        ident = f"{self.bucket}/{self.key}#{etag}"
        return hashlib.sha256(ident.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Continuation:
    """Sent by the importer itself: import the next chunk of ``job_id``."""

    job_id: str
    chunk: int


def parse_message(body: str) -> list[ObjectRef] | Continuation:
    """The objects a notification names (none for S3's test event), or a continuation."""
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise UnreadableMessage("the import message is not JSON") from exc
    if not isinstance(payload, dict):
        raise UnreadableMessage("the import message is not a JSON object")
    if CONTINUE in payload:
        request = payload[CONTINUE]
        try:
            return Continuation(str(request["job_id"]), int(request["chunk"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise UnreadableMessage("a continuation message needs job_id and chunk") from exc
    return _object_refs(payload)


def object_refs(message_body: str) -> list[ObjectRef]:
    """The created objects named by one notification; empty for S3's test event."""
    parsed = parse_message(message_body)
    return parsed if isinstance(parsed, list) else []


def _object_refs(payload: dict[str, object]) -> list[ObjectRef]:
    refs = []
    records = payload.get("Records", [])
    for record in records if isinstance(records, list) else []:
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        try:
            s3 = record["s3"]
            refs.append(
                ObjectRef(
                    bucket=s3["bucket"]["name"],
                    key=unquote_plus(s3["object"]["key"]),
                    etag=s3["object"].get("eTag", ""),
                    version=s3["object"].get("versionId"),
                )
            )
        except (KeyError, TypeError) as exc:
            raise UnreadableMessage("an S3 notification record without bucket and key") from exc
    return refs
