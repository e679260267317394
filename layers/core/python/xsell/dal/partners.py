"""Partner settings (``partner`` items in the config table) and the brands a file may name.

A partner's settings are one JSON document (see docs/csv-formats.md): its file
encoding, extra header names per dataset, whether unknown columns are kept as
attributes, which brands it may report for and its own names for them. Group admins
edit it as a draft and publish it with the rest of the config (:mod:`xsell.admin.configs`);
the importer reads the live version. Validating it is :mod:`xsell.importing.mappings`.
"""

from __future__ import annotations

from typing import Any

from xsell.dal import config as config_store

KIND = "partner"


def get(partner_id: str) -> dict[str, Any] | None:
    """The partner's published settings document, or None when it has none (defaults apply)."""
    return config_store.live_document(KIND, partner_id)


def known_brands() -> frozenset[str]:
    """Brand ids the group has configured: the brand of every published site."""
    return frozenset(str(site["brand"]) for site in config_store.live_documents("site") if site.get("brand"))
