"""Operations for marketers and the cloud team: imports, uploads, site tags, identity secrets,
previews, users and pacing. Plain functions on a :class:`Backend`; the admin routes are glue.

- **Imports**: newest first, from the jobs table's ``by_start`` index (every job) or its
  ``by_partner`` index (one partner). A brand marketer sees the jobs of partners whose
  published settings list their brand; jobs of partners without a ``brands`` setting, or with
  no published settings at all, only group admins and viewers see.
- **Uploads**: a presigned PUT for one file of a registered partner (a published ``partner``
  document). ``erasure`` and ``optouts`` files are for group admins only.
- **Site tag**: the snippet to paste, with the deployed tag URL filled in, the conversion tag
  and a Google Tag Manager variant.
- **Secret rotation**: a new identity-token secret for one site (it also signs the site's
  server-to-server conversions); the old one stays valid for the overlap. Decide and collect
  instances cache the secret document for ``secrets.CACHE_SECONDS``, so the site's backend should
  sign with the new secret from ``use_from`` on (the old one is accepted until
  ``previous_valid_until``, judged by the clock in every instance alike; an overlap of 0 cuts the
  old secret off, for a leaked secret, as soon as each instance's cache renews, within
  ``use_from``). The write is conditional: a rotation that raced another one of the same site
  is refused with Conflict and changes nothing.
- **Signing-key rotation** (group admins): a new deployment key for decision, slot, referral and
  preview tokens, rotated the same way. The old key still verifies for the overlap (at least
  :data:`MIN_SIGNING_OVERLAP_DAYS`: the longest token lifetime plus the cache), so no token in
  flight is voided, and keeps signing until ``use_from``, when every instance knows the new one.
  Customer pseudonyms have their own key and do not change. The key is never shown: only its id.
- **Previews**: a one-hour preview token for a campaign of the live version (decide previews
  only published campaigns). A brand page opened with ``?xsell_preview=<token>``
  (:data:`PREVIEW_PARAM`) has the tag send the token to decide as ``"preview"`` in the request
  body, so the campaign shows in the real page, for a signed-in visitor, counting nothing;
  ``urls`` holds, per site, the site's page (its first origin) with the parameter.
- **Users**: the admin user pool's users with their role and brand (group admins only).
- **Pacing**: each cap's current period with what is used and what is left, and each
  restricted brand pair's reciprocity ledger. ``served`` counts what decide instances have
  *leased for serving*: at most one block per instance above what was actually shown
  (docs/campaigns.md, "Exactness and hot counters"). A ledger's ``credit`` is what the table
  holds: instances may hold leased credit and unsettled earnings besides.

Every minted URL, secret and preview token is audited (never the secret or URL itself).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import secrets as random_secrets
import urllib.parse
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from xsell import env, roles, signing
from xsell.admin import audit, documents
from xsell.admin.access import Principal
from xsell.admin.documents import CAMPAIGN, GROUP, PARTNER, SITE
from xsell.dal import aws, counters, jobs, objects
from xsell.dal import config as config_store
from xsell.dal import secrets as secret_store
from xsell.decisioning import catalog, engine, tokens, volume
from xsell.errors import InvalidRequest, NotAllowed, NotFound
from xsell.importing import mappings, presign
from xsell.importing.datasets import DATASETS
from xsell.importing.errors import RejectedFile
from xsell.importing.presign import UploadUrl
from xsell.models.jobs import LISTING, ImportJob
from xsell.vocabulary import DEFAULT_TZ

DEFAULT_JOBS = 50
MAX_JOBS = 200
ERRORS_URL_SECONDS = 300  # a download link for errors.csv, used at once
ADMIN_ONLY_DATASETS = mappings.PRIVILEGED  # they delete data or stop referrals
DEFAULT_OVERLAP_HOURS = 24
MAX_OVERLAP_HOURS = 168
SECRET_BYTES = 32
# A signing key's overlap covers the longest-lived token (a referral, REF_TTL) signed just before
# the new key took over (the secrets cache), rounded up to whole days.
MIN_SIGNING_OVERLAP_DAYS = math.ceil((tokens.REF_TTL + secret_store.CACHE_SECONDS) / 86400)
MAX_SIGNING_OVERLAP_DAYS = 30
_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
TAG_PLACEHOLDER = "__XSELL_TAG_URL__"
# tag/dist/snippet.min.js as `npm run build:tag` writes it from tag/src/snippet.js. The admin
# function has no copy of the tag's build output, so the snippet is kept here;
# tests/unit/test_admin_operations.py fails when the two differ.
SNIPPET = (
    "(function(r,e,c){if(!r.xsell){var n=r.xsell=function(){n.q.push(arguments)};n.q=[],n.v=1;var t=e"
    '.createElement("script");t.async=!0,t.src=c,(e.head||e.documentElement).appendChild(t)}})(window,d'
    'ocument,"__XSELL_TAG_URL__");'
)
PACING_NOTES = {
    "served": "Leased for serving: at most one block per decide instance above what was shown; "
    "a cap never passes its limit.",
    "clicks": "Clicks counted by collect; a creative on screen can still be clicked after the limit.",
    "credit": "Credit left in the ledger; decide instances may also hold leased credit and earnings "
    "not yet settled (at most about a second's worth).",
}


# --- what the operations read and write -------------------------------------------------------


@dataclass(frozen=True)
class Live:
    """The live config version's documents, ``{kind: {id: document}}`` (what decide reads)."""

    version: int
    docs: Mapping[str, Mapping[str, dict[str, Any]]] = field(default_factory=dict)

    def of(self, kind: str) -> Mapping[str, dict[str, Any]]:
        return self.docs.get(kind, {})

    def brands(self, kind: str, doc: Mapping[str, Any]) -> frozenset[str] | None:
        return documents.brands_of(kind, doc, self.of(SITE))

    @cached_property
    def snapshot(self) -> engine.Snapshot:
        """Compiled exactly as decide compiles it: caps, periods and reciprocity pairs."""
        return catalog.compile_snapshot(
            self.version,
            self.of(SITE).values(),
            self.of(CAMPAIGN).values(),
            self.of(GROUP).get(catalog.GROUP_ID),
        )


