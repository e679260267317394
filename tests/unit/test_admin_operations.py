"""The admin operations on an in-memory backend: role rules, validation, shapes and audit."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import pytest

from xsell import env, signing
from xsell.admin import operations as ops
from xsell.admin.access import Principal
from xsell.dal import secrets as secret_store
from xsell.decisioning import engine, service, tokens, volume
from xsell.decisioning.request import DecideRequest
from xsell.errors import IdentityRejected, InvalidRequest, NotAllowed, NotFound
from xsell.importing.presign import UploadUrl
from xsell.models.jobs import ImportJob

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 12, 1, 14, 30, tzinfo=dt.UTC)
KEY = b"unit-signing-key"

ADMIN = Principal("admin", "admin@x.example", "group-admin", None)
VIEWER = Principal("viewer", "viewer@x.example", "viewer", None)
HANA = Principal("hana-user", "hana@x.example", "brand-marketer", "hana")
TABI = Principal("tabi-user", "tabi@x.example", "brand-marketer", "tabi")
UMI = Principal("umi-user", "umi@x.example", "brand-marketer", "umi")
NOBODY = Principal("lost", "lost@x.example", None, None)


def _site(brand: str) -> dict[str, Any]:
    return {
        "site_id": f"{brand}-web",
        "brand": brand,
        "origins": [f"https://{brand}.example.jp"],
        "slots": ["top", "side"],
    }


def _campaign(campaign_id: str, source: str, destination: str, **extra: Any) -> dict[str, Any]:
    link = f"https://{destination}.example.jp/"
    return {
        "campaign_id": campaign_id,
        "status": "active",
        "source_sites": [f"{source}-web"],
        "slots": ["top"],
        "destination_brand": destination,
        "creatives": [
            {
                "creative_id": "a",
                "template": "text_card",
                "weight": 1,
                "fields": {"title": "A", "link_url": link},
            },
            {
                "creative_id": "off",
                "template": "text_card",
                "weight": 0,
                "fields": {"title": "B", "link_url": link},
            },
        ],
        **extra,
    }


def live_docs() -> dict[str, dict[str, dict[str, Any]]]:
    return {
        "site": {f"{b}-web": _site(b) for b in ("hana", "tabi", "umi")},
        "campaign": {
            "hana-to-tabi": _campaign(
                "hana-to-tabi",
                "hana",
                "tabi",
                caps=[
                    {"metric": "served", "period": "day", "limit": 100},
                    {"metric": "clicks", "period": "total", "limit": 10},
                ],
                schedule={"timezone": "Europe/Berlin"},
            ),
            "umi-to-tabi": _campaign(
                "umi-to-tabi",
                "umi",
                "tabi",
                status="paused",
                caps=[{"metric": "served", "period": "week", "limit": 50}],
            ),
        },
        "group": {
            "default": {
                "destination_caps": {
                    "tabi": [{"metric": "served", "period": "day", "limit": 1000}],
                    "umi": [{"metric": "clicks", "period": "month", "limit": 300}],
                },
                "reciprocity": {
                    "period": "day",
                    "default": {"ratio": 2, "allowance": 5},
                    "pairs": {"umi>hana": None, "hana>umi": None, "tabi>umi": None, "umi>tabi": None},
                },
            }
        },
        "partner": {
            "hana-partner": {"brands": ["hana"]},
            "tabi-partner": {"brands": ["tabi"]},
            # The group-wide partner also sends the privileged datasets.
            "group-partner": {"allowed_datasets": ["brand_usage", "erasure", "optouts", "profiles"]},
        },
    }


def job(job_id: str, partner: str, minutes: int, **extra: Any) -> ImportJob:
    return ImportJob(
        job_id,
        partner=partner,
        dataset=extra.pop("dataset", "profiles"),
        object_key=f"incoming/{partner}/profiles/{job_id}.csv",
        started_at=NOW + dt.timedelta(minutes=minutes),
        **extra,
    )


class FakeBackend:
    """The operations' Backend, in memory; it records what it was asked to do."""

    def __init__(self, docs: dict[str, dict[str, dict[str, Any]]] | None = None) -> None:
        self.docs = live_docs() if docs is None else docs
        self.jobs: dict[str, ImportJob] = {}
        self.settings: dict[str, str] = {}
        self.counts: dict[tuple[str, str, str, str], int] = {}
        self.ledgers: dict[tuple[str, str, str], tuple[float, int]] = {}
        self.user_pool: list[dict[str, Any]] | None = None
        self.audit: list[dict[str, Any]] = []
        self.rotated: list[tuple[str, str, dt.datetime, dt.datetime]] = []
        self.presigned: list[tuple[str, str, int, str]] = []
        self.recent_calls = 0

    def add(self, *jobs: ImportJob) -> None:
        self.jobs.update({j.job_id: j for j in jobs})

    def live(self) -> ops.Live:
        return ops.Live(7, self.docs)

    def _newest(self, jobs: list[ImportJob], limit: int) -> list[ImportJob]:
        return sorted(jobs, key=lambda j: j.started_at, reverse=True)[:limit]

    def recent_jobs(self, limit: int) -> list[ImportJob]:
        self.recent_calls += 1
        return self._newest(list(self.jobs.values()), limit)

    def partner_jobs(self, partner: str, limit: int) -> list[ImportJob]:
        return self._newest([j for j in self.jobs.values() if j.partner == partner], limit)

    def job(self, job_id: str) -> ImportJob | None:
        return self.jobs.get(job_id)

    def presign_get(self, bucket: str, key: str, expires_in: int, filename: str) -> str:
        self.presigned.append((bucket, key, expires_in, filename))
        return f"https://s3.example/{bucket}/{key}?X-Amz-Signature=get"

    def upload_url(self, partner: str, dataset: str, filename: str, expires_in: int) -> UploadUrl:
        key = f"incoming/{partner}/{dataset}/{filename}"
        return UploadUrl(
            f"https://s3.example/{key}?X-Amz-Signature=put",
            "PUT",
            key,
            NOW + dt.timedelta(seconds=expires_in),
        )

    def signing_key(self) -> bytes:
        return KEY

    def rotate_site_secret(self, site_id: str, secret: str, until: dt.datetime, now: dt.datetime) -> bool:
        self.rotated.append((site_id, secret, until, now))
        return until > now

    def served(self, scope: str, subject: str, period_key: str) -> int:
        return self.counts.get(("served", scope, subject, period_key), 0)

    def clicks(self, scope: str, subject: str, period_key: str) -> int:
        return self.counts.get(("clicks", scope, subject, period_key), 0)

    def ledger(self, source: str, destination: str, period_key: str) -> tuple[float, int]:
        return self.ledgers.get((source, destination, period_key), (math.nan, 0))

    def users(self) -> list[dict[str, Any]] | None:
        return self.user_pool

    def setting(self, name: str) -> str | None:
        return self.settings.get(name)

    def record(self, principal, action, obj, brands, detail) -> None:
        self.audit.append(
            {"user": principal.user, "action": action, "object": obj, "brands": brands, "detail": detail}
        )


