"""Publishing config in tests, the way the admin API does it (drafts, then one new version)."""

from __future__ import annotations

from typing import Any

from xsell.admin import configs


def put(kind: str, doc_id: str, doc: dict[str, Any]) -> int:
    """Publish one document as the system; the new live version."""
    return configs.publish_documents({kind: {doc_id: doc}}, note=f"test: {kind} {doc_id}")


def put_campaign(doc: dict[str, Any], brand: str | None = None) -> int:
    """Publish a campaign written with inline creatives (the decide format): each creative goes
    into the library (owned by ``brand``, the destination by default) and the campaign refers to it."""
    owner = brand or doc["destination_brand"]
    library, refs = {}, []
    for creative in doc["creatives"]:
        creative_id = f"{doc['campaign_id']}-{creative['creative_id']}"
        library[creative_id] = {
            "creative_id": creative_id,
            "brand": owner,
            "template": creative["template"],
            "fields": creative["fields"],
        }
        refs.append({"creative_id": creative_id, "weight": creative.get("weight", 1)})
    draft = {**doc, "creatives": refs}
    return configs.publish_documents(
        {"creative": library, "campaign": {doc["campaign_id"]: draft}},
        note=f"test: campaign {doc['campaign_id']}",
    )


def remove(*keys: tuple[str, str]) -> int:
    return configs.publish_documents({}, note="test: remove", remove=keys)


def live(kind: str) -> dict[str, dict[str, Any]]:
    from xsell.dal import config as store

    return store.load(store.live_version()).get(kind, {})
