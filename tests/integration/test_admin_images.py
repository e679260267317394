"""A creative image through the local system as in AWS: the admin API signs a PUT for the
declared bytes, the browser's PUT lands in the images bucket, the CDN serves it under its hash,
and a creative may then name it as its image."""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.error
import urllib.request
import uuid
from urllib.parse import parse_qs, urlsplit

from tests.admin_api import call, sign_in_users
from xsell import roles
from xsell.admin import images


def _put(url: str, data: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=data, method="PUT", headers=headers)
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.status


def test_an_uploaded_image_is_served_by_the_cdn_and_a_creative_may_show_it(local_system):
    (token,) = sign_in_users(local_system, "images", [("hana", roles.BRAND_MARKETER, "hana")]).values()
    data = b"\x89PNG\r\n\x1a\n" + uuid.uuid4().bytes * 8  # unique bytes: a name of their own
    sha = base64.b64encode(hashlib.sha256(data).digest()).decode()
    body = {"content_type": "image/png", "size": len(data), "sha256": sha}
    status, raw = call(local_system, token, "POST", "/creative-images", body)
    assert status == 200, raw
    answer = json.loads(raw)
    name = hashlib.sha256(data).hexdigest() + ".png"
    assert answer["image_url"] == f"{local_system.cdn.url}/creatives/{name}"
    # What S3 in AWS holds the PUT to: the signature covers type, length and checksum.
    signed = parse_qs(urlsplit(answer["upload"]["url"]).query)["X-Amz-SignedHeaders"][0].split(";")
    assert {"content-type", "content-length", "x-amz-checksum-sha256"} <= set(signed)
    assert urlsplit(answer["upload"]["url"]).path.endswith(f"/{images.PREFIX}{name}")

    assert _put(answer["upload"]["url"], data, answer["upload"]["headers"]) == 200
    with urllib.request.urlopen(answer["image_url"], timeout=30) as served:
        assert served.read() == data and served.headers["content-type"] == "image/png"

    creative = {
        "data": {
            "creative_id": f"img-{uuid.uuid4().hex[:6]}",
            "brand": "hana",
            "template": "image_banner",
            "fields": {
                "image_url": answer["image_url"],
                "link_url": f"{local_system.site_urls['hana']}/sale",
                "alt": "冬のセール",
            },
        }
    }
    status, raw = call(local_system, token, "PUT", f"/creatives/{creative['data']['creative_id']}", creative)
    assert status == 200, raw
    assert json.loads(raw)["data"]["fields"]["image_url"] == answer["image_url"]


def test_a_missing_image_is_a_404_and_a_bad_request_signs_nothing(local_system):
    (token,) = sign_in_users(local_system, "images-bad", [("hana", roles.BRAND_MARKETER, "hana")]).values()
    try:
        urllib.request.urlopen(f"{local_system.cdn.url}/creatives/{'0' * 64}.png", timeout=30)
        raise AssertionError("a missing image was served")
    except urllib.error.HTTPError as err:
        assert err.code == 404
    for body, field in (
        ({"content_type": "image/svg+xml", "size": 10, "sha256": "A" * 43 + "="}, "content_type"),
        ({"content_type": "image/png", "size": images.MAX_BYTES + 1, "sha256": "A" * 43 + "="}, "size"),
        ({"content_type": "image/png", "size": 10, "sha256": "A" * 44}, "sha256"),
    ):
        status, raw = call(local_system, token, "POST", "/creative-images", body)
        assert status == 400, raw
        assert json.loads(raw)["field"] == field
