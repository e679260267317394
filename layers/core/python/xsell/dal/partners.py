"""Partner settings (``partner`` items in the config table) and the brands a file may name.

A partner's settings are one JSON document (see docs/csv-formats.md): its file
encoding, extra header names per dataset, whether unknown columns are kept as
attributes, which brands it may report for and its own names for them. Reading
and validating the document is :mod:`xsell.importing.mappings`; this module only
stores it.
"""

from __future__ import annotations

from typing import Any

from xsell.dal import config as config_store
from xsell.models import ConfigItem

KIND = "partner"


def _pk(partner_id: str) -> str:
    return f"{KIND}#{partner_id}"


def get(partner_id: str) -> dict[str, Any] | None:
    """The partner's settings document, or None when it has none (defaults apply)."""
    try:
        item = ConfigItem.get(_pk(partner_id), config_store.CURRENT)
    except ConfigItem.DoesNotExist:
        return None
    data: dict[str, Any] = item.data or {}
    return data


def put(partner_id: str, settings: dict[str, Any]) -> None:
    """Store a partner's settings. Not part of the decide snapshot: no version bump."""
    ConfigItem(_pk(partner_id), config_store.CURRENT, kind=KIND, data=settings).save()


def known_brands() -> frozenset[str]:
    """Brand ids the group has configured: every site's brand, and any ``brand`` item."""
    brands = {str(site["brand"]) for site in config_store.list_kind("site") if site.get("brand")}
    brands |= {str(item["brand_id"]) for item in config_store.list_kind("brand") if item.get("brand_id")}
    return frozenset(brands)