class Backend(Protocol):
    """Everything the operations touch outside themselves (:class:`AwsBackend` in the cloud)."""

    def live(self) -> Live: ...

    def recent_jobs(self, limit: int) -> list[ImportJob]:
        """The newest ``limit`` jobs of every partner, newest first."""

    def partner_jobs(self, partner: str, limit: int) -> list[ImportJob]:
        """The newest ``limit`` jobs of one partner, newest first."""

    def job(self, job_id: str) -> ImportJob | None: ...

    def presign_get(self, bucket: str, key: str, expires_in: int, filename: str) -> str: ...

    def upload_url(self, partner: str, dataset: str, filename: str, expires_in: int) -> UploadUrl: ...

    def signing_key(self) -> bytes: ...

    def rotate_site_secret(
        self, site_id: str, secret: str, previous_valid_until: dt.datetime, now: dt.datetime
    ) -> bool:
        """Store the new secret; True when the old one was kept as the previous secret."""

    def rotate_signing_key(
        self, key: str, previous_valid_until: dt.datetime, now: dt.datetime
    ) -> dt.datetime:
        """Store the new signing key; when decide starts signing with it."""

    def served(self, scope: str, subject: str, period_key: str) -> int: ...

    def clicks(self, scope: str, subject: str, period_key: str) -> int: ...

    def ledger(self, source: str, destination: str, period_key: str) -> tuple[float, int]:
        """(credit in the table, NaN before the period's first write; referrals settled)."""

    def users(self) -> list[dict[str, Any]] | None:
        """``[{username, attributes, groups, enabled, status}]``; None without a user pool."""

    def setting(self, name: str) -> str | None:
        """An optional environment variable."""

    def record(
        self,
        principal: Principal,
        action: str,
        obj: str,
        brands: Collection[str] | None,
        detail: dict[str, Any],
    ) -> None: ...


