"""Config storage: drafts, immutable numbered versions and the pointer to the live one.

The item layout is described in :mod:`xsell.models.config`. Every read here is strongly
consistent on the base table: decide reads the pointer with ``GetItem(ConsistentRead)`` and
the version's documents with ``Query(ConsistentRead)``; a version's documents are all written
before the pointer moves, so decide sees one whole version, old or new, never a mix.

Reads use the low-level client (decide imports this module at cold start and needs none of
PynamoDB's model machinery); the admin function's writes use it too, with one condition each.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from xsell import env
from xsell.dal import aws
from xsell.errors import Conflict

POINTER = {"pk": {"S": "pointer"}, "sk": {"S": "current"}}
HEADERS = "versions"  # partition of the version headers
WRITING, LIVE = "writing", "live"  # a version header's state
BATCH = 25  # BatchWriteItem's limit

DocKey = tuple[str, str]  # (kind, id)


def _table() -> str:
    return env.table_name(env.CONFIG_TABLE)


def _client() -> Any:
    return aws.client("dynamodb")


def version_pk(version: int) -> str:
    return f"version#{version:09d}"


DRAFT_PREFIX = "draft#"


def draft_pk(kind: str) -> str:
    return DRAFT_PREFIX + kind


def _json(item: Mapping[str, Any], name: str) -> Any:
    value = item.get(name)
    return json.loads(value["S"]) if value else None


def _condition_failed(exc: Exception) -> bool:
    code = getattr(exc, "response", {}).get("Error", {}).get("Code")
    return code in ("ConditionalCheckFailedException", "TransactionCanceledException")


def _query(request: dict[str, Any]) -> Iterator[dict[str, Any]]:
    client = _client()
    request = {"TableName": _table(), "ConsistentRead": True, **request}
    while True:
        page = client.query(**request)
        yield from page.get("Items", ())
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


# --- the published side: what decide and the importer read -----------------------------------


@dataclass(frozen=True)
class Published:
    """One document of a new version: what decide reads, and the draft it came from."""

    kind: str
    doc_id: str
    data: dict[str, Any]
    draft: dict[str, Any] | None = None


def live_version() -> int:
    """The live config version (0 before anything was published)."""
    item = _client().get_item(TableName=_table(), Key=POINTER, ConsistentRead=True).get("Item")
    return _pointer_version(item)


def _pointer_version(item: Mapping[str, Any] | None) -> int:
    """The version the pointer item names (0: none, or no pointer)."""
    return int(item["version"]["N"]) if item and "version" in item else 0


def _version_items(version: int) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``(kind, id, item)`` for every document of ``version`` (none for version 0)."""
    if version <= 0:
        return
    request = {
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": version_pk(version)}},
    }
    for item in _query(request):
        kind, _, doc_id = item["sk"]["S"].partition("#")
        yield kind, doc_id, item


def load(version: int) -> dict[str, dict[str, dict[str, Any]]]:
    """Every document of ``version`` as ``{kind: {id: document}}``."""
    documents: dict[str, dict[str, dict[str, Any]]] = {}
    for kind, doc_id, item in _version_items(version):
        documents.setdefault(kind, {})[doc_id] = _json(item, "data") or {}
    return documents


# One stored document of a version as read: (kind, id, data JSON, meta JSON).
_Stored = tuple[str, str, str | None, str | None]


def _stored_version(version: int) -> tuple[_Stored, ...]:
    return tuple(
        (kind, doc_id, (item.get("data") or {}).get("S"), (item.get("meta") or {}).get("S"))
        for kind, doc_id, item in _version_items(version)
    )


def _published(stored: Iterable[_Stored]) -> dict[DocKey, Published]:
    """Fresh objects every time: callers may change what they are given."""
    found: dict[DocKey, Published] = {}
    for kind, doc_id, data_json, meta_json in stored:
        data = json.loads(data_json) if data_json else {}
        draft_form = (json.loads(meta_json) if meta_json else {}).get("draft")
        found[(kind, doc_id)] = Published(kind, doc_id, data, draft_form if draft_form is not None else data)
    return found


def load_published(version: int) -> dict[DocKey, Published]:
    """Every document of ``version`` with the draft it was published from (to restore drafts)."""
    return _published(_stored_version(version))


LIVE_VERSIONS_KEPT = 2  # the live version and the one before it, across a publish


@aws.cached
def _live_versions() -> dict[tuple[str, int], tuple[_Stored, ...]]:
    """Versions read after the pointer named them, by (table, number). Such a version is whole
    and never written again (a new publish takes the next number), so a warm instance reads it
    once; forgotten with the clients (:func:`xsell.dal.aws.reset`), as a new local system's
    tables start again at version 1."""
    return {}


def _load_live_published(version: int) -> dict[DocKey, Published]:
    """:func:`load_published` for a ``version`` the pointer named: from memory after the first read."""
    kept = _live_versions()
    key = (_table(), version)
    stored = kept.get(key)
    if stored is None:
        stored = _stored_version(version)
        kept[key] = stored
        for old in list(kept)[:-LIVE_VERSIONS_KEPT]:
            kept.pop(old, None)
    return _published(stored)


