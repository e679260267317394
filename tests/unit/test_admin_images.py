"""Creative image uploads: what the admin API signs, and what it refuses before signing anything."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest

from xsell import env
from xsell.admin import configs, documents, images
from xsell.admin.access import Principal
from xsell.errors import Conflict, InvalidRequest, NotAllowed

HANA = Principal("hana-m", "h@example.jp", "brand-marketer", "hana")
VIEWER = Principal("v", "v@example.jp", "viewer", None)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
SHA = base64.b64encode(hashlib.sha256(PNG).digest()).decode()
SETTINGS = {env.IMAGES_BUCKET: "img-bucket", env.IMAGES_URL: "https://cdn.example.jp/creatives/"}


class Calls:
    def __init__(self) -> None:
        self.presigned: list[tuple[Any, ...]] = []
        self.recorded: list[tuple[Any, ...]] = []

    def presign(self, *args: Any, **kwargs: Any) -> str:
        self.presigned.append((*args, kwargs))
        return "https://s3.example/signed"

    def record(self, *args: Any, **kwargs: Any) -> None:
        self.recorded.append((*args, kwargs))


def upload(calls: Calls, principal: Principal = HANA, settings: dict[str, str] = SETTINGS, **body: Any):
    request = {"content_type": "image/png", "size": len(PNG), "sha256": SHA, **body}
    return images.create_upload(
        principal,
        request["content_type"],
        request["size"],
        request["sha256"],
        setting=settings.get,
        presign=calls.presign,
        record=calls.record,
    )


def test_an_upload_is_signed_for_exactly_the_declared_bytes_under_their_hash():
    calls = Calls()
    answer = upload(calls)
    name = hashlib.sha256(PNG).hexdigest() + ".png"
    assert answer["image_url"] == f"https://cdn.example.jp/creatives/{name}"
    assert calls.presigned == [
        (
            "img-bucket",
            f"creatives/{name}",
            images.EXPIRES_S,
            "image/png",
            {"length": len(PNG), "sha256": SHA},
        )
    ]
    assert answer["upload"]["headers"] == {"Content-Type": "image/png", "x-amz-checksum-sha256": SHA}
    assert answer["upload"]["method"] == "PUT" and answer["max_bytes"] == images.MAX_BYTES
    (principal, action, obj, brands, extra) = calls.recorded[0]
    assert (principal, action, obj, brands) == (HANA, "upload_image", f"image/{name}", ["hana"])
    assert upload(Calls(), content_type="image/jpeg")["image_url"].endswith(".jpg")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"content_type": "image/svg+xml"}, "content_type"),  # scripts can hide in an SVG
        ({"content_type": "text/html"}, "content_type"),
        ({"content_type": None}, "content_type"),
        ({"size": 0}, "size"),
        ({"size": images.MAX_BYTES + 1}, "size"),
        ({"size": True}, "size"),
        ({"size": "100"}, "size"),
        ({"sha256": "abc"}, "sha256"),
        ({"sha256": "!" * 44}, "sha256"),
        ({"sha256": base64.b64encode(b"x" * 31).decode().ljust(44, "=")}, "sha256"),
        ({"sha256": hashlib.sha256(PNG).hexdigest()}, "sha256"),  # hex, not base64
    ],
)
def test_a_bad_request_names_its_field_and_signs_nothing(body, field):
    calls = Calls()
    with pytest.raises(InvalidRequest) as refused:
        upload(calls, **body)
    assert refused.value.field == field
    assert calls.presigned == [] and calls.recorded == []


def test_readers_may_not_upload_and_a_stage_without_a_cdn_domain_says_so():
    calls = Calls()
    with pytest.raises(NotAllowed):
        upload(calls, VIEWER)
    with pytest.raises(Conflict) as missing:
        upload(calls, settings={env.IMAGES_BUCKET: "img-bucket"})
    assert missing.value.code == "not_set_up" and "domains.cdn" in str(missing.value)
    assert calls.presigned == [] and calls.recorded == []


def test_an_image_may_point_at_the_image_host_a_link_may_not(monkeypatch):
    site = {"site_id": "hana-web", "brand": "hana", "origins": ["https://hana.example.jp"]}
    monkeypatch.setenv(env.IMAGES_URL, "https://cdn.example.jp/creatives")
    context = documents.Context({"hana-web": site}, {}, {}, configs.image_hosts())
    creative = {
        "creative_id": "c1",
        "brand": "hana",
        "template": "image_banner",
        "fields": {
            "image_url": "https://cdn.example.jp/creatives/ab.png",
            "link_url": "https://hana.example.jp/sale",
            "alt": "セール",
        },
    }
    documents.validate_creative(creative, context)
    with pytest.raises(InvalidRequest) as refused:
        documents.validate_creative(
            {**creative, "fields": {**creative["fields"], "link_url": "https://cdn.example.jp/x"}}, context
        )
    assert refused.value.field == "creative.fields.link_url"
    monkeypatch.delenv(env.IMAGES_URL)
    with pytest.raises(InvalidRequest):  # no image host on this stage: the group's domains only
        documents.validate_creative(
            creative, documents.Context({"hana-web": site}, {}, {}, configs.image_hosts())
        )
