"""Drafts, approvals and publishing: how a marketer's edit becomes what decide serves.

- Every document (site, creative, campaign, group settings, partner settings) is edited as a
  draft with its own revision; a save names the revision it read, and loses with 409 when
  someone saved in between.
- **Publish** writes one immutable, numbered version: the live documents with every change
  that is *ready* applied. A change is ready when the publisher may publish it (a brand
  marketer: what touches their brand) and, for a cross-brand campaign that will serve, when a
  second person approved exactly this content (the two-person rule; ``two_person_approval`` in
  the group settings turns it off). Pausing or removing never waits for approval.
- **Restore** (roll back) publishes an earlier version's documents again as a new version and
  resets the drafts to them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from xsell.admin import audit, documents, images
from xsell.admin.access import Principal
from xsell.admin.diff import changes as diff_changes
from xsell.admin.documents import (
    AFFINITY,
    CAMPAIGN,
    COMPUTED_KINDS,
    CREATIVE,
    GROUP,
    KINDS,
    PARTNER,
    SITE,
    Context,
)
from xsell.dal import config as store
from xsell.dal.config import Draft, Published
from xsell.decisioning import catalog
from xsell.errors import Conflict, InvalidRequest, NotAllowed, NotFound
from xsell.reporting import affinity

STALE_PUBLISH = dt.timedelta(minutes=2)  # a publish that died this long ago no longer holds its number
SYSTEM = Principal(user="system", email="", role="group-admin", brand=None)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def image_hosts() -> frozenset[str]:
    """The host uploaded creative images are served from, if this stage has one."""
    host = images.public_host()
    return frozenset({host}) if host else frozenset()


@dataclass
class Workspace:
    """The live version and every draft: what listings, validation and publishing read."""

    version: int
    live: dict[tuple[str, str], Published]
    drafts: dict[tuple[str, str], Draft]

    @classmethod
    def load(cls, kinds: Iterable[str] = KINDS) -> Workspace:
        """The live version and the drafts of ``kinds`` (all by default: what a write checks)."""
        return cls(*store.workspace(kinds))

    def draft_form(self, kind: str, doc_id: str) -> dict[str, Any] | None:
        """The document as the drafts have it now (None: deleted or never made)."""
        draft = self.drafts.get((kind, doc_id))
        if draft is not None:
            return None if draft.deleted else draft.data
        published = self.live.get((kind, doc_id))
        return published.draft if published is not None else None

    def draft_docs(self, kind: str) -> dict[str, dict[str, Any]]:
        ids = {i for k, i in (*self.drafts, *self.live) if k == kind}
        return {i: doc for i in sorted(ids) if (doc := self.draft_form(kind, i)) is not None}

    def live_docs(self, kind: str) -> dict[str, dict[str, Any]]:
        return {i: p.data for (k, i), p in self.live.items() if k == kind}

    def context(self) -> Context:
        """Drafts as they stand: what a draft is checked against when saved."""
        return Context(
            self.draft_docs(SITE),
            self.draft_docs(CREATIVE),
            self.draft_form(GROUP, catalog.GROUP_ID) or {},
            image_hosts(),
        )

    def target(self, kind: str, doc_id: str) -> dict[str, Any] | None:
        """What publishing this draft would make live (a campaign with its creatives inlined)."""
        doc = self.draft_form(kind, doc_id)
        if doc is None or kind != CAMPAIGN:
            return doc
        return documents.materialize(doc, self.draft_docs(CREATIVE))

    def brands(self, kind: str, *docs: Mapping[str, Any] | None) -> frozenset[str] | None:
        sites = {**self.live_docs(SITE), **self.draft_docs(SITE)}
        found: set[str] = set()
        for doc in docs:
            if doc is None:
                continue
            brands = documents.brands_of(kind, doc, sites)
            if brands is None:
                return None
            found |= brands
        return frozenset(found)

    def two_person_rule(self) -> bool:
        return bool((self.draft_form(GROUP, catalog.GROUP_ID) or {}).get("two_person_approval", True))


# --- approvals --------------------------------------------------------------------------------


def needs_approval(ws: Workspace, target: Mapping[str, Any] | None, live: Mapping[str, Any] | None) -> bool:
    """A cross-brand campaign that will serve, changed: a second person must approve it."""
    if target is None or target == live or target.get("status") != "active" or not ws.two_person_rule():
        return False
    brands = ws.brands(CAMPAIGN, target)
    return brands is None or len(brands) > 1


def approval_status(ws: Workspace, doc_id: str) -> dict[str, Any]:
    """``not_needed``, ``missing``, ``requested``, ``approved``, ``rejected`` or ``stale``."""
    draft = ws.drafts.get((CAMPAIGN, doc_id))
    live = ws.live.get((CAMPAIGN, doc_id))
    try:
        target = ws.target(CAMPAIGN, doc_id)
    except InvalidRequest as exc:
        return {"status": "invalid", "message": str(exc)}
    if not needs_approval(ws, target, live.data if live else None):
        return {"status": "not_needed"}
    approval = dict((draft.meta.get("approval") if draft else None) or {})
    fingerprint = documents.fingerprint(target)
    if not approval:
        return {"status": "missing", "fingerprint": fingerprint}
    status = approval["state"] if approval.get("fingerprint") == fingerprint else "stale"
    return {**approval, "status": status, "fingerprint": fingerprint}


def _campaign_draft(ws: Workspace, principal: Principal, doc_id: str) -> Draft:
    draft = ws.drafts.get((CAMPAIGN, doc_id))
    if draft is None or draft.deleted:
        raise NotFound(f"no campaign draft {doc_id!r}")
    principal.require_read(ws.brands(CAMPAIGN, draft.data), f"campaign {doc_id!r}")
    return draft


def _set_approval(
    principal: Principal, ws: Workspace, draft: Draft, approval: dict[str, Any], action: str
) -> dict[str, Any]:
    meta = {**draft.meta, "approval": approval}
    saved = store.save_draft(CAMPAIGN, draft.doc_id, draft.data, meta, draft.rev)
    brands = ws.brands(CAMPAIGN, draft.data)
    audit.record(principal, action, f"campaign/{draft.doc_id}", brands, detail=approval)
    ws.drafts[(CAMPAIGN, draft.doc_id)] = saved
    return describe(ws, principal, CAMPAIGN, draft.doc_id)


def request_approval(principal: Principal, doc_id: str, comment: str = "") -> dict[str, Any]:
    ws = Workspace.load()
    draft = _campaign_draft(ws, principal, doc_id)
    principal.require_write(ws.brands(CAMPAIGN, draft.data), f"campaign {doc_id!r}")
    status = approval_status(ws, doc_id)
    if status["status"] in ("not_needed", "invalid"):
        raise Conflict(
            f"campaign {doc_id!r} needs no approval ({status.get('message', 'nothing that serves changed')})",
            code="approval_not_needed",
        )
    approval = {
        "state": "requested",
        "fingerprint": status["fingerprint"],
        "requested_by": principal.email or principal.user,
        "requested_brand": principal.brand,
        "requested_at": _now().isoformat(timespec="seconds"),
        "comment": _comment(comment),
    }
    return _set_approval(principal, ws, draft, approval, "request_approval")


def _comment(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 1000:
        raise InvalidRequest("comment must be a text of at most 1000 characters", "comment")
    return value


def _check_second_person(
    principal: Principal, ws: Workspace, draft: Draft, requested: dict[str, Any]
) -> None:
    editors = {draft.meta.get("updated_by"), requested.get("requested_by")} - {None}
    if (principal.email or principal.user) in editors:
        raise NotAllowed("a second person must approve: you edited or asked for approval of this campaign")
    if principal.is_admin:
        return
    brands = ws.brands(CAMPAIGN, draft.data) or frozenset()
    editor_brands = {draft.meta.get("editor_brand"), requested.get("requested_brand")} - {None}
    if principal.brand not in brands or principal.brand in editor_brands:
        raise NotAllowed("the other brand's marketer or a group admin must approve this campaign")


def decide_approval(
    principal: Principal, doc_id: str, *, approve: bool, fingerprint: str | None = None, comment: str = ""
) -> dict[str, Any]:
    """Approve or reject the campaign's current content (``fingerprint``: what the approver saw)."""
    ws = Workspace.load()
    draft = _campaign_draft(ws, principal, doc_id)
    principal.require_write(ws.brands(CAMPAIGN, draft.data), f"campaign {doc_id!r}")
    status = approval_status(ws, doc_id)
    if status["status"] in ("not_needed", "invalid"):
        raise Conflict(f"campaign {doc_id!r} has nothing waiting for approval", code="approval_not_needed")
    if fingerprint is not None and fingerprint != status["fingerprint"]:
        raise Conflict(
            f"campaign {doc_id!r} changed since you looked at it; review it again",
            current=status,
            code="changed_since_review",
        )
    _check_second_person(principal, ws, draft, status)
    approval = {
        **{k: v for k, v in status.items() if k not in ("status",)},
        "state": "approved" if approve else "rejected",
        "decided_by": principal.email or principal.user,
        "decided_at": _now().isoformat(timespec="seconds"),
        "decision_comment": _comment(comment),
    }
    return _set_approval(principal, ws, draft, approval, "approve" if approve else "reject")


