"""The admin API's view of the config (live version + drafts), read with its queries side by side."""

from __future__ import annotations

from xsell.admin import configs
from xsell.admin.access import Principal
from xsell.admin.documents import CAMPAIGN, CREATIVE, GROUP, KINDS, PARTNER, SITE
from xsell.dal import config as store

ADMIN = Principal("ws-admin", "ws-admin@xsell.example", "group-admin", None)


def test_the_workspace_is_what_the_reads_one_by_one_give(local_system):
    version, published, drafts = store.workspace(KINDS)
    assert version == store.live_version() > 0
    assert published == store.load_published(version)
    assert drafts == {(d.kind, d.doc_id): d for kind in KINDS for d in store.drafts(kind)}
    _, _, some = store.workspace([CAMPAIGN, GROUP])
    assert some and {kind for kind, _ in some} <= {CAMPAIGN, GROUP}


def test_a_list_answers_as_the_full_workspace_describes_each_document(local_system):
    full = configs.Workspace.load()
    for kind in (SITE, CREATIVE, CAMPAIGN, PARTNER):
        listed = configs.list_documents(ADMIN, kind)
        ids = {i for k, i in (*full.drafts, *full.live) if k == kind}
        shown = sorted(i for i in ids if full.draft_form(kind, i) is not None or (kind, i) in full.live)
        assert shown, kind
        assert [d["id"] for d in listed] == shown, kind
        assert listed == [configs.describe(full, ADMIN, kind, d["id"]) for d in listed], kind