@pytest.fixture
def backend() -> FakeBackend:
    fake = FakeBackend()
    fake.add(
        job("j-hana-1", "hana-partner", 1),
        job("j-tabi-1", "tabi-partner", 2),
        job("j-group-1", "group-partner", 3),
        job("j-hana-2", "hana-partner", 4, errors_key="results/j-hana-2/errors.csv", object_bucket="drop"),
        job("j-nobody", "unregistered", 5),
    )
    return fake


# --- the snippet ------------------------------------------------------------------------------


def test_the_kept_snippet_is_the_built_one():
    built = ROOT / "tag" / "dist" / "snippet.min.js"
    if not built.is_file():
        pytest.skip("tag/dist is not built (npm run build:tag)")
    assert built.read_text(encoding="utf-8").strip() == ops.SNIPPET


# --- imports ----------------------------------------------------------------------------------


def test_a_job_shows_its_counts_and_live_progress():
    running = job(
        "j1",
        "p",
        0,
        object_size=1000,
        offset=200,
        progress_offset=500,
        progress_rows=40,
        rows_read=10,
        rows_imported=8,
        rows_rejected=2,
        status="running",
    )
    view = ops.job_view(running)
    assert view["progress"] == 0.5 and view["rows_done"] == 40 and view["bytes_done"] == 500
    assert view["counts"]["read"] == 10 and view["counts"]["rejected"] == 2
    assert view["file_key"] == "incoming/p/profiles/j1.csv" and view["has_errors"] is False
    assert view["started_at"] == "2026-12-01T14:30:00+00:00" and view["finished_at"] is None
    done = job("j2", "p", 0, object_size=1000, offset=1000, status="succeeded", rows_read=12)
    assert ops.job_view(done)["progress"] == 1.0 and ops.job_view(done)["rows_done"] == 12
    assert ops.job_view(job("j3", "p", 0))["progress"] is None  # size not known yet


