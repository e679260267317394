"""The admin operations against the emulators: imports, uploads, tags, secret rotation, previews,
users and pacing, with the role rules and bad input.

The ``local_system`` fixture publishes the demo config; each test module run publishes its own
partners and one extra site next to it (unique ids), so nothing here disturbs the demo.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.request
import uuid
from typing import Any

import boto3
import pytest

from tests.fixtures.csv import BOM, upload
from xsell import env, roles
from xsell.admin import audit, configs
from xsell.admin import operations as ops
from xsell.admin.access import Principal
from xsell.dal import counters as counter_store
from xsell.dal import jobs
from xsell.dal import secrets as secret_store
from xsell.decisioning import leases, service, tokens
from xsell.errors import IdentityRejected, InvalidRequest, NotAllowed, NotFound
from xsell.importing import reports

ADMIN = Principal("ops-admin", "ops-admin@xsell.example", "group-admin", None)
VIEWER = Principal("ops-viewer", "ops-viewer@xsell.example", "viewer", None)
HANA = Principal("ops-hana", "ops-hana@xsell.example", "brand-marketer", "hana")
TABI = Principal("ops-tabi", "ops-tabi@xsell.example", "brand-marketer", "tabi")
UMI = Principal("ops-umi", "ops-umi@xsell.example", "brand-marketer", "umi")


@pytest.fixture(scope="module")
def ids(local_system) -> dict[str, str]:
    """Two partners (one reporting for hana, one group-wide) and a hana site, published."""
    tag = uuid.uuid4().hex[:6]
    names = {
        "hana_partner": f"ops-hana-{tag}",
        "group_partner": f"ops-group-{tag}",
        "unregistered": f"ops-nobody-{tag}",
        "site": f"ops-{tag}-web",
    }
    configs.publish_documents(
        {
            "partner": {
                names["hana_partner"]: {"brands": ["hana"]},
                # The group-wide partner also sends the privileged datasets.
                names["group_partner"]: {
                    "allowed_datasets": ["brand_usage", "erasure", "optouts", "profiles"]
                },
            },
            "site": {names["site"]: {"site_id": names["site"], "brand": "hana", "slots": ["top-banner"]}},
        },
        note="admin operations tests",
    )
    return names


def _upload(
    system: Any, partner: str, text: str, dataset: str = "profiles", *, registered: bool = True
) -> Any:
    """One file under its own key (a second upload to a key replaces the first)."""
    key = f"incoming/{partner}/{dataset}/{uuid.uuid4().hex[:8]}.csv"
    return upload(system, dataset, text, key=key, registered=registered)


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - the local emulator
        assert response.status == 200
        return bytes(response.read())


def _audited(action: str, obj: str) -> list[dict[str, Any]]:
    return audit.search(ADMIN, action=action, obj=obj)


# --- imports ----------------------------------------------------------------------------------


def test_jobs_are_listed_newest_first_and_only_to_those_who_may_see_them(local_system, ids):
    refs = [
        _upload(local_system, ids["hana_partner"], "customer_id\nops-1\n"),
        _upload(local_system, ids["group_partner"], "customer_id\nops-2\n"),
        _upload(local_system, ids["unregistered"], "customer_id\nops-3\n", registered=False),  # rejected
        _upload(local_system, ids["hana_partner"], "customer_id,生年\nops-4,1980\nops-5,soon\n"),
    ]
    local_system.dispatcher.drain()
    mine = {r.job_id for r in refs}

    everything = ops.list_imports(ADMIN, limit=200)
    started = [j["started_at"] for j in everything]
    assert started == sorted(started, reverse=True)  # newest first
    assert mine <= {j["job_id"] for j in everything}
    assert len(ops.list_imports(ADMIN, limit=2)) == 2
    assert [j["job_id"] for j in ops.list_imports(VIEWER, partner=ids["unregistered"])] == [refs[2].job_id]
    listed = ops.list_imports(HANA, limit=200)
    assert {j["job_id"] for j in listed} & mine == {refs[0].job_id, refs[3].job_id}
    assert {j["partner"] for j in listed} <= {
        p for p, doc in ops.AwsBackend().live().of("partner").items() if "hana" in (doc.get("brands") or ())
    }
    assert all(j["job_id"] not in mine for j in ops.list_imports(TABI, limit=200))
    with pytest.raises(NotAllowed):
        ops.list_imports(TABI, partner=ids["hana_partner"])
    with pytest.raises(NotAllowed):  # no brands setting: group admins and viewers only
        ops.list_imports(HANA, partner=ids["group_partner"])

    bad = ops.get_import(HANA, refs[3].job_id)
    assert (bad["status"], bad["counts"]["read"], bad["counts"]["rejected"], bad["progress"]) == (
        "succeeded",
        2,
        1,
        1.0,
    )
    assert bad["file_key"] == refs[3].key and bad["has_errors"] is True and bad["finished_at"]
    with pytest.raises(NotAllowed):
        ops.get_import(HANA, refs[2].job_id)  # an unregistered partner's job is group-wide
    with pytest.raises(NotFound):
        ops.get_import(ADMIN, "0" * 32)
    with pytest.raises(InvalidRequest):
        ops.get_import(ADMIN, jobs.WRITER_LEASE_ID)


def test_the_error_report_downloads_through_a_presigned_url(local_system, ids):
    ref = _upload(local_system, ids["hana_partner"], "customer_id,生年\nops-e1,later\n")
    clean = _upload(local_system, ids["hana_partner"], "customer_id\nops-e2\n")
    local_system.dispatcher.drain()

    answer = ops.import_errors(HANA, ref.job_id)
    assert reports.errors_key(ref.job_id) in answer["url"]
    expires = dt.datetime.fromisoformat(answer["expires_at"]) - dt.datetime.now(dt.UTC)
    assert dt.timedelta(minutes=4) < expires <= dt.timedelta(minutes=5)
    body = _get(answer["url"])
    assert body.startswith(BOM) and "not a whole number" in body.decode("utf-8")
    [entry] = _audited("presign_errors", f"import/{ref.job_id}")
    assert entry["user"] == HANA.user and answer["url"] not in json.dumps(entry)

    with pytest.raises(NotFound, match="no error report"):
        ops.import_errors(ADMIN, clean.job_id)
    with pytest.raises(NotFound):
        ops.import_errors(ADMIN, "f" * 32)
    with pytest.raises(NotAllowed):
        ops.import_errors(UMI, ref.job_id)


# --- uploads ----------------------------------------------------------------------------------


def test_an_upload_url_puts_one_file_for_a_registered_partner(local_system, ids):
    partner = ids["hana_partner"]
    grant = ops.create_upload(HANA, partner, "brand_usage", "usage.csv", expires_in=120)
    assert grant["key"] == f"incoming/{partner}/brand_usage/usage.csv" and grant["method"] == "PUT"
    request = urllib.request.Request(
        grant["url"],
        data=b"customer_id,brand\nops-u1,hana\n",
        method="PUT",
        headers={"Content-Type": "text/csv"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the local emulator
        assert response.status == 200
    boto3.client("s3").head_object(Bucket=local_system.resources.drop_bucket, Key=grant["key"])
    [entry] = _audited("presign_upload", f"partner/{partner}")
    assert entry["detail"]["key"] == grant["key"] and grant["url"] not in json.dumps(entry)
    # Group admins upload erasure files, also for group-wide partners.
    assert ops.create_upload(ADMIN, ids["group_partner"], "erasure", "gone.csv")["key"].endswith(
        "/erasure/gone.csv"
    )


@pytest.mark.parametrize(
    ("who", "partner", "dataset", "filename", "error", "field"),
    [
        (ADMIN, "unregistered", "profiles", "a.csv", InvalidRequest, "partner"),
        (ADMIN, "hana_partner", "orders", "a.csv", InvalidRequest, "dataset"),
        (ADMIN, "hana_partner", "profiles", "a.xlsx", InvalidRequest, "filename"),
        (VIEWER, "hana_partner", "profiles", "a.csv", NotAllowed, None),
        (TABI, "hana_partner", "profiles", "a.csv", NotAllowed, None),
        (HANA, "group_partner", "profiles", "a.csv", NotAllowed, None),
        (HANA, "hana_partner", "erasure", "a.csv", NotAllowed, None),
        (HANA, "hana_partner", "optouts", "a.csv", NotAllowed, None),
        # A group admin cannot mint a URL for a file the importer would refuse: the partner's
        # settings do not allow it erasure.
        (ADMIN, "hana_partner", "erasure", "a.csv", InvalidRequest, "dataset"),
    ],
)
def test_uploads_are_refused(ids, who, partner, dataset, filename, error, field):
    with pytest.raises(error) as refused:
        ops.create_upload(who, ids[partner], dataset, filename)
    if field:
        assert refused.value.field == field


# --- the site tag -----------------------------------------------------------------------------


def test_the_site_tag_carries_the_deployed_urls(ids, monkeypatch):
    monkeypatch.setenv(env.TAG_URL, "https://cdn.example.jp/tag/tag.js")
    monkeypatch.setenv(env.API_URL, "https://cdn.example.jp")
    tag = ops.site_tag(HANA, ids["site"])
    assert tag["configured"] is True
    assert ops.SNIPPET.replace(ops.TAG_PLACEHOLDER, "https://cdn.example.jp/tag/tag.js") in tag["snippet"]
    assert f'"site": "{ids["site"]}"' in tag["snippet"] and "{{xsell identity}}" in tag["gtm"]["snippet"]
    assert tag["slots"] == {"top-banner": '<div data-xsell-slot="top-banner"></div>'}
    with pytest.raises(NotAllowed):
        ops.site_tag(TABI, ids["site"])
    with pytest.raises(NotFound):
        ops.site_tag(ADMIN, "no-such-web")


# --- identity-token secret rotation -----------------------------------------------------------


def decide_accepts(site_id: str, token: str) -> bool:
    body = {"site": site_id, "customer": {"token": token}, "slots": ["top-banner"]}
    try:
        service.decide(body, service.SnapshotCache(ttl=0), pool=leases.Pool(counter_store.STORE))
    except IdentityRejected:
        return False
    return True


def test_a_rotated_secret_stays_valid_for_the_overlap_only(ids, monkeypatch):
    site = ids["site"]
    secret_store.set_site_secret(site, f"first-{uuid.uuid4().hex}")
    old_token = tokens.mint_identity_token(secret_store.site_secret(site), site, "ops-c1")
    assert decide_accepts(site, old_token)

    now = dt.datetime.now(dt.UTC)
    answer = ops.rotate_secret(HANA, site, 2, now=now)
    new_token = tokens.mint_identity_token(answer["secret"].encode(), site, "ops-c1")
    until = dt.datetime.fromisoformat(answer["previous_valid_until"])
    assert until == now.replace(microsecond=0) + dt.timedelta(hours=2)
    assert secret_store.site_secret(site) == answer["secret"].encode()
    assert decide_accepts(site, old_token) and decide_accepts(site, new_token)

    # The same stored secrets, read as decide reads them, once the overlap has ended.
    real = secret_store.site_secrets
    monkeypatch.setattr(
        secret_store, "site_secrets", lambda s, now=None: real(s, until + dt.timedelta(seconds=1))
    )
    assert not decide_accepts(site, old_token)
    assert decide_accepts(site, new_token)
    monkeypatch.setattr(secret_store, "site_secrets", real)

    [entry] = _audited("rotate_secret", f"site/{site}")
    assert entry["user"] == HANA.user and answer["secret"] not in json.dumps(entry)
    assert entry["detail"]["previous_valid_until"] == answer["previous_valid_until"]

    # Overlap 0 (a leaked secret): the old one is refused at once.
    cut = ops.rotate_secret(ADMIN, site, 0)
    assert cut["previous_valid_until"] is None
    assert not decide_accepts(site, new_token)
    assert decide_accepts(site, tokens.mint_identity_token(cut["secret"].encode(), site, "ops-c1"))


def test_a_rotation_that_starts_in_the_past_has_already_ended(ids):
    site = ids["site"]
    secret_store.set_site_secret(site, f"first-{uuid.uuid4().hex}")
    before = tokens.mint_identity_token(secret_store.site_secret(site), site, "ops-c2")
    assert decide_accepts(site, before)
    ops.rotate_secret(ADMIN, site, 1, now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))
    assert not decide_accepts(site, before)


@pytest.mark.parametrize(
    ("who", "site", "overlap", "error"),
    [
        (ADMIN, "site", -1, InvalidRequest),
        (ADMIN, "site", 169, InvalidRequest),
        (ADMIN, "site", "1", InvalidRequest),
        (ADMIN, "no-such-web", 1, NotFound),
        (VIEWER, "site", 1, NotAllowed),
        (TABI, "site", 1, NotAllowed),
        (HANA, "tabi-web", 1, NotAllowed),
    ],
)
def test_rotations_are_refused(ids, who, site, overlap, error):
    site_id = ids.get(site, site)
    stored = secret_store.site_secret(site_id)
    with pytest.raises(error):
        ops.rotate_secret(who, site_id, overlap)
    secret_store.forget()
    assert secret_store.site_secret(site_id) == stored


# --- previews ---------------------------------------------------------------------------------


def test_a_preview_token_shows_the_live_campaign_in_decide(local_system):
    answer = ops.create_preview(TABI, "hana-to-tabi", site_id="hana-web")
    body = {
        "site": "hana-web",
        "customer": {"id": "ops-preview"},
        "slots": ["top-banner"],
        "preview": answer["token"],
    }
    shown = service.decide(body, service.SnapshotCache(ttl=0), pool=leases.Pool(counter_store.STORE))
    assert shown["preview"] is True and shown["slots"]["top-banner"]["campaign_id"] == "hana-to-tabi"
    assert answer["sites"] == ["hana-web"]
    page = local_system.site_urls["hana"].rstrip("/")
    assert answer["urls"] == {"hana-web": f"{page}/?xsell_preview={answer['token']}"}
    [entry] = _audited("mint_preview", "campaign/hana-to-tabi")[:1]
    assert entry["user"] == TABI.user and answer["token"] not in json.dumps(entry)


def test_previews_are_refused(local_system):
    draft_id = f"ops-draft-{uuid.uuid4().hex[:6]}"
    configs.save_document(
        ADMIN,
        "campaign",
        draft_id,
        {
            "campaign_id": draft_id,
            "name": "draft",
            "status": "active",
            "source_sites": ["hana-web"],
            "slots": ["top-banner"],
            "destination_brand": "tabi",
            "creatives": [{"creative_id": "hana-to-tabi-a", "weight": 1}],
        },
        None,
    )
    with pytest.raises(NotFound, match="publish it first"):
        ops.create_preview(ADMIN, draft_id)
    with pytest.raises(NotAllowed):
        ops.create_preview(UMI, "hana-to-tabi")
    with pytest.raises(InvalidRequest):
        ops.create_preview(ADMIN, "hana-to-tabi", creative_id="no-such-creative")
    with pytest.raises(InvalidRequest):
        ops.create_preview(ADMIN, "hana-to-tabi", site_id="umi-web")


# --- users ------------------------------------------------------------------------------------


def test_users_come_from_the_user_pool(aws, emulators, monkeypatch):
    monkeypatch.delenv(env.USER_POOL_ID, raising=False)
    assert ops.list_users(ADMIN) == {"users": [], "configured": False}
    # The test session routes only some services to the emulators; Cognito joins them here.
    monkeypatch.setitem(aws.services, "cognito-idp", emulators.ports["cognito-idp"])
    cognito = boto3.session.Session().client("cognito-idp")
    pool = cognito.create_user_pool(
        PoolName=f"ops-{uuid.uuid4().hex[:6]}",
        Schema=[{"Name": roles.BRAND_ATTRIBUTE, "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]
    for name, (precedence, _) in roles.ROLE_GROUPS.items():
        cognito.create_group(UserPoolId=pool, GroupName=name, Precedence=precedence)
    people = [
        ("ann@xsell.example", [roles.GROUP_ADMIN, roles.VIEWER], None),
        ("bea@xsell.example", [roles.BRAND_MARKETER], "umi"),
        ("cy@xsell.example", [], None),
    ]
    for email, groups, brand in people:
        attributes = [{"Name": "email", "Value": email}]
        if brand:
            attributes.append({"Name": roles.BRAND_CLAIM, "Value": brand})
        cognito.admin_create_user(
            UserPoolId=pool, Username=email, UserAttributes=attributes, MessageAction="SUPPRESS"
        )
        for group in groups:
            cognito.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName=group)
    cognito.admin_disable_user(UserPoolId=pool, Username="cy@xsell.example")
    monkeypatch.setenv(env.USER_POOL_ID, pool)

    answer = ops.list_users(ADMIN)
    assert answer["configured"] is True
    assert [(u["email"], u["role"], u["brand"], u["enabled"]) for u in answer["users"]] == [
        ("ann@xsell.example", roles.GROUP_ADMIN, None, True),
        ("bea@xsell.example", roles.BRAND_MARKETER, "umi", True),
        ("cy@xsell.example", None, None, False),
    ]
    assert all(u["status"] for u in answer["users"])
    for who in (VIEWER, HANA):
        with pytest.raises(NotAllowed):
            ops.list_users(who)


# --- pacing -----------------------------------------------------------------------------------


def _row(answer: dict[str, Any], scope: str, subject: str) -> dict[str, Any]:
    return next(
        r for r in answer["caps"] if (r["scope"], r["subject"], r["metric"]) == (scope, subject, "served")
    )


def test_pacing_follows_what_decide_leases(local_system):
    before = ops.pacing(ADMIN)
    served = service.decide(
        {"site": "hana-web", "customer": {"id": f"ops-pace-{uuid.uuid4().hex[:6]}"}, "slots": ["top-banner"]},
        service.SnapshotCache(ttl=0),
        origin=local_system.site_urls["hana"],  # as the site's page calls: it takes a unit of the cap
        pool=leases.Pool(counter_store.STORE),
    )
    slot = served["slots"]["top-banner"]
    campaign, destination = slot["campaign_id"], slot["destination_brand"]
    after = ops.pacing(ADMIN)

    row = _row(after, "campaign", campaign)
    assert row["used"] == _row(before, "campaign", campaign)["used"] + 1  # one unit leased
    assert (row["limit"], row["remaining"]) == (10000, 10000 - row["used"])
    assert (
        _row(after, "destination", destination)["used"]
        == _row(before, "destination", destination)["used"] + 1
    )
    pair = next(p for p in after["reciprocity"] if (p["source"], p["destination"]) == ("hana", destination))
    earlier = next(
        p for p in before["reciprocity"] if (p["source"], p["destination"]) == ("hana", destination)
    )
    assert pair["started"] is True and pair["credit"] == earlier["credit"] - 1
    assert (pair["ratio"], pair["allowance"]) == (3.0, 1000)

    umi = ops.pacing(UMI)
    assert umi["caps"] and all(
        r["subject"] == "umi" or "umi" in r["subject"] for r in umi["caps"]
    )  # demo campaign ids name both brands
    assert umi["reciprocity"] and all("umi" in (p["source"], p["destination"]) for p in umi["reciprocity"])
    assert len(umi["reciprocity"]) < len(after["reciprocity"])