class AwsBackend:
    """The backend of the deployed (and local) system: DynamoDB, S3, Secrets Manager, Cognito."""

    def live(self) -> Live:
        version = config_store.live_version()
        return Live(version, config_store.load(version))

    def recent_jobs(self, limit: int) -> list[ImportJob]:
        return list(ImportJob.by_start.query(LISTING, scan_index_forward=False, limit=limit))

    def partner_jobs(self, partner: str, limit: int) -> list[ImportJob]:
        return list(ImportJob.by_partner.query(partner, scan_index_forward=False, limit=limit))

    def job(self, job_id: str) -> ImportJob | None:
        return jobs.find(job_id)

    def presign_get(self, bucket: str, key: str, expires_in: int, filename: str) -> str:
        return objects.presign_get(bucket, key, expires_in, filename)

    def upload_url(self, partner: str, dataset: str, filename: str, expires_in: int) -> UploadUrl:
        return presign.upload_url(partner, dataset, filename, expires_in=expires_in)

    def signing_key(self) -> bytes:
        return secret_store.signing_key()

    def rotate_site_secret(
        self, site_id: str, secret: str, previous_valid_until: dt.datetime, now: dt.datetime
    ) -> bool:
        return secret_store.rotate_site_secret(site_id, secret, previous_valid_until, now)

    def rotate_signing_key(
        self, key: str, previous_valid_until: dt.datetime, now: dt.datetime
    ) -> dt.datetime:
        return secret_store.rotate_signing_key(key, previous_valid_until, now)

    def served(self, scope: str, subject: str, period_key: str) -> int:
        return counters.served(scope, subject, period_key)

    def clicks(self, scope: str, subject: str, period_key: str) -> int:
        return counters.clicks(scope, subject, period_key)

    def ledger(self, source: str, destination: str, period_key: str) -> tuple[float, int]:
        return counters.ledger(source, destination, period_key)

    def users(self) -> list[dict[str, Any]] | None:
        pool = self.setting(env.USER_POOL_ID)
        if not pool:
            return None
        cognito = aws.client("cognito-idp")
        found = []
        for page in cognito.get_paginator("list_users").paginate(UserPoolId=pool):
            for user in page["Users"]:
                groups = [
                    group["GroupName"]
                    for groups_page in cognito.get_paginator("admin_list_groups_for_user").paginate(
                        UserPoolId=pool, Username=user["Username"]
                    )
                    for group in groups_page["Groups"]
                ]
                found.append(
                    {
                        "username": user["Username"],
                        "attributes": {a["Name"]: a["Value"] for a in user.get("Attributes", [])},
                        "groups": groups,
                        "enabled": bool(user.get("Enabled", True)),
                        "status": user.get("UserStatus"),
                    }
                )
        return found

    def setting(self, name: str) -> str | None:
        return os.environ.get(name) or None

    def record(
        self,
        principal: Principal,
        action: str,
        obj: str,
        brands: Collection[str] | None,
        detail: dict[str, Any],
    ) -> None:
        audit.record(principal, action, obj, brands, detail=detail)


def _backend(backend: Backend | None) -> Backend:
    return backend if backend is not None else AwsBackend()


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.UTC)


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds") if moment is not None else None


def _text(
    value: Any, name: str, *, required: bool = True, pattern: re.Pattern[str] | None = None
) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > 200:
        raise InvalidRequest(f"{name} must be a text of 1-200 characters", name)
    if pattern is not None and not pattern.fullmatch(value):
        raise InvalidRequest(f"{name} {value!r} is not a valid id", name)
    return value


def _sees(principal: Principal, brands: frozenset[str] | None) -> bool:
    """Reads of something that belongs to ``brands``; None (group-wide) is not a marketer's."""
    principal.require_read()
    if brands is None:
        return principal.role != roles.BRAND_MARKETER
    return principal.covers(brands)


# --- imports ----------------------------------------------------------------------------------


def _partner_brands(live: Live, partner: str) -> frozenset[str] | None:
    doc = live.of(PARTNER).get(partner)
    return live.brands(PARTNER, doc) if doc is not None else None


