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


def put_unchecked(docs: dict[tuple[str, str], dict[str, Any] | None], note: str = "test: unchecked") -> int:
    """Publish a new version that is the live one with ``docs`` set (None: removed), written
    straight to storage in decide's form (campaigns with inline creatives) and checked by
    nothing: what an old config, published under looser rules, may hold. The new live version."""
    import datetime as dt

    from xsell.dal import config as store

    version = store.live_version()
    documents = store.load_published(version)
    for key, data in docs.items():
        if data is None:
            documents.pop(key, None)
        else:
            documents[key] = store.Published(key[0], key[1], data, None)
    now = dt.datetime.now(dt.UTC).isoformat()
    header = {"published_by": "test", "started_at": now, "note": note}
    if not store.reserve_version(version + 1, header, stale_before=now):
        raise RuntimeError(f"config version {version + 1} is being published by someone else")
    store.write_documents(version + 1, documents.values())
    if not store.go_live(version + 1, {**header, "published_at": now}):
        raise RuntimeError("the live config version moved meanwhile")
    return version + 1
