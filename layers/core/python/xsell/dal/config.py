"""Config items: sites, campaigns and group settings, read by kind through the ``by_kind`` index.

Reads use the low-level client (the decide function reads config and nothing here needs the
model classes at cold start); writes go through the :class:`~xsell.models.ConfigItem` model.
"""

from __future__ import annotations

import json
from typing import Any

from xsell import env
from xsell.dal import aws

CURRENT = "v0"  # sort key of the current version of every config item
BY_KIND = "by_kind"  # the index declared on ConfigItem


def list_kind(kind: str) -> list[dict[str, Any]]:
    """The current version of every item of ``kind`` (a query, never a scan)."""
    client = aws.client("dynamodb")
    request: dict[str, Any] = {
        "TableName": env.table_name(env.CONFIG_TABLE),
        "IndexName": BY_KIND,
        "KeyConditionExpression": "kind = :kind",
        "ExpressionAttributeValues": {":kind": {"S": kind}},
    }
    found = []
    while True:
        page = client.query(**request)
        found += [
            json.loads(item["data"]["S"]) if "data" in item else {}
            for item in page.get("Items", ())
            if item["sk"]["S"] == CURRENT
        ]
        if "LastEvaluatedKey" not in page:
            return found
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def put(kind: str, item_id: str, data: dict[str, Any]) -> None:
    """Write the current version of one item and bump the config version stamp."""
    from xsell.models import ConfigItem

    ConfigItem(f"{kind}#{item_id}", CURRENT, kind=kind, data=data).save()
    ConfigItem("META", "VERSION", kind="meta").update(actions=[ConfigItem.version.add(1)])


def delete(kind: str, item_id: str) -> None:
    """Remove the current version of one item and bump the config version stamp."""
    from xsell.models import ConfigItem

    ConfigItem(f"{kind}#{item_id}", CURRENT).delete()
    ConfigItem("META", "VERSION", kind="meta").update(actions=[ConfigItem.version.add(1)])


def version() -> int:
    """The config version stamp (0 before anything was written)."""
    item = (
        aws.client("dynamodb")
        .get_item(
            TableName=env.table_name(env.CONFIG_TABLE),
            Key={"pk": {"S": "META"}, "sk": {"S": "VERSION"}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    return int(item["version"]["N"]) if item and "version" in item else 0
