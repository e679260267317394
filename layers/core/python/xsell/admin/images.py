"""Creative images uploaded from the admin page.

The browser asks for an upload with the image's type, size and SHA-256; the answer is a
presigned ``PUT`` whose signature covers those three headers, so S3 takes exactly the bytes that
were declared and checked here, and nothing else. The object is named by its content's hash
(``creatives/<sha256>.<ext>``): a name always means the same bytes, so the CDN and browsers may
keep it for good, and uploading the same image twice writes the same object. The image is served
from ``XSELL_IMAGES_URL`` (the CDN's ``/creatives``), which creatives may name as ``image_url``
besides the group's own domains.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import os
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from xsell import env
from xsell.admin import audit
from xsell.admin.access import Principal
from xsell.dal import objects
from xsell.errors import Conflict, InvalidRequest, NotAllowed

TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}
MAX_BYTES = 1_000_000  # a banner image; larger files slow every page that shows it
PREFIX = "creatives/"
EXPIRES_S = 300

Presign = Callable[..., str]


def public_base(setting: Callable[[str], str | None] = os.environ.get) -> str | None:
    """Where uploaded images are served (``https://<cdn>/creatives``), or None if not set up."""
    base = (setting(env.IMAGES_URL) or "").rstrip("/")
    return base or None


def public_host(setting: Callable[[str], str | None] = os.environ.get) -> str | None:
    """The host of :func:`public_base`: creatives may point their images at it."""
    base = public_base(setting)
    host = (urlsplit(base).hostname or "").lower() if base else ""
    return host or None


def _digest(value: Any) -> bytes:
    if isinstance(value, str) and len(value) == 44:
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) == 32:
            return raw
    raise InvalidRequest("sha256 must be the base64 of the file's SHA-256 digest (44 characters)", "sha256")


def create_upload(
    principal: Principal,
    content_type: Any,
    size: Any,
    sha256: Any,
    *,
    setting: Callable[[str], str | None] = os.environ.get,
    presign: Presign = objects.presign_put,
    record: Callable[..., Any] = audit.record,
) -> dict[str, Any]:
    """A presigned PUT for one creative image, and the URL it will be served from."""
    principal.require_read()
    if not principal.can_write:
        raise NotAllowed("your role can only read")
    if content_type not in TYPES:
        raise InvalidRequest(f"content_type must be one of {', '.join(TYPES)}", "content_type")
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_BYTES:
        raise InvalidRequest(f"size must be 1 to {MAX_BYTES:,} bytes", "size")
    digest = _digest(sha256)
    base, bucket = public_base(setting), setting(env.IMAGES_BUCKET)
    if base is None or not bucket:
        raise Conflict(
            "image upload is not set up on this stage: it needs the CDN's domain (domains.cdn in the "
            "stage's settings); give an image URL on the group's domains instead",
            code="not_set_up",
        )
    name = f"{digest.hex()}.{TYPES[content_type]}"
    key = PREFIX + name
    url = presign(bucket, key, EXPIRES_S, content_type, length=size, sha256=sha256)
    expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=EXPIRES_S)
    image_url = f"{base}/{name}"
    brands = [principal.brand] if principal.brand else None
    record(principal, "upload_image", f"image/{name}", brands, detail={"size": size, "type": content_type})
    return {
        "upload": {
            "method": "PUT",
            "url": url,
            # Signed with the URL: S3 refuses a PUT whose type, length or checksum differ.
            "headers": {"Content-Type": content_type, "x-amz-checksum-sha256": sha256},
            "expires_at": expires_at.isoformat().replace("+00:00", "Z"),
        },
        "image_url": image_url,
        "max_bytes": MAX_BYTES,
    }