def test_group_admins_and_viewers_list_every_job_newest_first(backend):
    for who in (ADMIN, VIEWER):
        listed = [j["job_id"] for j in ops.list_imports(who, backend=backend)]
        assert listed == ["j-nobody", "j-hana-2", "j-group-1", "j-tabi-1", "j-hana-1"]
    assert [j["job_id"] for j in ops.list_imports(ADMIN, limit=2, backend=backend)] == [
        "j-nobody",
        "j-hana-2",
    ]
    assert [j["job_id"] for j in ops.list_imports(VIEWER, partner="tabi-partner", backend=backend)] == [
        "j-tabi-1"
    ]


def test_a_brand_marketer_lists_only_partners_reporting_for_their_brand(backend):
    assert [j["job_id"] for j in ops.list_imports(HANA, backend=backend)] == ["j-hana-2", "j-hana-1"]
    assert [j["job_id"] for j in ops.list_imports(HANA, limit=1, backend=backend)] == ["j-hana-2"]
    assert ops.list_imports(UMI, backend=backend) == []
    assert backend.recent_calls == 0  # a marketer's list never reads every partner's jobs
    with pytest.raises(NotAllowed):
        ops.list_imports(HANA, partner="tabi-partner", backend=backend)
    with pytest.raises(NotAllowed):  # no brands setting: group admins and viewers only
        ops.list_imports(HANA, partner="group-partner", backend=backend)
    with pytest.raises(NotAllowed):
        ops.list_imports(NOBODY, backend=backend)


@pytest.mark.parametrize(("limit", "partner"), [(0, None), (201, None), (True, None), (5, "Bad/Partner")])
def test_bad_listing_parameters_are_refused(backend, limit, partner):
    with pytest.raises(InvalidRequest):
        ops.list_imports(ADMIN, limit=limit, partner=partner, backend=backend)


def test_one_job_is_shown_to_whoever_may_see_its_partner(backend):
    assert ops.get_import(HANA, "j-hana-1", backend=backend)["partner"] == "hana-partner"
    assert ops.get_import(VIEWER, "j-nobody", backend=backend)["job_id"] == "j-nobody"
    with pytest.raises(NotAllowed):
        ops.get_import(TABI, "j-hana-1", backend=backend)
    with pytest.raises(NotAllowed):  # an unregistered partner is group-wide
        ops.get_import(HANA, "j-nobody", backend=backend)
    with pytest.raises(NotFound):
        ops.get_import(ADMIN, "missing", backend=backend)
    with pytest.raises(InvalidRequest):  # never a key of another item of the jobs table
        ops.get_import(ADMIN, "writer#profiles", backend=backend)


def test_the_error_report_is_a_short_lived_audited_download(backend):
    answer = ops.import_errors(HANA, "j-hana-2", now=NOW, backend=backend)
    assert answer["url"].startswith("https://s3.example/drop/results/j-hana-2/errors.csv")
    assert answer["expires_at"] == "2026-12-01T14:35:00+00:00"
    assert backend.presigned == [("drop", "results/j-hana-2/errors.csv", 300, "errors-j-hana-2.csv")]
    [entry] = backend.audit
    assert (entry["action"], entry["object"], entry["brands"]) == (
        "presign_errors",
        "import/j-hana-2",
        {"hana"},
    )
    assert answer["url"] not in json.dumps(entry, default=sorted)
    with pytest.raises(NotFound, match="no error report"):
        ops.import_errors(ADMIN, "j-hana-1", backend=backend)
    with pytest.raises(NotAllowed):
        ops.import_errors(TABI, "j-hana-2", backend=backend)
    assert len(backend.audit) == 1


