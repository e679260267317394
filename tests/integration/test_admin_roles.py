"""Every admin route, called over HTTP as each role: what each may do, and a refusal writes nothing.

Roles: a group admin, a hana brand marketer, a viewer, and a signed-in user in no group. The
targets are chosen so that nothing here changes the demo config the other tests read: writes
by the admin either aim at documents made for this module or stop at a check after access
(a 400, 404 or 409 proves the role got through); the others must be refused with 403.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from demo.users import PASSWORD
from local.openapi import DOCUMENT
from tests import admin_api
from xsell import roles
from xsell.admin import audit
from xsell.admin.access import Principal
from xsell.dal import config as store

TAG = uuid.uuid4().hex[:6]
MINE, FOREIGN = "hana-to-tabi", "tabi-to-umi"  # a campaign touching hana, and one that does not
SITE = f"roles-{TAG}-web"  # an umi site of this module's own, whose secret may really rotate
ROLES = ("admin", "hana", "viewer", "nobody")
OK, NO = 200, 403

# (method, path, body or None, {role: status}); paths are filled in per module below.
CASES: list[tuple[str, str, Any, dict[str, int]]] = [
    ("GET", "/health", None, dict(admin=OK, hana=OK, viewer=OK, nobody=OK)),
    ("GET", "/me", None, dict(admin=OK, hana=OK, viewer=OK, nobody=OK)),
    ("GET", "/sites", None, dict(admin=OK, hana=OK, viewer=OK, nobody=NO)),
    ("GET", "/creatives", None, dict(admin=OK, hana=OK, viewer=OK, nobody=NO)),
    ("GET", "/campaigns", None, dict(admin=OK, hana=OK, viewer=OK, nobody=NO)),
    ("GET", "/partners", None, dict(admin=OK, hana=OK, viewer=OK, nobody=NO)),
    ("GET", "/brands", None, dict(admin=OK, hana=OK, viewer=OK, nobody=NO)),
    ("GET", "/sites/umi-web", None, dict(admin=OK, hana=NO, viewer=OK, nobody=NO)),
    ("GET", f"/creatives/{FOREIGN}-a", None, dict(admin=OK, hana=NO, viewer=OK, nobody=NO)),
    ("GET", f"/campaigns/{FOREIGN}", None, dict(admin=OK, hana=NO, viewer=OK, nobody=NO)),
    ("GET", f"/campaigns/{MINE}", None, dict(admin=OK, hana=OK, viewer=OK, nobody=NO)),
    ("GET", "/partners/demo-group", None, dict(admin=OK, hana=OK, viewer=OK, nobody=NO)),
    ("PUT", "/sites/umi-web", "site", dict(admin=409, hana=NO, viewer=NO, nobody=NO)),
    ("PUT", f"/creatives/{FOREIGN}-a", "creative", dict(admin=409, hana=NO, viewer=NO, nobody=NO)),
    ("PUT", f"/campaigns/{FOREIGN}", "campaign", dict(admin=409, hana=NO, viewer=NO, nobody=NO)),
    (
        "PUT",
        f"/partners/roles-{TAG}",
        {"data": {"brands": ["umi"]}},
        dict(admin=OK, hana=NO, viewer=NO, nobody=NO),
    ),
    ("DELETE", "/sites/umi-web?rev=0", None, dict(admin=409, hana=NO, viewer=NO, nobody=NO)),
    ("DELETE", f"/creatives/{FOREIGN}-a?rev=0", None, dict(admin=409, hana=NO, viewer=NO, nobody=NO)),
    ("DELETE", f"/campaigns/{FOREIGN}?rev=0", None, dict(admin=409, hana=NO, viewer=NO, nobody=NO)),
    ("DELETE", f"/partners/roles-{TAG}?rev=0", None, dict(admin=409, hana=NO, viewer=NO, nobody=NO)),
    ("GET", "/settings", None, dict(admin=OK, hana=OK, viewer=OK, nobody=NO)),
    ("PUT", "/settings", {"data": {"surprise": 1}, "rev": 1}, dict(admin=400, hana=NO, viewer=NO, nobody=NO)),
    ("POST", f"/campaigns/{FOREIGN}/approval-request", {}, dict(admin=409, hana=NO, viewer=NO, nobody=NO)),
    ("POST", f"/campaigns/{FOREIGN}/approve", {}, dict(admin=409, hana=NO, viewer=NO, nobody=NO)),
    ("POST", f"/campaigns/{FOREIGN}/reject", {}, dict(admin=409, hana=NO, viewer=NO, nobody=NO)),
    ("GET", "/publish", None, dict(admin=OK, hana=OK, viewer=OK, nobody=NO)),
    ("POST", "/publish", {"only": [f"campaign/none-{TAG}"]}, dict(admin=409, hana=409, viewer=NO, nobody=NO)),
    ("GET", "/versions", None, dict(admin=OK, hana=OK, viewer=OK, nobody=NO)),
    ("GET", "/versions/1", None, dict(admin=OK, hana=OK, viewer=OK, nobody=NO)),
    ("POST", "/versions/999999/restore", {}, dict(admin=404, hana=NO, viewer=NO, nobody=NO)),
    ("GET", "/audit", None, dict(admin=OK, hana=OK, viewer=OK, nobody=NO)),
    ("GET", "/audit/export", None, dict(admin=OK, hana=OK, viewer=OK, nobody=NO)),
    ("GET", "/imports", None, dict(admin=OK, hana=OK, viewer=OK, nobody=NO)),
    ("GET", f"/imports/none-{TAG}", None, dict(admin=404, hana=404, viewer=404, nobody=NO)),
    ("GET", f"/imports/none-{TAG}/errors", None, dict(admin=404, hana=404, viewer=404, nobody=NO)),
    (
        "POST",
        "/uploads",
        {"partner": "demo-group", "dataset": "erasure", "filename": "x.csv"},
        dict(admin=OK, hana=NO, viewer=NO, nobody=NO),
    ),
    (
        "POST",
        "/creative-images",
        {"content_type": "image/png", "size": 10, "sha256": "A" * 43 + "="},
        dict(admin=OK, hana=OK, viewer=NO, nobody=NO),
    ),
    ("GET", "/sites/umi-web/tag", None, dict(admin=OK, hana=NO, viewer=OK, nobody=NO)),
    ("POST", f"/sites/{SITE}/secret", {"overlap_hours": 1}, dict(admin=OK, hana=NO, viewer=NO, nobody=NO)),
    # Group admins only; a short overlap (it would void referral tokens in flight) is refused.
    ("POST", "/signing-key", {"overlap_days": 1}, dict(admin=400, hana=NO, viewer=NO, nobody=NO)),
    ("POST", "/previews", {"campaign_id": FOREIGN}, dict(admin=OK, hana=NO, viewer=OK, nobody=NO)),
    (
        "POST",
        "/previews/explain",
        {"site_id": "umi-web", "slot": "top-banner", "customer_id": "C000001"},
        dict(admin=OK, hana=NO, viewer=OK, nobody=NO),
    ),
    ("GET", "/users", None, dict(admin=OK, hana=NO, viewer=NO, nobody=NO)),
    ("GET", "/pacing", None, dict(admin=OK, hana=OK, viewer=OK, nobody=NO)),
    ("GET", "/reports", None, dict(admin=OK, hana=OK, viewer=OK, nobody=NO)),
    ("GET", "/reports/pairs", None, dict(admin=OK, hana=OK, viewer=OK, nobody=NO)),
    ("GET", "/reports/pairs/export", None, dict(admin=OK, hana=OK, viewer=OK, nobody=NO)),
]


def _template(path: str) -> str:
    """``/campaigns/x?rev=0`` -> ``/admin/v1/campaigns/{doc_id}``, as the document names it."""
    parts = path.split("?")[0].strip("/").split("/")
    names = {
        "sites": "doc_id", "creatives": "doc_id", "campaigns": "doc_id", "partners": "doc_id",
        "versions": "version", "imports": "job_id", "reports": "name",
    }  # fmt: skip
    if parts[0] == "sites" and len(parts) == 3:
        names["sites"] = "site_id"
    out = [parts[0]] + [
        f"{{{names[parts[0]]}}}" if n == 1 and parts[0] in names else p for n, p in enumerate(parts[1:], 1)
    ]
    return "/admin/v1/" + "/".join(out)


def test_every_admin_route_has_a_case_for_every_role():
    document = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    documented = {
        (m.upper(), p) for p, ops in document["paths"].items() if p.startswith("/admin/") for m in ops
    }
    covered = {(method, _template(path)) for method, path, _, _ in CASES}
    assert covered == documented
    assert all(set(expected) == set(ROLES) for *_, expected in CASES)


@pytest.fixture(scope="module")
def tokens(local_system) -> dict[str, str]:
    from xsell.admin import configs

    site = {"site_id": SITE, "brand": "umi", "origins": ["https://roles.example.jp"], "allow_raw_id": True}
    configs.publish_documents({"site": {SITE: site}}, note="test: roles")
    pool = local_system.user_pool
    made = {
        "admin": (roles.GROUP_ADMIN, None),
        "hana": (roles.BRAND_MARKETER, "hana"),
        "viewer": (roles.VIEWER, None),
        "nobody": (roles.VIEWER, None),
    }
    found = {}
    for name, (role, brand) in made.items():
        email = f"roles-{name}-{TAG}@xsell.example"
        pool.create_user(email, PASSWORD, role, brand)
        if name == "nobody":  # signed in, but in no group at all
            pool.call(
                "AdminRemoveUserFromGroup",
                UserPoolId=pool.settings().user_pool_id,
                Username=email,
                GroupName=role,
            )
        found[name] = pool.sign_in(email, PASSWORD)["id_token"]
    return found


def _body(kind: Any) -> Any:
    """A save of the stored draft from a stale revision: access is checked first, then the rev."""
    if not isinstance(kind, str):
        return kind
    doc_id = {"site": "umi-web", "creative": f"{FOREIGN}-a", "campaign": FOREIGN}[kind]
    return {"data": store.draft(kind, doc_id).data, "rev": 0}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "body", "expected"), CASES, ids=[f"{m} {p}" for m, p, _, _ in CASES]
)
def test_each_role_gets_exactly_what_it_may(local_system, tokens, role, method, path, body, expected):
    drafts_before = {k: store.drafts(k) for k in ("site", "creative", "campaign")}
    status, answer = admin_api.call(local_system, tokens[role], method, path, _body(body))
    assert status == expected[role], answer[:300]
    if status == NO:
        assert json.loads(answer)["error"] == "forbidden"
        assert {k: store.drafts(k) for k in drafts_before} == drafts_before  # a refusal writes nothing


def test_a_refusal_leaves_no_audit_entry(local_system, tokens):
    admin = Principal("auditor", "auditor@xsell.example", roles.GROUP_ADMIN, None)
    before = len(audit.search(admin, obj=f"campaign/{FOREIGN}"))
    assert (
        admin_api.call(local_system, tokens["hana"], "PUT", f"/campaigns/{FOREIGN}", _body("campaign"))[0]
        == NO
    )
    assert len(audit.search(admin, obj=f"campaign/{FOREIGN}")) == before