# --- drafts -----------------------------------------------------------------------------------


def describe(ws: Workspace, principal: Principal, kind: str, doc_id: str) -> dict[str, Any]:
    """One document as the admin page shows it: draft, live form, state, diff, approval."""
    draft = ws.drafts.get((kind, doc_id))
    live = ws.live.get((kind, doc_id))
    if draft is None and live is None:
        raise NotFound(f"no {kind} {doc_id!r}")
    data = ws.draft_form(kind, doc_id)
    principal.require_read(ws.brands(kind, data, live.data if live else None), f"{kind} {doc_id!r}")
    try:
        target = ws.target(kind, doc_id)
        problem = None
    except InvalidRequest as exc:
        target, problem = data, {"message": str(exc), "field": exc.field}
    live_data = live.data if live else None
    state = (
        "deleted"
        if data is None
        else "new"
        if live is None
        else "published"
        if target == live_data
        else "changed"
    )
    found: dict[str, Any] = {
        "kind": kind,
        "id": doc_id,
        "rev": draft.rev if draft else 0,
        "data": data,
        "state": state,
        "live": live_data,
        "live_version": ws.version,
        "diff": diff_changes(live_data, target) if state != "published" else [],
        "updated_by": draft.meta.get("updated_by") if draft else None,
        "updated_at": draft.meta.get("updated_at") if draft else None,
        "brands": sorted(ws.brands(kind, data, live_data) or ()),
    }
    if problem:
        found["problem"] = problem
    if kind == CAMPAIGN:
        found["approval"] = approval_status(ws, doc_id)
        found["resolved"] = target
    return found