# --- uploads ----------------------------------------------------------------------------------


def test_an_upload_url_is_for_one_file_of_a_registered_partner(backend):
    answer = ops.create_upload(HANA, "hana-partner", "profiles", "members.csv", backend=backend)
    assert answer["method"] == "PUT" and answer["key"] == "incoming/hana-partner/profiles/members.csv"
    assert answer["expires_at"] == "2026-12-01T14:45:00+00:00" and answer["headers"] == {}
    [entry] = backend.audit
    assert (entry["action"], entry["object"], entry["detail"]["dataset"]) == (
        "presign_upload",
        "partner/hana-partner",
        "profiles",
    )
    assert answer["url"] not in json.dumps(entry, default=sorted)
    assert ops.create_upload(ADMIN, "group-partner", "erasure", "gone.csv", backend=backend)["key"].endswith(
        "/erasure/gone.csv"
    )


@pytest.mark.parametrize(
    ("who", "partner", "dataset", "filename", "error", "field"),
    [
        (ADMIN, "nobody", "profiles", "a.csv", InvalidRequest, "partner"),
        (ADMIN, "hana-partner", "orders", "a.csv", InvalidRequest, "dataset"),
        (ADMIN, "hana-partner", "profiles", "../a.csv", InvalidRequest, "filename"),
        (ADMIN, "hana-partner", "profiles", 5, InvalidRequest, "filename"),
        (VIEWER, "hana-partner", "profiles", "a.csv", NotAllowed, None),
        (TABI, "hana-partner", "profiles", "a.csv", NotAllowed, None),
        (HANA, "group-partner", "profiles", "a.csv", NotAllowed, None),
        (HANA, "hana-partner", "erasure", "a.csv", NotAllowed, None),
        (HANA, "hana-partner", "optouts", "a.csv", NotAllowed, None),
        # Not even a group admin gets a URL for a file the importer would refuse.
        (ADMIN, "hana-partner", "erasure", "a.csv", InvalidRequest, "dataset"),
    ],
)
def test_uploads_refused(backend, who, partner, dataset, filename, error, field):
    with pytest.raises(error) as caught:
        ops.create_upload(who, partner, dataset, filename, backend=backend)
    if field:
        assert caught.value.field == field
    assert backend.audit == []


@pytest.mark.parametrize("expires_in", [59, 3601, "900", None])
def test_upload_lifetimes_are_bounded(backend, expires_in):
    with pytest.raises(InvalidRequest) as caught:
        ops.create_upload(ADMIN, "hana-partner", "profiles", "a.csv", expires_in=expires_in, backend=backend)
    assert caught.value.field == "expires_in"


# --- the site tag -----------------------------------------------------------------------------


def test_the_tag_is_ready_to_paste_with_the_deployed_urls(backend):
    backend.settings = {
        env.TAG_URL: "https://cdn.example.jp/tag/tag.js",
        env.API_URL: "https://cdn.example.jp/",
    }
    tag = ops.site_tag(HANA, "hana-web", backend=backend)
    assert tag["configured"] is True
    assert (
        '"https://cdn.example.jp/tag/tag.js"' in tag["snippet"] and ops.TAG_PLACEHOLDER not in tag["snippet"]
    )
    assert 'xsell("init", {"site": "hana-web", "api": "https://cdn.example.jp"});' in tag["snippet"]
    assert tag["snippet"].startswith("<script>\n") and tag["snippet"].endswith("</script>")
    assert 'xsell("convert", {' in tag["conversion_tag"]
    assert tag["slots"] == {
        "side": '<div data-xsell-slot="side"></div>',
        "top": '<div data-xsell-slot="top"></div>',
    }
    gtm = tag["gtm"]
    assert "{{xsell identity}}" in gtm["snippet"] and '"https://cdn.example.jp/tag/tag.js"' in gtm["snippet"]
    assert "currentScript" not in gtm["snippet"] and "document.currentScript" in gtm["instructions"]
    assert "=>" not in gtm["snippet"] and "let " not in gtm["snippet"]  # ES5 for Tag Manager


