"""Short-lived upload URLs for partners without AWS credentials (served by the admin API).

A presigned PUT URL is signed for one exact object key: S3 refuses it for any
other key (the path is part of the signature), for another method, and after it
expires. The key is always built here, under ``incoming/<partner>/<dataset>/``,
from checked parts, so a URL handed to one partner can only ever deliver a file
into that partner's own prefix for that dataset. The URL is also bounded by the
lifetime of the credentials that signed it (a Lambda role's session).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from xsell import env, topology
from xsell.dal import objects
from xsell.errors import InvalidRequest
from xsell.importing.datasets import DATASETS
from xsell.vocabulary import PARTNER_ID_PATTERN

DEFAULT_EXPIRES_S = 900
MAX_EXPIRES_S = 3600
_PARTNER = re.compile(PARTNER_ID_PATTERN)
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")


@dataclass(frozen=True)
class UploadUrl:
    url: str
    method: str
    key: str  # the only object the URL can write
    expires_at: dt.datetime


def upload_key(partner: str, dataset: str, filename: str) -> str:
    """``incoming/<partner>/<dataset>/<filename>``, or InvalidRequest naming the bad part."""
    if not _PARTNER.fullmatch(partner):
        raise InvalidRequest("partner must be lowercase letters, digits, _ or -", field="partner")
    if dataset not in DATASETS:
        raise InvalidRequest(f"dataset must be one of {', '.join(sorted(DATASETS))}", field="dataset")
    name = unicodedata.normalize("NFC", filename).strip()
    if (
        not name.endswith(topology.DROP_SUFFIX)
        or name == topology.DROP_SUFFIX
        or _UNSAFE.search(name)
        or name.startswith(".")
        or len(name.encode()) > 200
    ):
        raise InvalidRequest(
            f"filename must end with {topology.DROP_SUFFIX}, have no slashes or control characters "
            "and be at most 200 bytes",
            field="filename",
        )
    return f"{topology.DROP_PREFIX}{partner}/{dataset}/{name}"


def upload_url(
    partner: str,
    dataset: str,
    filename: str,
    *,
    expires_in: int = DEFAULT_EXPIRES_S,
    now: dt.datetime | None = None,
) -> UploadUrl:
    """A URL the partner can ``PUT`` one CSV file to, valid for ``expires_in`` seconds."""
    if not 1 <= expires_in <= MAX_EXPIRES_S:
        raise InvalidRequest(f"expires_in must be 1..{MAX_EXPIRES_S} seconds", field="expires_in")
    key = upload_key(partner, dataset, filename)
    url = objects.presign_put(env.get(env.DROP_BUCKET), key, expires_in)
    issued = now or dt.datetime.now(dt.UTC)
    return UploadUrl(url, "PUT", key, issued + dt.timedelta(seconds=expires_in))