def list_documents(principal: Principal, kind: str) -> list[dict[str, Any]]:
    documents.spec(kind)
    principal.require_read()
    # What describing a document reads besides its own kind: sites (brands), creatives (a
    # campaign's resolved form) and the group settings (approvals); partner drafts only for partners.
    ws = Workspace.load(dict.fromkeys((kind, SITE, CREATIVE, GROUP)))
    ids = sorted({i for k, i in (*ws.drafts, *ws.live) if k == kind})
    found = []
    for doc_id in ids:
        data, live = ws.draft_form(kind, doc_id), ws.live.get((kind, doc_id))
        if data is None and live is None:
            continue  # deleted before it was ever published
        if principal.covers(ws.brands(kind, data, live.data if live else None)):
            found.append(describe(ws, principal, kind, doc_id))
    return found


def group_brands(principal: Principal) -> list[str]:
    """The brands a campaign may name as its destination: those with a site in the drafts (what
    a saved campaign is checked against). Only their ids: a brand marketer sees no other brand's
    sites, yet must be able to pick where a campaign sends customers."""
    principal.require_read()
    sites = Workspace.load((SITE,)).draft_docs(SITE)
    return sorted({str(site["brand"]) for site in sites.values() if site.get("brand")})


def get_document(principal: Principal, kind: str, doc_id: str) -> dict[str, Any]:
    documents.spec(kind)
    return describe(Workspace.load(), principal, kind, doc_id)