def test_without_deployed_urls_the_tag_keeps_visible_placeholders(backend):
    tag = ops.site_tag(VIEWER, "tabi-web", backend=backend)
    assert tag["configured"] is False and tag["tag_url"] is None
    assert ops.TAG_PLACEHOLDER in tag["snippet"] and "__XSELL_API_URL__" in tag["snippet"]


def test_a_configured_url_cannot_close_the_script_element(backend):
    backend.settings = {env.TAG_URL: 'https://cdn.example.jp/</script><script>alert(1)//"'}
    snippet = ops.site_tag(ADMIN, "hana-web", backend=backend)["snippet"]
    assert snippet.count("</script>") == 1 and '\\"' in snippet


def test_site_tag_refusals(backend):
    with pytest.raises(NotAllowed):
        ops.site_tag(TABI, "hana-web", backend=backend)
    with pytest.raises(NotFound):
        ops.site_tag(ADMIN, "shop-web", backend=backend)
    with pytest.raises(InvalidRequest):
        ops.site_tag(ADMIN, "bad site", backend=backend)


# --- secrets ----------------------------------------------------------------------------------


def test_a_rotation_shows_the_new_secret_once_and_audits_without_it(backend):
    answer = ops.rotate_secret(HANA, "hana-web", 6, now=NOW, backend=backend)
    [(site, secret, until, now)] = backend.rotated
    assert (site, secret, until, now) == ("hana-web", answer["secret"], NOW + dt.timedelta(hours=6), NOW)
    assert len(secret) >= 40
    assert answer["previous_valid_until"] == "2026-12-01T20:30:00+00:00"
    assert answer["use_from"] == "2026-12-01T14:35:00+00:00"  # decide caches the secret for 5 minutes
    [entry] = backend.audit
    assert (entry["action"], entry["object"], entry["brands"]) == ("rotate_secret", "site/hana-web", {"hana"})
    assert secret not in json.dumps(entry, default=sorted)
    assert ops.rotate_secret(ADMIN, "tabi-web", 0, now=NOW, backend=backend)["previous_valid_until"] is None
    assert ops.rotate_secret(ADMIN, "umi-web", now=NOW, backend=backend)["previous_valid_until"] == (
        "2026-12-02T14:30:00+00:00"
    )


@pytest.mark.parametrize(
    ("who", "site", "overlap", "error"),
    [
        (ADMIN, "hana-web", -1, InvalidRequest),
        (ADMIN, "hana-web", 169, InvalidRequest),
        (ADMIN, "hana-web", "24", InvalidRequest),
        (ADMIN, "hana-web", True, InvalidRequest),
        (ADMIN, "shop-web", 24, NotFound),
        (VIEWER, "hana-web", 24, NotAllowed),
        (TABI, "hana-web", 24, NotAllowed),
        (NOBODY, "hana-web", 24, NotAllowed),
    ],
)
def test_rotation_refusals(backend, who, site, overlap, error):
    with pytest.raises(error):
        ops.rotate_secret(who, site, overlap, now=NOW, backend=backend)
    assert backend.rotated == [] and backend.audit == []


def test_site_secrets_keep_the_previous_one_only_while_it_is_valid(monkeypatch):
    document = {
        "sites": {"hana-web": "new"},
        "previous": {"hana-web": {"secret": "old", "valid_until": "2026-12-01T15:00:00+00:00"}},
    }
    # Site secrets are read from the sites secret, never from the deployment secret.
    monkeypatch.setattr(
        secret_store, "_document", lambda which: document if which == secret_store.SITES else {}
    )
    assert secret_store.site_secrets("hana-web", NOW) == (b"new", b"old")
    assert secret_store.site_secrets("hana-web", NOW + dt.timedelta(minutes=30)) == (b"new",)
    assert secret_store.site_secrets("tabi-web", NOW) == ()
    document["previous"]["hana-web"]["valid_until"] = "soon"
    assert secret_store.site_secrets("hana-web", NOW) == (b"new",)