def job_view(job: ImportJob) -> dict[str, Any]:
    """One import job as the admin page shows it."""
    size = int(job.object_size or 0)
    offset = int(job.progress_offset if job.progress_offset is not None else job.offset or 0)
    rows_done = int(job.progress_rows if job.progress_rows is not None else job.rows_read or 0)
    if job.status == "succeeded":
        share: float | None = 1.0
    elif size > 0:
        share = round(min(1.0, offset / size), 4)
    else:
        share = None
    return {
        "job_id": job.job_id,
        "partner": job.partner,
        "dataset": job.dataset,
        "status": job.status,
        "reason": job.reason,
        "reason_code": job.reason_code,
        "file_key": job.object_key,
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
        "updated_at": _iso(job.updated_at),
        "counts": {
            "read": int(job.rows_read or 0),
            "imported": int(job.rows_imported or 0),
            "rejected": int(job.rows_rejected or 0),
            "duplicate": int(job.rows_duplicate or 0),
            "outdated": int(job.rows_outdated or 0),
            "errors_listed": int(job.errors_listed or 0),
        },
        "rows_done": rows_done,
        "bytes_done": offset,
        "bytes_total": size or None,
        "progress": share,
        "has_errors": job.errors_key is not None,
        "rows_per_second": float(job.rows_per_second) if job.rows_per_second is not None else None,
    }


def list_imports(
    principal: Principal,
    *,
    limit: int = DEFAULT_JOBS,
    partner: str | None = None,
    backend: Backend | None = None,
) -> list[dict[str, Any]]:
    """The newest ``limit`` import jobs the user may see (of one ``partner`` when given)."""
    principal.require_read()
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_JOBS:
        raise InvalidRequest(f"limit must be a whole number from 1 to {MAX_JOBS}", "limit")
    store = _backend(backend)
    live = store.live()
    if partner is not None:
        _text(partner, "partner", pattern=documents.PARTNER_ID)
        if not _sees(principal, _partner_brands(live, partner)):
            raise NotAllowed(f"partner {partner!r} does not report for your brand {principal.brand!r}")
        found = store.partner_jobs(partner, limit)
    elif principal.role == roles.BRAND_MARKETER:
        mine = [p for p in sorted(live.of(PARTNER)) if _sees(principal, _partner_brands(live, p))]
        found = [job for p in mine for job in store.partner_jobs(p, limit)]
    else:
        found = store.recent_jobs(limit)
    found.sort(key=lambda job: (job.started_at, job.job_id), reverse=True)
    return [job_view(job) for job in found[:limit]]


def _visible_job(
    principal: Principal, job_id: str, store: Backend
) -> tuple[ImportJob, frozenset[str] | None]:
    """The job and its partner's brands, if the user may see it."""
    _text(job_id, "job_id", pattern=_JOB_ID)
    principal.require_read()
    job = store.job(job_id)
    if job is None:
        raise NotFound(f"no import job {job_id!r}")
    brands = _partner_brands(store.live(), job.partner)
    if not _sees(principal, brands):
        raise NotAllowed(f"import {job_id!r} is from partner {job.partner!r}, not one of your brand's")
    return job, brands


def get_import(principal: Principal, job_id: str, *, backend: Backend | None = None) -> dict[str, Any]:
    return job_view(_visible_job(principal, job_id, _backend(backend))[0])


def import_errors(
    principal: Principal, job_id: str, *, now: dt.datetime | None = None, backend: Backend | None = None
) -> dict[str, Any]:
    """A short-lived download link for the job's errors.csv; NotFound when it has none."""
    store = _backend(backend)
    job, brands = _visible_job(principal, job_id, store)
    if not job.errors_key:
        raise NotFound(f"import {job_id!r} has no error report (no rejected rows, or it is still running)")
    bucket = job.object_bucket or env.get(env.DROP_BUCKET)
    url = store.presign_get(bucket, job.errors_key, ERRORS_URL_SECONDS, f"errors-{job.job_id}.csv")
    expires_at = _iso(_now(now) + dt.timedelta(seconds=ERRORS_URL_SECONDS))
    store.record(
        principal,
        "presign_errors",
        f"import/{job.job_id}",
        brands,
        {"partner": job.partner, "key": job.errors_key, "expires_at": expires_at},
    )
    return {"url": url, "expires_at": expires_at}