def _check_identity(kind: str, doc_id: str, data: Any) -> None:
    documents.check_id(kind, doc_id)
    id_field = documents.spec(kind).id_field
    if isinstance(data, dict) and id_field is not None and data.get(id_field, doc_id) != doc_id:
        raise InvalidRequest(
            f"{kind}.{id_field} must equal the id in the path ({doc_id!r})", f"{kind}.{id_field}"
        )


def save_document(
    principal: Principal, kind: str, doc_id: str, data: Any, expected_rev: int | None
) -> dict[str, Any]:
    """Validate and save a draft; 409 with the current draft when ``expected_rev`` is stale."""
    kind_spec = documents.spec(kind)
    _check_identity(kind, doc_id, data)
    principal.require_read()
    if not principal.can_write:
        raise NotAllowed("your role can only read")
    if isinstance(data, dict) and kind_spec.id_field is not None:
        data = {kind_spec.id_field: doc_id, **data}
    ws = Workspace.load()
    before = ws.draft_form(kind, doc_id)
    if before is not None:  # someone else's document: refused before anything about it is said
        principal.require_write(ws.brands(kind, before), f"{kind} {doc_id!r}")
    kind_spec.validate(data, ws.context(), path=kind)
    principal.require_write(ws.brands(kind, data), f"this {kind}")
    draft = ws.drafts.get((kind, doc_id))
    if expected_rev is None and draft is not None and not draft.deleted:
        raise Conflict(f"{kind} {doc_id!r} exists already", current=draft.public(), code="exists")
    if expected_rev is None and draft is not None:
        expected_rev = draft.rev  # re-creating what was deleted
    if expected_rev is not None and draft is None and expected_rev != 0:
        raise Conflict(f"{kind} {doc_id!r} has no draft at rev {expected_rev}", code="conflict")
    meta = {
        "updated_by": principal.email or principal.user,
        "updated_at": _now().isoformat(timespec="seconds"),
        "editor_brand": principal.brand,
    }
    store.save_draft(kind, doc_id, data, meta, expected_rev or None)
    audit.record(
        principal, "save", f"{kind}/{doc_id}", ws.brands(kind, data, before), before=before, after=data
    )
    return get_document(principal, kind, doc_id)


def _users_of(ws: Workspace, kind: str, doc_id: str) -> list[str]:
    """Campaign drafts that still use a creative or a site (they block its removal)."""
    users = []
    for campaign_id, doc in ws.draft_docs(CAMPAIGN).items():
        if kind == CREATIVE and doc_id in documents._ids(doc):
            users.append(campaign_id)
        if kind == SITE and doc_id in doc.get("source_sites", ()):
            users.append(campaign_id)
    return users


def delete_document(principal: Principal, kind: str, doc_id: str, expected_rev: int) -> dict[str, Any]:
    """Mark a draft deleted; publishing removes it from the live config."""
    documents.spec(kind)
    if kind == GROUP:
        raise InvalidRequest("group settings cannot be deleted, only changed", "kind")
    ws = Workspace.load()
    before = ws.draft_form(kind, doc_id)
    if before is None:
        raise NotFound(f"no {kind} {doc_id!r}")
    principal.require_write(ws.brands(kind, before), f"{kind} {doc_id!r}")
    users = _users_of(ws, kind, doc_id)
    if users:
        raise Conflict(f"{kind} {doc_id!r} is used by campaign(s) {', '.join(users)}", code="in_use")
    draft = ws.drafts.get((kind, doc_id))
    if expected_rev != (draft.rev if draft else 0):
        raise Conflict(
            f"{kind} {doc_id!r} is at rev {draft.rev if draft else 0}, not {expected_rev}",
            current=draft.public() if draft else None,
        )
    meta = {
        "updated_by": principal.email or principal.user,
        "updated_at": _now().isoformat(timespec="seconds"),
        "editor_brand": principal.brand,
        "deleted": True,
    }
    store.save_draft(kind, doc_id, before, meta, draft.rev if draft else None)
    audit.record(principal, "delete", f"{kind}/{doc_id}", ws.brands(kind, before), before=before)
    return {"kind": kind, "id": doc_id, "deleted": True}