def test_decide_accepts_identity_tokens_signed_with_either_secret(monkeypatch):
    secrets = {"hana-web": (b"new", b"old")}
    monkeypatch.setattr(secret_store, "site_secrets", lambda site_id, now=None: secrets.get(site_id, ()))
    site = engine.Site("hana-web", "hana")

    def customer(token: str) -> str:
        return service._customer_id(DecideRequest("hana-web", None, token, ("top",), None), site)

    assert customer(tokens.mint_identity_token(b"new", "hana-web", "C1")) == "C1"
    assert customer(tokens.mint_identity_token(b"old", "hana-web", "C2")) == "C2"
    with pytest.raises(IdentityRejected, match="bad signature"):
        customer(tokens.mint_identity_token(b"other", "hana-web", "C3"))
    with pytest.raises(IdentityRejected, match="expired"):  # judged by the secret that signed it
        customer(signing.sign(b"old", "identity", {"sub": "C4", "site": "hana-web"}, -10))
    secrets["hana-web"] = (b"new",)
    with pytest.raises(IdentityRejected, match="bad signature"):
        customer(tokens.mint_identity_token(b"old", "hana-web", "C2"))
    secrets["hana-web"] = ()
    with pytest.raises(IdentityRejected, match="no identity secret"):
        customer(tokens.mint_identity_token(b"new", "hana-web", "C1"))


# --- previews ---------------------------------------------------------------------------------


def test_a_preview_token_names_the_live_campaign_and_is_audited(backend):
    answer = ops.create_preview(HANA, "hana-to-tabi", site_id="hana-web", creative_id="a", backend=backend)
    assert tokens.preview_target(KEY, answer["token"]) == ("hana-to-tabi", "a", "hana-web")
    expires = dt.datetime.fromisoformat(answer["expires_at"])
    assert abs((expires - dt.datetime.now(dt.UTC)).total_seconds() - tokens.PREVIEW_TTL) < 5
    assert answer["sites"] == ["hana-web"]
    assert answer["urls"] == {"hana-web": f"https://hana.example.jp/?xsell_preview={answer['token']}"}
    [entry] = backend.audit
    assert (entry["action"], entry["object"], entry["brands"]) == (
        "mint_preview",
        "campaign/hana-to-tabi",
        {"hana", "tabi"},
    )
    assert answer["token"] not in json.dumps(entry, default=sorted)
    anywhere = ops.create_preview(VIEWER, "umi-to-tabi", backend=backend)  # paused: previews show any status
    assert tokens.preview_target(KEY, anywhere["token"]) == ("umi-to-tabi", None, None)
    assert anywhere["sites"] == ["umi-web"]


@pytest.mark.parametrize(
    ("who", "asked", "error", "match"),
    [
        (ADMIN, {"campaign_id": "draft-only"}, NotFound, "publish it first"),
        (ADMIN, {"campaign_id": "hana-to-tabi", "creative_id": "zzz"}, InvalidRequest, "creative_id"),
        (ADMIN, {"campaign_id": "hana-to-tabi", "creative_id": "off"}, InvalidRequest, "creative_id"),
        (ADMIN, {"campaign_id": "hana-to-tabi", "site_id": "tabi-web"}, InvalidRequest, "source sites"),
        (ADMIN, {"campaign_id": 5}, InvalidRequest, "campaign_id"),
        (UMI, {"campaign_id": "hana-to-tabi"}, NotAllowed, "umi"),
    ],
)
def test_preview_refusals(backend, who, asked, error, match):
    campaign_id = asked.pop("campaign_id")
    with pytest.raises(error, match=match):
        ops.create_preview(who, campaign_id, backend=backend, **asked)
    assert backend.audit == []


# --- users ------------------------------------------------------------------------------------


