"""The audit log's storage: append and query, nothing else (no update, no delete exists)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from xsell import env
from xsell.dal import aws


def _table() -> str:
    return env.table_name(env.AUDIT_TABLE)


def _month(moment: dt.datetime) -> str:
    return f"month#{moment:%Y-%m}"


def append(entry: dict[str, Any], at: dt.datetime) -> None:
    """Store one entry; the condition makes an accidental second write with the same id fail."""
    aws.client("dynamodb").put_item(
        TableName=_table(),
        Item={
            "pk": {"S": _month(at)},
            "sk": {"S": f"{entry['at']}#{entry['id']}"},
            "entry": {"S": json.dumps(entry, ensure_ascii=False, default=str)},
        },
        ConditionExpression="attribute_not_exists(pk)",
    )


def _months(since: dt.datetime, until: dt.datetime) -> list[dt.datetime]:
    """The first moment of each month from ``until`` back to ``since``, newest first."""
    months, cursor = [], until.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    while cursor >= since.replace(day=1, hour=0, minute=0, second=0, microsecond=0):
        months.append(cursor)
        cursor = (cursor - dt.timedelta(days=1)).replace(day=1)
    return months


def entries(since: dt.datetime, until: dt.datetime) -> Iterator[dict[str, Any]]:
    """Entries with ``since <= at < until`` (UTC), newest first."""
    client = aws.client("dynamodb")
    low, high = since.isoformat(), until.isoformat()
    for month in _months(since, until - dt.timedelta(microseconds=1)):
        request: dict[str, Any] = {
            "TableName": _table(),
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
            "ExpressionAttributeValues": {
                ":pk": {"S": _month(month)},
                ":low": {"S": low},
                ":high": {"S": high},
            },
            "ScanIndexForward": False,
        }
        while True:
            page = client.query(**request)
            for item in page.get("Items", ()):
                entry = json.loads(item["entry"]["S"])
                if entry["at"] < high:
                    yield entry
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