# --- publishing -------------------------------------------------------------------------------


@dataclass
class Change:
    kind: str
    doc_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    brands: frozenset[str] | None
    ready: bool = True
    reason: str | None = None
    approval: dict[str, Any] = field(default_factory=dict)

    @property
    def action(self) -> str:
        return "add" if self.before is None else "remove" if self.after is None else "change"

    def public(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.doc_id,
            "action": self.action,
            "brands": sorted(self.brands) if self.brands is not None else [],
            "ready": self.ready,
            "reason": self.reason,
            "diff": diff_changes(self.before, self.after),
            **({"approval": self.approval} if self.approval else {}),
        }


def _may_publish(principal: Principal, brands: frozenset[str] | None) -> bool:
    if principal.is_admin:
        return True
    return principal.can_write and brands is not None and principal.brand in brands


def plan(ws: Workspace, principal: Principal, *, skip_approval: bool = False) -> list[Change]:
    """Every draft that differs from the live version, and whether this publisher can publish it."""
    found = []
    for kind, doc_id in sorted(ws.drafts):
        live = ws.live.get((kind, doc_id))
        live_data = live.data if live else None
        try:
            target = ws.target(kind, doc_id)
        except InvalidRequest as exc:
            brands = ws.brands(kind, ws.draft_form(kind, doc_id), live_data)
            found.append(Change(kind, doc_id, live_data, live_data, brands, False, f"invalid: {exc}"))
            continue
        if target == live_data:
            continue
        change = Change(kind, doc_id, live_data, target, ws.brands(kind, target, live_data))
        if kind == CAMPAIGN:
            change.approval = approval_status(ws, doc_id)
        if not _may_publish(principal, change.brands):
            change.ready, change.reason = False, "outside_your_brands"
        elif (
            kind == CAMPAIGN
            and not skip_approval
            and change.approval.get("status") not in ("not_needed", "approved")
        ):
            change.ready, change.reason = False, "waits_for_approval"
        found.append(change)
    return [c for c in found if principal.covers(c.brands)]


def preview(principal: Principal) -> dict[str, Any]:
    principal.require_read()
    ws = Workspace.load()
    return {"live_version": ws.version, "changes": [c.public() for c in plan(ws, principal)]}


def _validate_version(docs: dict[tuple[str, str], dict[str, Any]]) -> None:
    """The new version as a whole: every campaign's sites, brands, creatives and ranks exist."""
    by_kind: dict[str, dict[str, dict[str, Any]]] = {kind: {} for kind in (*KINDS, *COMPUTED_KINDS)}
    for (kind, doc_id), doc in docs.items():
        by_kind[kind][doc_id] = doc
    group = by_kind[GROUP].get(catalog.GROUP_ID, {})
    context = Context(by_kind[SITE], by_kind[CREATIVE], group, image_hosts())
    checks: list[tuple[str, str, Callable[[Any], object]]] = [
        *((SITE, i, lambda d: documents.validate_site(d, context)) for i in by_kind[SITE]),
        *((GROUP, i, lambda d: documents.validate_group(d, context)) for i in by_kind[GROUP]),
        *((PARTNER, i, lambda d: documents.validate_partner(d, context)) for i in by_kind[PARTNER]),
        *((CREATIVE, i, lambda d: documents.validate_creative(d, context)) for i in by_kind[CREATIVE]),
        *(
            (
                CAMPAIGN,
                i,
                lambda d: catalog.validate_campaign(
                    d, sites=context.sites, brands=context.brands, rank_scales=group.get("rank_scales", {})
                ),
            )
            for i in by_kind[CAMPAIGN]
        ),
        *((AFFINITY, i, affinity.check) for i in by_kind[AFFINITY]),
    ]
    for kind, doc_id, check in checks:
        try:
            check(by_kind[kind][doc_id])
        except InvalidRequest as exc:
            raise InvalidRequest(
                f"publishing would leave {kind} {doc_id!r} invalid: {exc}", f"{kind}/{doc_id}:{exc.field}"
            ) from exc