def test_users_are_for_group_admins_with_their_role_and_brand(backend):
    assert ops.list_users(ADMIN, backend=backend) == {"users": [], "configured": False}
    backend.user_pool = [
        {
            "username": "u2",
            "attributes": {"email": "b@x.example", "custom:brand": "hana"},
            "groups": ["viewer", "brand-marketer"],
            "enabled": True,
            "status": "CONFIRMED",
        },
        {
            "username": "u1",
            "attributes": {"email": "a@x.example"},
            "groups": [],
            "enabled": False,
            "status": "FORCE_CHANGE_PASSWORD",
        },
    ]
    assert ops.list_users(ADMIN, backend=backend) == {
        "configured": True,
        "users": [
            {
                "username": "u1",
                "email": "a@x.example",
                "role": None,
                "brand": None,
                "enabled": False,
                "status": "FORCE_CHANGE_PASSWORD",
            },
            {
                "username": "u2",
                "email": "b@x.example",
                "role": "brand-marketer",
                "brand": "hana",
                "enabled": True,
                "status": "CONFIRMED",
            },
        ],
    }
    for who in (VIEWER, HANA, NOBODY):
        with pytest.raises(NotAllowed):
            ops.list_users(who, backend=backend)


# --- pacing -----------------------------------------------------------------------------------


def test_pacing_reads_each_cap_in_its_current_period(backend):
    berlin_day = volume.period(NOW, "Europe/Berlin", "day")[0]
    tokyo_day = volume.period(NOW, "Asia/Tokyo", "day")[0]
    backend.counts[("served", "campaign", "hana-to-tabi", berlin_day)] = 25
    backend.counts[("clicks", "campaign", "hana-to-tabi", "total")] = 12
    backend.counts[("served", "destination", "tabi", tokyo_day)] = 400
    backend.counts[("served", "destination", "tabi", berlin_day + "x")] = 999  # another period: never read
    backend.ledgers[("hana", "tabi", tokyo_day)] = (3.5, 7)
    answer = ops.pacing(ADMIN, now=NOW, backend=backend)
    assert answer["config_version"] == 7
    rows = {(r["scope"], r["subject"], r["metric"]): r for r in answer["caps"]}
    assert set(rows) == {
        ("campaign", "hana-to-tabi", "served"),
        ("campaign", "hana-to-tabi", "clicks"),
        ("campaign", "umi-to-tabi", "served"),
        ("destination", "tabi", "served"),
        ("destination", "umi", "clicks"),
    }
    served = rows[("campaign", "hana-to-tabi", "served")]
    assert (served["period_key"], served["limit"], served["used"], served["remaining"], served["share"]) == (
        berlin_day,
        100,
        25,
        75,
        0.25,
    )
    clicks = rows[("campaign", "hana-to-tabi", "clicks")]
    assert (clicks["used"], clicks["remaining"], clicks["share"]) == (12, 0, 1.2)
    assert rows[("destination", "tabi", "served")]["used"] == 400
    assert rows[("destination", "tabi", "served")]["period_key"] == tokyo_day
    assert rows[("campaign", "umi-to-tabi", "served")]["status"] == "paused"
    pairs = {(p["source"], p["destination"]): p for p in answer["reciprocity"]}
    assert set(pairs) == {("hana", "tabi"), ("tabi", "hana")}  # the other pairs are lifted
    assert (pairs[("hana", "tabi")]["credit"], pairs[("hana", "tabi")]["sent"]) == (3.5, 7)
    assert pairs[("hana", "tabi")]["started"] is True and pairs[("hana", "tabi")]["period_key"] == tokyo_day
    fresh = pairs[("tabi", "hana")]
    assert (fresh["credit"], fresh["sent"], fresh["started"], fresh["ratio"], fresh["allowance"]) == (
        5.0,
        0,
        False,
        2.0,
        5,
    )


def test_a_brand_marketer_sees_only_pacing_rows_of_their_brand(backend):
    umi = ops.pacing(UMI, now=NOW, backend=backend)
    assert {(r["scope"], r["subject"]) for r in umi["caps"]} == {
        ("campaign", "umi-to-tabi"),
        ("destination", "umi"),
    }
    assert umi["reciprocity"] == []
    hana = ops.pacing(HANA, now=NOW, backend=backend)
    assert {(r["scope"], r["subject"]) for r in hana["caps"]} == {("campaign", "hana-to-tabi")}
    assert {(p["source"], p["destination"]) for p in hana["reciprocity"]} == {
        ("hana", "tabi"),
        ("tabi", "hana"),
    }
    with pytest.raises(NotAllowed):
        ops.pacing(NOBODY, backend=backend)