# --- uploads ----------------------------------------------------------------------------------


def create_upload(
    principal: Principal,
    partner: Any,
    dataset: Any,
    filename: Any,
    *,
    expires_in: Any = presign.DEFAULT_EXPIRES_S,
    backend: Backend | None = None,
) -> dict[str, Any]:
    """A presigned PUT for one CSV file of a registered partner."""
    principal.require_read()
    for name, value in (("partner", partner), ("dataset", dataset), ("filename", filename)):
        _text(value, name)
    if isinstance(expires_in, bool) or not isinstance(expires_in, int):
        raise InvalidRequest("expires_in must be a whole number of seconds", "expires_in")
    if not 60 <= expires_in <= presign.MAX_EXPIRES_S:
        raise InvalidRequest(f"expires_in must be 60 to {presign.MAX_EXPIRES_S} seconds", "expires_in")
    presign.upload_key(partner, dataset, filename)  # before any lookup: InvalidRequest names the bad part
    store = _backend(backend)
    live = store.live()
    doc = live.of(PARTNER).get(partner)
    if doc is None:
        raise InvalidRequest(
            f"partner {partner!r} is not registered: publish its partner settings first", "partner"
        )
    brands = live.brands(PARTNER, doc)
    principal.require_write(brands, f"partner {partner!r}")
    if dataset in ADMIN_ONLY_DATASETS:
        principal.require_admin(f"upload {dataset} files")
    try:  # the importer's own rule: never a URL for a file it would refuse
        mappings.permit(partner, dataset, doc, set(DATASETS))
    except RejectedFile as exc:
        raise InvalidRequest(str(exc), "dataset") from exc
    upload = store.upload_url(partner, dataset, filename, expires_in)
    expires_at = _iso(upload.expires_at)
    store.record(
        principal,
        "presign_upload",
        f"partner/{partner}",
        brands,
        {"dataset": dataset, "key": upload.key, "expires_at": expires_at},
    )
    return {
        "url": upload.url,
        "method": upload.method,
        "key": upload.key,
        "expires_at": expires_at,
        "headers": {},
    }


# --- the site tag -----------------------------------------------------------------------------


def _js(value: Any) -> str:
    """A JavaScript literal that is safe inside an HTML ``<script>`` element too."""
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")