def _write_version(
    ws: Workspace, principal: Principal, docs: dict[tuple[str, str], Published], header: dict[str, Any]
) -> int:
    version = ws.version + 1
    started = _now()
    header = {**header, "published_by": principal.email or principal.user, "started_at": started.isoformat()}
    if not store.reserve_version(version, header, stale_before=(started - STALE_PUBLISH).isoformat()):
        raise Conflict("another publish is running; try again in a moment", code="publish_in_progress")
    store.write_documents(version, docs.values())
    header["published_at"] = _now().isoformat(timespec="seconds")
    if not store.go_live(version, header):
        raise Conflict("someone else published meanwhile; review the changes again", code="version_moved")
    return version


def _as_published(kind: str, doc_id: str, data: dict[str, Any], draft: dict[str, Any] | None) -> Published:
    return Published(kind, doc_id, data, draft if kind == CAMPAIGN else None)


def publish(
    principal: Principal,
    *,
    note: str = "",
    expected_version: int | None = None,
    only: list[str] | None = None,
    skip_approval: bool = False,
) -> dict[str, Any]:
    """Make every ready change live as one new version; 409 when nothing is ready."""
    principal.require_read()
    if not principal.can_write:
        raise NotAllowed("your role can only read")
    ws = Workspace.load()
    if expected_version is not None and expected_version != ws.version:
        raise Conflict(
            f"the live version is {ws.version}, not {expected_version}; review the changes again",
            current={"live_version": ws.version},
            code="version_moved",
        )
    changes = plan(ws, principal, skip_approval=skip_approval)
    ready = [c for c in changes if c.ready and (only is None or f"{c.kind}/{c.doc_id}" in only)]
    if not ready:
        raise Conflict(
            "nothing is ready to publish",
            current={"changes": [c.public() for c in changes]},
            code="nothing_to_publish",
        )
    docs = {key: p for key, p in ws.live.items()}
    for c in ready:
        if c.after is None:
            docs.pop((c.kind, c.doc_id), None)
        else:
            docs[(c.kind, c.doc_id)] = _as_published(
                c.kind, c.doc_id, c.after, ws.draft_form(c.kind, c.doc_id)
            )
    _validate_version({key: p.data for key, p in docs.items()})
    summary = [{"kind": c.kind, "id": c.doc_id, "action": c.action} for c in ready]
    held = [{"kind": c.kind, "id": c.doc_id, "reason": c.reason} for c in changes if c not in ready]
    header = {"note": _comment(note), "changes": summary, "held": held}
    version = _write_version(ws, principal, docs, header)
    brands = {b for c in ready for b in (c.brands or ())}
    audit.record(
        principal, "publish", f"version/{version}", brands or None, detail={**header, "version": version}
    )
    return {"version": version, "published": summary, "held": held}


def restore(principal: Principal, version: int, note: str = "") -> dict[str, Any]:
    """Roll back: publish ``version``'s documents again as a new version, and reset the drafts."""
    principal.require_admin("roll back to an earlier version")
    ws = Workspace.load()
    old = store.load_published(version) if 0 < version <= ws.version else {}
    if not old:
        raise NotFound(f"no published version {version}")
    header = {
        "note": _comment(note),
        "restored_from": version,
        "changes": [{"kind": k, "id": i, "action": "restore"} for k, i in sorted(old)],
        "held": [],
    }
    new_version = _write_version(ws, principal, old, header)
    now = _now().isoformat(timespec="seconds")
    for key in sorted(set(ws.drafts) | {k for k in old if k[0] not in COMPUTED_KINDS}):
        draft, published = ws.drafts.get(key), old.get(key)
        data = (published.draft or published.data) if published else (draft.data if draft else {})
        meta = {"updated_by": principal.email or principal.user, "updated_at": now, "restored_from": version}
        if published is None:
            meta["deleted"] = True
        store.save_draft(key[0], key[1], data, meta, draft.rev if draft else None)
    audit.record(principal, "restore", f"version/{new_version}", None, detail=header)
    return {"version": new_version, "restored_from": version}