# --- the routes: glue from API Gateway events to the operations -------------------------------


def _event(method: str, path: str, who: Principal, body: Any = None, query: dict | None = None) -> dict:
    claims = {"cognito:username": who.user, "email": who.email, "cognito:groups": who.role or ""}
    if who.brand:
        claims["custom:brand"] = who.brand
    return {
        "httpMethod": method,
        "path": path,
        "resource": "/admin/v1/{proxy+}",
        "headers": {"Content-Type": "application/json"},
        "queryStringParameters": query,
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
        "requestContext": {"authorizer": {"claims": claims}, "identity": {"sourceIp": "127.0.0.1"}},
    }


@pytest.fixture
def call(backend, monkeypatch):
    from functions.admin import handler
    from local.lambda_runtime import LocalContext

    monkeypatch.setattr(ops, "AwsBackend", lambda: backend)

    def answer(*args: Any, **kwargs: Any) -> tuple[int, Any]:
        result = handler.lambda_handler(_event(*args, **kwargs), LocalContext(function_name="xsell-admin"))
        return result["statusCode"], json.loads(result["body"])

    return answer


def test_routes_answer_with_the_operations_and_their_errors(call, backend):
    status, listed = call("GET", "/admin/v1/imports", HANA, query={"limit": "1"})
    assert (status, [j["job_id"] for j in listed]) == (200, ["j-hana-2"])
    assert call("GET", "/admin/v1/imports", ADMIN, query={"limit": "0"})[0] == 400
    assert call("GET", "/admin/v1/imports/missing", ADMIN)[0] == 404
    assert call("GET", "/admin/v1/imports/j-hana-1/errors", ADMIN)[0] == 404
    assert call("GET", "/admin/v1/imports/j-hana-2/errors", HANA)[0] == 200

    status, error = call(
        "POST", "/admin/v1/uploads", HANA, {"partner": "hana-partner", "dataset": "profiles"}
    )
    assert (status, error["field"]) == (400, "filename")
    upload = {"partner": "hana-partner", "dataset": "erasure", "filename": "a.csv"}
    assert call("POST", "/admin/v1/uploads", HANA, upload)[0] == 403
    assert call("POST", "/admin/v1/uploads", ADMIN, upload)[0] == 400  # hana-partner may not send erasure
    assert (
        call("POST", "/admin/v1/uploads", ADMIN, {**upload, "partner": "group-partner"})[1]["method"] == "PUT"
    )

    status, error = call("POST", "/admin/v1/sites/hana-web/secret", HANA, {"overlap_hours": 169})
    assert (status, error["field"]) == (400, "overlap_hours")
    status, rotated = call("POST", "/admin/v1/sites/hana-web/secret", HANA)  # no body: 24 hours
    assert status == 200 and rotated["previous_valid_until"] and rotated["secret"] == backend.rotated[-1][1]
    assert call("POST", "/admin/v1/sites/hana-web/secret", VIEWER, {"overlap_hours": 1})[0] == 403

    assert call("GET", "/admin/v1/sites/hana-web/tag", VIEWER)[1]["site_id"] == "hana-web"
    status, preview = call(
        "POST", "/admin/v1/previews", TABI, {"campaign_id": "hana-to-tabi", "site_id": None}
    )
    assert status == 200 and tokens.preview_target(KEY, preview["token"])[0] == "hana-to-tabi"
    assert call("POST", "/admin/v1/previews", TABI, {"campaign_id": "nope"})[0] == 404
    assert call("GET", "/admin/v1/users", VIEWER)[0] == 403
    assert call("GET", "/admin/v1/users", ADMIN) == (200, {"users": [], "configured": False})
    assert call("GET", "/admin/v1/pacing", UMI)[1]["reciprocity"] == []