def site_tag(principal: Principal, site_id: str, *, backend: Backend | None = None) -> dict[str, Any]:
    """What the site pastes: the snippet with the tag URL filled in, and the conversion tag."""
    _text(site_id, "site_id", pattern=catalog.NAME)
    principal.require_read()
    store = _backend(backend)
    live = store.live()
    site = live.of(SITE).get(site_id)
    if site is None:
        raise NotFound(f"site {site_id!r} is not in the live config version")
    principal.require_read(live.brands(SITE, site), f"site {site_id!r}")
    tag_url = store.setting(env.TAG_URL)
    api_url = (store.setting(env.API_URL) or "").rstrip("/") or None
    snippet = SNIPPET.replace(_js(TAG_PLACEHOLDER), _js(tag_url or TAG_PLACEHOLDER))
    init = _js({"site": site_id, "api": api_url or "__XSELL_API_URL__"})
    slots = sorted(site.get("slots") or ())
    page = (
        "<script>\n"
        f"{snippet}\n"
        f'xsell("init", {init});\n'
        "// The identity token your backend mints for the signed-in customer (docs/tag.md);\n"
        "// leave this line out for visitors who are not signed in.\n"
        'xsell("identify", "__IDENTITY_TOKEN__");\n'
        'xsell("page");\n'
        "</script>"
    )
    conversion = (
        "<script>\n"
        "// On the order confirmation page, after the snippet above.\n"
        'xsell("convert", { order_id: "__ORDER_ID__", value: 0 /* order total */, currency: "JPY" });\n'
        "</script>"
    )
    gtm = (
        "<script>\n"
        f"{snippet}\n"
        f'xsell("init", {init});\n'
        "(function () {\n"
        "  var token = {{xsell identity}};\n"
        '  if (token) { xsell("identify", token); }\n'
        '  xsell("page");\n'
        "})();\n"
        "</script>"
    )
    instructions = (
        "Add a Custom HTML tag with this code and the trigger All Pages (or Initialization). "
        "Create a Data Layer Variable named 'xsell identity' that your site pushes with the identity "
        "token your backend mints (empty for visitors who are not signed in). The snippet is ES5 and "
        "names the tag's URL itself: it relies neither on document.currentScript nor on attributes of "
        "its own script element, which are not dependable in the scripts Tag Manager re-creates when it "
        "injects a tag. For conversions add a second Custom HTML tag on the purchase "
        'trigger, with the conversion tag\'s xsell("convert", ...) line fed from your order variables, '
        "and fire it after this one (tag sequencing): a call made before the snippet ran is lost."
    )
    return {
        "site_id": site_id,
        "configured": tag_url is not None and api_url is not None,
        "tag_url": tag_url,
        "api_url": api_url,
        "snippet": page,
        "conversion_tag": conversion,
        "slots": {slot: f'<div data-xsell-slot="{slot}"></div>' for slot in slots},
        "gtm": {"snippet": gtm, "instructions": instructions},
    }


# --- identity-token secrets -------------------------------------------------------------------


def rotate_secret(
    principal: Principal,
    site_id: str,
    overlap_hours: Any = DEFAULT_OVERLAP_HOURS,
    *,
    now: dt.datetime | None = None,
    backend: Backend | None = None,
) -> dict[str, Any]:
    """A new identity-token secret for ``site_id``, shown once; the old one stays valid for
    ``overlap_hours`` (0-168)."""
    _text(site_id, "site_id", pattern=catalog.NAME)
    principal.require_read()
    store = _backend(backend)
    live = store.live()
    site = live.of(SITE).get(site_id)
    if site is None:
        raise NotFound(f"site {site_id!r} is not in the live config version")
    brands = live.brands(SITE, site)
    principal.require_write(brands, f"site {site_id!r}")  # before anything about the request is said
    if isinstance(overlap_hours, bool) or not isinstance(overlap_hours, int):
        raise InvalidRequest("overlap_hours must be a whole number of hours", "overlap_hours")
    if not 0 <= overlap_hours <= MAX_OVERLAP_HOURS:
        raise InvalidRequest(f"overlap_hours must be from 0 to {MAX_OVERLAP_HOURS}", "overlap_hours")
    moment = _now(now).replace(microsecond=0)
    valid_until = moment + dt.timedelta(hours=overlap_hours)
    secret = random_secrets.token_urlsafe(SECRET_BYTES)
    kept = store.rotate_site_secret(site_id, secret, valid_until, moment)
    previous_valid_until = _iso(valid_until) if kept else None
    use_from = _iso(moment + dt.timedelta(seconds=secret_store.CACHE_SECONDS))
    store.record(
        principal,
        "rotate_secret",
        f"site/{site_id}",
        brands,
        {
            "overlap_hours": overlap_hours,
            "previous_valid_until": previous_valid_until,
            "use_from": use_from,
            # Which secret the site holds, without the secret: its key id (48 bits of its SHA-256).
            "fingerprint": signing.key_id(secret.encode()),
        },
    )
    return {
        "site_id": site_id,
        "secret": secret,
        "previous_valid_until": previous_valid_until,
        "use_from": use_from,
    }


