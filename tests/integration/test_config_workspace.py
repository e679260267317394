"""The admin API's view of the config (live version + drafts), read in one request."""

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


def test_the_drafts_of_several_kinds_come_in_one_request_page_by_page(local_system, monkeypatch):
    one_by_one = {(d.kind, d.doc_id): d for kind in KINDS for d in store.drafts(kind)}
    assert len(one_by_one) > 3
    requests: list[dict] = []
    client = store._client()
    execute = client.execute_statement

    def counted(**request):
        requests.append(request)
        return execute(**request)

    monkeypatch.setattr(client, "execute_statement", counted)
    paged = store.drafts_of(KINDS, page_size=2)
    assert {(d.kind, d.doc_id): d for d in paged} == one_by_one and len(paged) == len(one_by_one)
    assert len(requests) >= len(one_by_one) // 2 and all(r["ConsistentRead"] for r in requests)
    requests.clear()
    assert {(d.kind, d.doc_id) for d in store.drafts_of([SITE, SITE])} == {
        k for k in one_by_one if k[0] == SITE
    }
    assert len(requests) == 1
    # It names its partitions: the SELECT the admin role's Deny of full table scans lets through.
    assert requests[0]["Statement"].endswith("WHERE pk IN [?]")
    assert requests[0]["Parameters"] == [{"S": f"draft#{SITE}"}]
    assert store.drafts_of([]) == [] and len(requests) == 1


def test_the_pointer_and_the_drafts_come_in_one_statement(local_system, monkeypatch):
    store.workspace([GROUP])  # the live version's documents are in memory from now on
    client = store._client()
    calls: list[str] = []
    for name in ("execute_statement", "get_item", "query", "scan"):
        method = getattr(client, name)
        monkeypatch.setattr(client, name, lambda _m=method, _n=name, **kw: (calls.append(_n), _m(**kw))[1])
    version, _, drafts = store.workspace([CAMPAIGN, SITE])
    assert calls == ["execute_statement"]
    assert version == store.live_version() > 0
    assert set(drafts) == {(d.kind, d.doc_id) for kind in (CAMPAIGN, SITE) for d in store.drafts(kind)}


def test_before_anything_is_published_the_workspace_is_version_zero(local_system, monkeypatch):
    from xsell.dal import aws

    monkeypatch.setattr(store, "POINTER", {"pk": {"S": "pointer"}, "sk": {"S": "no-such-pointer"}})
    aws.reset()
    version, published, drafts = store.workspace([SITE])
    assert (version, published) == (0, {})
    assert drafts and {kind for kind, _ in drafts} == {SITE}


def test_a_list_answers_as_the_full_workspace_describes_each_document(local_system):
    full = configs.Workspace.load()
    for kind in (SITE, CREATIVE, CAMPAIGN, PARTNER):
        listed = configs.list_documents(ADMIN, kind)
        ids = {i for k, i in (*full.drafts, *full.live) if k == kind}
        shown = sorted(i for i in ids if full.draft_form(kind, i) is not None or (kind, i) in full.live)
        assert shown, kind
        assert [d["id"] for d in listed] == shown, kind
        assert listed == [configs.describe(full, ADMIN, kind, d["id"]) for d in listed], kind


def _counting_version_reads(monkeypatch) -> list[int]:
    """The versions whose documents are read from the table from now on."""
    reads: list[int] = []
    items = store._version_items

    def counted(version: int):
        reads.append(version)
        return items(version)

    monkeypatch.setattr(store, "_version_items", counted)
    return reads


def test_a_live_version_is_read_from_the_table_once_and_a_new_one_as_soon_as_it_is_live(
    local_system, monkeypatch
):
    from tests.configs import put_unchecked

    store.workspace([GROUP])  # whatever was read before: the live version is in memory now
    reads = _counting_version_reads(monkeypatch)
    version, published, _ = store.workspace(KINDS)
    assert reads == []
    assert published == store.load_published(version)  # load_published itself always reads
    assert reads == [version]

    newer = put_unchecked({}, note="test: a version read once")
    assert newer == version + 1
    reads.clear()  # publishing read the old version
    again, republished, _ = store.workspace(KINDS)
    assert (again, reads) == (newer, [newer])
    store.workspace([CAMPAIGN])
    assert reads == [newer]  # the second time: from memory
    assert republished == store.load_published(newer)


def test_what_a_workspace_gives_may_be_changed_without_changing_the_next(local_system):
    version, published, _ = store.workspace([GROUP])
    key = next(iter(published))
    published[key].data["changed by the caller"] = True
    if published[key].draft is not None:
        published[key].draft["changed by the caller"] = True
    published.clear()
    _, fresh, _ = store.workspace([GROUP])
    assert fresh == store.load_published(version)
    assert "changed by the caller" not in fresh[key].data


def test_only_the_last_versions_are_kept_and_reset_forgets_them(local_system, monkeypatch):
    from tests.configs import put_unchecked
    from xsell.dal import aws

    first = store.workspace([GROUP])[0]
    for n in range(store.LIVE_VERSIONS_KEPT):
        put_unchecked({}, note=f"test: keep {n}")
        store.workspace([GROUP])
    kept = store._live_versions()
    assert len(kept) == store.LIVE_VERSIONS_KEPT
    assert all(version > first for _, version in kept)

    reads = _counting_version_reads(monkeypatch)
    aws.reset()
    version = store.workspace([GROUP])[0]
    assert reads == [version]  # the clients' endpoints may have changed: so may the tables