def history(principal: Principal, limit: int = 50) -> list[dict[str, Any]]:
    principal.require_read()
    return store.versions(limit=limit)


def version_detail(principal: Principal, version: int) -> dict[str, Any]:
    principal.require_read()
    header = store.version_header(version)
    if header is None:
        raise NotFound(f"no published version {version}")
    published = store.load_published(version)
    sites = {i: p.data for (k, i), p in published.items() if k == SITE}
    visible = [
        {"kind": k, "id": i, "data": p.data}
        for (k, i), p in sorted(published.items())
        if principal.covers(documents.brands_of(k, p.data, sites))
    ]
    return {**header, "documents": visible}


# --- documents the system computes -----------------------------------------------------------


def publish_computed(
    kind: str,
    doc_id: str,
    data: dict[str, Any],
    note: str,
    same: Callable[[Mapping[str, Any], Mapping[str, Any]], bool] = lambda old, new: old == new,
) -> int:
    """Publish a document the system computes (one of ``COMPUTED_KINDS``, e.g. brand affinity)
    as a new version: the live version's documents with this one set. Drafts stay as they are and
    nothing waits for approval, since nothing a marketer wrote changes; audited as the system.
    When ``same(live, data)`` the live version already says it: nothing is published and the
    live version is returned."""
    if kind not in COMPUTED_KINDS:
        raise ValueError(f"{kind!r} is not a computed kind ({', '.join(COMPUTED_KINDS)})")
    ws = Workspace.load(kinds=())
    live = ws.live.get((kind, doc_id))
    if live is not None and same(live.data, data):
        return ws.version
    docs = {**ws.live, (kind, doc_id): Published(kind, doc_id, data, None)}
    _validate_version({key: p.data for key, p in docs.items()})
    change = {"kind": kind, "id": doc_id, "action": "update" if live is not None else "create"}
    header = {"note": _comment(note), "changes": [change], "held": []}
    version = _write_version(ws, SYSTEM, docs, header)
    audit.record(SYSTEM, "publish", f"version/{version}", None, detail={**header, "version": version})
    return version


# --- seeding ----------------------------------------------------------------------------------


def publish_documents(
    docs: Mapping[str, Mapping[str, dict[str, Any]]],
    note: str,
    *,
    remove: Iterable[tuple[str, str]] = (),
) -> int:
    """Set the drafts of ``{kind: {id: doc}}`` (and delete ``remove``) and publish exactly those
    as the system (demo seeding, tests, first install): validated like any publish, audited, no
    approval asked. Other pending drafts stay pending. Returns the live version."""
    ws = Workspace.load()
    meta: dict[str, Any] = {"updated_by": SYSTEM.user, "updated_at": _now().isoformat(timespec="seconds")}
    changes = [(kind, doc_id, data, meta) for kind, by_id in docs.items() for doc_id, data in by_id.items()]
    for kind, doc_id in remove:
        data = ws.draft_form(kind, doc_id)
        if data is not None:
            changes.append((kind, doc_id, data, {**meta, "deleted": True}))
    written = []
    try:
        for kind, doc_id, data, change_meta in changes:
            draft = ws.drafts.get((kind, doc_id))
            written.append(
                (draft, store.save_draft(kind, doc_id, data, change_meta, draft.rev if draft else None))
            )
        only = [f"{kind}/{doc_id}" for kind, doc_id, _, _ in changes]
        return int(publish(SYSTEM, note=note, only=only, skip_approval=True)["version"])
    except Conflict as exc:
        if exc.code == "nothing_to_publish":
            return store.live_version()
        _put_back(written)
        raise
    except Exception:
        _put_back(written)
        raise


def _put_back(written: list[tuple[Draft | None, Draft]]) -> None:
    """Undo the drafts a failed system publish wrote: nothing of it is left pending."""
    for before, after in reversed(written):
        meta = before.meta if before is not None else {**after.meta, "deleted": True}
        data = before.data if before is not None else after.data
        store.save_draft(after.kind, after.doc_id, data, meta, after.rev)