def rotate_signing_key(
    principal: Principal,
    overlap_days: Any = MIN_SIGNING_OVERLAP_DAYS,
    *,
    now: dt.datetime | None = None,
    backend: Backend | None = None,
) -> dict[str, Any]:
    """A new deployment signing key (never shown: its key id is); the old one still verifies for
    ``overlap_days`` (MIN_SIGNING_OVERLAP_DAYS-MAX_SIGNING_OVERLAP_DAYS). Conflict while the
    overlap of an earlier rotation lasts."""
    principal.require_admin("rotate the signing key")  # before anything about the request is said
    if isinstance(overlap_days, bool) or not isinstance(overlap_days, int):
        raise InvalidRequest("overlap_days must be a whole number of days", "overlap_days")
    if not MIN_SIGNING_OVERLAP_DAYS <= overlap_days <= MAX_SIGNING_OVERLAP_DAYS:
        raise InvalidRequest(
            f"overlap_days must be from {MIN_SIGNING_OVERLAP_DAYS} (the longest token lifetime) "
            f"to {MAX_SIGNING_OVERLAP_DAYS}",
            "overlap_days",
        )
    store = _backend(backend)
    moment = _now(now).replace(microsecond=0)
    valid_until = moment + dt.timedelta(days=overlap_days)
    key = random_secrets.token_urlsafe(SECRET_BYTES)
    use_from = store.rotate_signing_key(key, valid_until, moment)
    answer = {
        "key_id": signing.key_id(key.encode()),
        "use_from": _iso(use_from),
        "previous_valid_until": _iso(valid_until),
    }
    store.record(
        principal,
        "rotate_signing_key",
        "deployment/signing-key",
        None,
        {"overlap_days": overlap_days, **answer},
    )
    return answer


# --- previews ---------------------------------------------------------------------------------

PREVIEW_PARAM = "xsell_preview"  # the page URL parameter the tag reads (tag/src/tag.ts)


def create_preview(
    principal: Principal,
    campaign_id: Any,
    *,
    site_id: Any = None,
    creative_id: Any = None,
    backend: Backend | None = None,
) -> dict[str, Any]:
    """A preview token for a campaign of the live version (decide previews only those)."""
    _text(campaign_id, "campaign_id", pattern=catalog.NAME)
    _text(site_id, "site_id", required=False, pattern=catalog.NAME)
    _text(creative_id, "creative_id", required=False, pattern=catalog.NAME)
    principal.require_read()
    store = _backend(backend)
    live = store.live()
    doc = live.of(CAMPAIGN).get(campaign_id)
    if doc is None:
        raise NotFound(
            f"campaign {campaign_id!r} is not in the live config version {live.version}: decide previews "
            "only published campaigns, so publish it first"
        )
    brands = live.brands(CAMPAIGN, doc)
    principal.require_read(brands, f"campaign {campaign_id!r}")
    campaign = live.snapshot.campaigns.get(campaign_id)
    if campaign is None:
        raise NotFound(f"campaign {campaign_id!r} is published but invalid, so decide cannot show it")
    if site_id is not None and site_id not in campaign.source_sites:
        raise InvalidRequest(
            f"site_id {site_id!r} is not one of the campaign's source sites "
            f"({', '.join(sorted(campaign.source_sites))})",
            "site_id",
        )
    if creative_id is not None and creative_id not in {c.creative_id for c in campaign.creatives}:
        raise InvalidRequest(
            f"creative_id {creative_id!r} is not a live creative of the campaign", "creative_id"
        )
    key = store.signing_key()
    token = tokens.mint_preview_token(key, campaign_id, creative_id, site_id)
    expires = dt.datetime.fromtimestamp(signing.verify(key, "preview", token)["exp"], dt.UTC)
    expires_at = _iso(expires)
    store.record(
        principal,
        "mint_preview",
        f"campaign/{campaign_id}",
        brands,
        {"site_id": site_id, "creative_id": creative_id, "expires_at": expires_at, "version": live.version},
    )
    sites = [site_id] if site_id else sorted(campaign.source_sites)
    return {
        "token": token,
        "expires_at": expires_at,
        "campaign_id": campaign_id,
        "creative_id": creative_id,
        "site_id": site_id,
        "sites": sites,
        "urls": {s: url for s in sites if (url := preview_url(live.of(SITE).get(s), token))},
    }