def live_document(kind: str, doc_id: str) -> dict[str, Any] | None:
    """One document of the live version, or None."""
    version = live_version()
    if not version:
        return None
    item = (
        _client()
        .get_item(
            TableName=_table(),
            Key={"pk": {"S": version_pk(version)}, "sk": {"S": f"{kind}#{doc_id}"}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    return _json(item, "data") if item else None


def live_documents(kind: str) -> list[dict[str, Any]]:
    """Every document of ``kind`` in the live version."""
    version = live_version()
    if not version:
        return []
    request = {
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :kind)",
        "ExpressionAttributeValues": {":pk": {"S": version_pk(version)}, ":kind": {"S": f"{kind}#"}},
    }
    return [_json(item, "data") or {} for item in _query(request)]


# --- writing a version ------------------------------------------------------------------------


def reserve_version(version: int, header: dict[str, Any], *, stale_before: str) -> bool:
    """Claim number ``version`` for a publish; False when another publish holds it.

    A header left ``writing`` by a publish that died before ``stale_before`` (ISO time) may
    be taken over, so a crash never blocks publishing for good.
    """
    item = {
        "pk": {"S": HEADERS},
        "sk": {"S": f"{version:09d}"},
        "rev": {"N": str(version)},
        "meta": {"S": json.dumps({**header, "state": WRITING}, ensure_ascii=False)},
        "state": {"S": WRITING},
        "started_at": {"S": header["started_at"]},
    }
    try:
        _client().put_item(
            TableName=_table(),
            Item=item,
            ConditionExpression="attribute_not_exists(pk) OR (#s = :writing AND started_at < :stale)",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":writing": {"S": WRITING}, ":stale": {"S": stale_before}},
        )
    except Exception as exc:
        if _condition_failed(exc):
            return False
        raise
    return True


def write_documents(version: int, documents: Iterable[Published]) -> None:
    """Write the documents of a reserved version (before the pointer moves to it)."""
    client = _client()
    pk = version_pk(version)
    requests = []
    for doc in documents:
        item: dict[str, Any] = {
            "pk": {"S": pk},
            "sk": {"S": f"{doc.kind}#{doc.doc_id}"},
            "kind": {"S": doc.kind},
            "data": {"S": json.dumps(doc.data, ensure_ascii=False, sort_keys=True)},
        }
        if doc.draft is not None:
            item["meta"] = {"S": json.dumps({"draft": doc.draft}, ensure_ascii=False, sort_keys=True)}
        requests.append({"PutRequest": {"Item": item}})
    for start in range(0, len(requests), BATCH):
        pending = {_table(): requests[start : start + BATCH]}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def go_live(version: int, header: dict[str, Any]) -> bool:
    """Move the pointer from ``version - 1`` to ``version``; False if it is elsewhere."""
    client = _client()
    previous = version - 1
    try:
        client.update_item(
            TableName=_table(),
            Key=POINTER,
            UpdateExpression="SET version = :v",
            ConditionExpression=("attribute_not_exists(version)" if previous == 0 else "version = :previous"),
            ExpressionAttributeValues={":v": {"N": str(version)}}
            | ({} if previous == 0 else {":previous": {"N": str(previous)}}),
        )
    except Exception as exc:
        if _condition_failed(exc):
            return False
        raise
    client.update_item(
        TableName=_table(),
        Key={"pk": {"S": HEADERS}, "sk": {"S": f"{version:09d}"}},
        UpdateExpression="SET #s = :live, meta = :meta",
        ExpressionAttributeNames={"#s": "state"},
        ExpressionAttributeValues={
            ":live": {"S": LIVE},
            ":meta": {"S": json.dumps({**header, "state": LIVE}, ensure_ascii=False)},
        },
    )
    return True


def versions(limit: int = 50, before: int | None = None) -> list[dict[str, Any]]:
    """Headers of live versions, newest first: ``{version, published_by, published_at, ...}``."""
    values: dict[str, Any] = {":pk": {"S": HEADERS}}
    condition = "pk = :pk"
    if before is not None:
        condition += " AND sk < :before"
        values[":before"] = {"S": f"{before:09d}"}
    found = []
    request = {
        "KeyConditionExpression": condition,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": False,
    }
    for item in _query(request):
        meta = _json(item, "meta") or {}
        if meta.get("state") == LIVE:
            found.append({**meta, "version": int(item["sk"]["S"])})
        if len(found) >= limit:
            break
    return found


def version_header(version: int) -> dict[str, Any] | None:
    item = (
        _client()
        .get_item(
            TableName=_table(),
            Key={"pk": {"S": HEADERS}, "sk": {"S": f"{version:09d}"}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    meta = _json(item, "meta") if item else None
    return {**meta, "version": version} if meta and meta.get("state") == LIVE else None


# --- drafts -----------------------------------------------------------------------------------


@dataclass
class Draft:
    """The draft of one document: ``data`` as last saved, ``rev`` for optimistic writes."""

    kind: str
    doc_id: str
    data: dict[str, Any]
    rev: int
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def deleted(self) -> bool:
        return bool(self.meta.get("deleted"))

    def public(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.doc_id, "rev": self.rev, "data": self.data, **self.meta}


def _draft(item: Mapping[str, Any]) -> Draft:
    return Draft(
        kind=item["pk"]["S"].removeprefix(DRAFT_PREFIX),
        doc_id=item["sk"]["S"],
        data=_json(item, "data") or {},
        rev=int(item["rev"]["N"]),
        meta=_json(item, "meta") or {},
    )


def drafts(kind: str) -> list[Draft]:
    """Every draft of ``kind`` (deleted ones included: they still have to be published)."""
    request = {
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": draft_pk(kind)}},
    }
    return [_draft(item) for item in _query(request)]


def drafts_of(kinds: Iterable[str], *, page_size: int | None = None) -> list[Draft]:
    """Every draft of ``kinds`` in one request: a PartiQL SELECT whose WHERE names each kind's
    partition (``pk IN [...]``), which DynamoDB answers from those partitions alone, never by a
    scan (the grant denies a full table scan). The admin page's screens need the drafts of
    several kinds at once; a query per kind cost a request apiece. ``page_size`` only for tests
    (DynamoDB pages at 1 MB)."""
    return [_draft(item) for item in _select_partitions(_draft_partitions(kinds), page_size=page_size)]


def _draft_partitions(kinds: Iterable[str]) -> list[str]:
    return [draft_pk(kind) for kind in sorted(set(kinds))]


def _select_partitions(partitions: list[str], *, page_size: int | None = None) -> list[dict[str, Any]]:
    """Every item of the partitions named, consistently read, by one PartiQL SELECT (paged)."""
    if not partitions:
        return []
    marks = ", ".join("?" for _ in partitions)
    request: dict[str, Any] = {
        "Statement": f'SELECT * FROM "{_table()}" WHERE pk IN [{marks}]',
        "Parameters": [{"S": pk} for pk in partitions],
        "ConsistentRead": True,
    }
    if page_size is not None:
        request["Limit"] = page_size
    client = _client()
    found: list[dict[str, Any]] = []
    while True:
        page = client.execute_statement(**request)
        found += page.get("Items", ())
        if "NextToken" not in page:
            return found
        request["NextToken"] = page["NextToken"]


def draft(kind: str, doc_id: str) -> Draft | None:
    item = (
        _client()
        .get_item(
            TableName=_table(),
            Key={"pk": {"S": draft_pk(kind)}, "sk": {"S": doc_id}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    return _draft(item) if item else None


def save_draft(
    kind: str, doc_id: str, data: dict[str, Any], meta: dict[str, Any], expected_rev: int | None
) -> Draft:
    """Write a draft if it is still at ``expected_rev`` (None: it must not exist yet).

    Raises :class:`~xsell.errors.Conflict` carrying the current draft otherwise.
    """
    rev = (expected_rev or 0) + 1
    item = {
        "pk": {"S": draft_pk(kind)},
        "sk": {"S": doc_id},
        "kind": {"S": kind},
        "rev": {"N": str(rev)},
        "data": {"S": json.dumps(data, ensure_ascii=False, sort_keys=True)},
        "meta": {"S": json.dumps(meta, ensure_ascii=False, sort_keys=True)},
    }
    condition: dict[str, Any] = (
        {"ConditionExpression": "attribute_not_exists(pk)"}
        if expected_rev is None
        else {
            "ConditionExpression": "rev = :expected",
            "ExpressionAttributeValues": {":expected": {"N": str(expected_rev)}},
        }
    )
    try:
        _client().put_item(TableName=_table(), Item=item, **condition)
    except Exception as exc:
        if not _condition_failed(exc):
            raise
        current = draft(kind, doc_id)
        raise Conflict(
            f"{kind} {doc_id!r} was changed by someone else (now at rev {current.rev if current else 0})",
            current=current.public() if current else None,
        ) from exc
    return Draft(kind, doc_id, data, rev, meta)


def workspace(kinds: Iterable[str]) -> tuple[int, dict[DocKey, Published], dict[DocKey, Draft]]:
    """The live version number, its documents and every draft of ``kinds``, in one request: the
    pointer's partition is named in the same SELECT as the drafts' (:func:`drafts_of`). The
    version's documents are read once per instance (see :func:`_live_versions`), after the
    pointer names a version this instance has not read yet.

    The admin page's screens each need all of these; one after the other they cost a round
    trip to DynamoDB apiece, and side by side a second request and a thread.
    """
    pointer_pk = POINTER["pk"]["S"]
    pointer, found = None, {}
    for item in _select_partitions([pointer_pk, *_draft_partitions(kinds)]):
        if item["pk"]["S"] != pointer_pk:
            draft = _draft(item)
            found[(draft.kind, draft.doc_id)] = draft
        elif item["sk"] == POINTER["sk"]:
            pointer = item
    version = _pointer_version(pointer)
    return version, _load_live_published(version), found
