"""Config items: sites and campaigns, read by kind through the ``by_kind`` index."""

from __future__ import annotations

from typing import Any

from xsell.models import ConfigItem

CURRENT = "v0"  # sort key of the current version of every config item


def list_kind(kind: str) -> list[dict[str, Any]]:
    """The current version of every item of ``kind`` (a query, never a scan)."""
    return [item.data for item in ConfigItem.by_kind.query(kind) if item.sk == CURRENT]


def put(kind: str, item_id: str, data: dict[str, Any]) -> None:
    """Write the current version of one item and bump the config version stamp."""
    ConfigItem(f"{kind}#{item_id}", CURRENT, kind=kind, data=data).save()
    ConfigItem("META", "VERSION", kind="meta").update(actions=[ConfigItem.version.add(1)])


def version() -> int:
    try:
        return int(ConfigItem.get("META", "VERSION").version)
    except ConfigItem.DoesNotExist:
        return 0