def preview_url(site: Mapping[str, Any] | None, token: str) -> str | None:
    """The site's page (its first origin) opened with the preview; None for a site without origins."""
    origins = (site or {}).get("origins") or ()
    if not origins:
        return None
    return f"{str(origins[0]).rstrip('/')}/?{urllib.parse.urlencode({PREVIEW_PARAM: token})}"


# --- users ------------------------------------------------------------------------------------


def user_view(user: Mapping[str, Any]) -> dict[str, Any]:
    attributes = user.get("attributes") or {}
    groups = set(user.get("groups") or ())
    return {
        "username": user["username"],
        "email": attributes.get("email", ""),
        "role": next((r for r in roles.ROLE_GROUPS if r in groups), None),  # ordered by precedence
        "brand": attributes.get(roles.BRAND_CLAIM) or None,
        "enabled": bool(user.get("enabled", True)),
        "status": user.get("status"),
    }


def list_users(principal: Principal, *, backend: Backend | None = None) -> dict[str, Any]:
    """The admin user pool's users (group admins only); ``configured`` False without a pool."""
    principal.require_admin("list the users")
    found = _backend(backend).users()
    if found is None:
        return {"users": [], "configured": False}
    users = sorted((user_view(u) for u in found), key=lambda u: (u["email"], u["username"]))
    return {"users": users, "configured": True}


# --- pacing -----------------------------------------------------------------------------------


def _cap_row(store: Backend, cap: engine.Cap, timezone: str, moment: dt.datetime) -> dict[str, Any]:
    period_key = volume.period(moment, timezone, cap.period)[0]
    read = store.clicks if cap.metric == "clicks" else store.served
    used = read(cap.scope, cap.subject, period_key)
    return {
        "scope": cap.scope,
        "subject": cap.subject,
        "metric": cap.metric,
        "period": cap.period,
        "period_key": period_key,
        "timezone": timezone,
        "limit": cap.limit,
        "used": used,
        "remaining": max(0, cap.limit - used),
        "share": round(used / cap.limit, 4) if cap.limit > 0 else None,
    }


def _sorted(items: Iterable[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    return sorted(items, key=lambda item: item[0])


def pacing(
    principal: Principal, *, now: dt.datetime | None = None, backend: Backend | None = None
) -> dict[str, Any]:
    """Every cap's current period (campaigns of the live version, destination caps of the group
    settings) and every restricted brand pair's ledger; a marketer sees rows of their brand."""
    principal.require_read()
    store = _backend(backend)
    moment = _now(now)
    live = store.live()
    snapshot = live.snapshot
    caps = []
    for campaign_id, campaign in _sorted(snapshot.campaigns.items()):
        if not _sees(principal, live.brands(CAMPAIGN, live.of(CAMPAIGN)[campaign_id])):
            continue
        for cap in campaign.caps:
            caps.append({**_cap_row(store, cap, campaign.timezone, moment), "status": campaign.status})
    for brand, brand_caps in _sorted(snapshot.destination_caps.items()):
        if not _sees(principal, frozenset({brand})):
            continue
        caps.extend({**_cap_row(store, cap, DEFAULT_TZ, moment), "status": None} for cap in brand_caps)
    pairs = []
    for (source, destination), rule in _sorted(snapshot.reciprocity.items()):
        if not _sees(principal, frozenset({source, destination})):
            continue
        period_key = volume.period(moment, rule.timezone, rule.period)[0]
        credit, sent = store.ledger(source, destination, period_key)
        started = not math.isnan(credit)
        pairs.append(
            {
                "source": source,
                "destination": destination,
                "period": rule.period,
                "period_key": period_key,
                "sent": sent,
                # Before the period's first referral the way starts at its allowance.
                "credit": credit if started else float(rule.allowance),
                "started": started,
                "ratio": rule.ratio,
                "allowance": rule.allowance,
            }
        )
    return {
        "config_version": live.version,
        "at": _iso(moment),
        "caps": caps,
        "reciprocity": pairs,
        "notes": PACING_NOTES,
    }
