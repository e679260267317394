"""Uploading a creative's image from the admin page (Chromium on the local system): the file is
checked in the page, its presigned PUT goes straight to the emulated bucket with progress, and the
live preview (the real tag renderer) shows it from the local CDN; the saved draft names that URL.
Files that are not images, or too large, are refused at the input before any request, and an
upload that fails keeps the half-filled form."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
import urllib.request
import uuid
import zlib
from pathlib import Path
from typing import Any

from demo.users import PASSWORD
from tests import admin_api
from tests.e2e.test_admin_spa import axe, built_spa, go, shoot, sign_in  # noqa: F401 (built_spa: autouse)
from xsell import roles

IMAGES = "**/admin/v1/creative-images"
PUT = re.compile(r".*/creatives/[0-9a-f]{64}\.png\?.*")  # the presigned PUT of a PNG (its query signs it)
ERROR_SAYS = "words => document.querySelector('#f-fields-image_url-upload-err')?.textContent.includes(words)"


def png(width: int, height: int, seed: bytes) -> bytes:
    """An RGB PNG whose pixels come from `seed`: a new image (and object name) for every run."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    noise = hashlib.shake_256(seed).digest(width * height * 3)
    rows = b"".join(b"\x00" + noise[y * width * 3 : (y + 1) * width * 3] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def test_a_marketer_uploads_a_banner_image_and_the_preview_shows_it(
    local_system, page, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:6]
    creative_id = f"img-{tag}"
    email = f"img-hana-{tag}@xsell.example"
    local_system.user_pool.create_user(email, PASSWORD, roles.BRAND_MARKETER, "hana")
    image = png(24, 16, tag.encode())
    assert 1_000 < len(image) < 5_000
    good = tmp_path / "banner.png"
    good.write_bytes(image)
    text = tmp_path / "note.txt"
    text.write_text("not an image", encoding="utf-8")
    disguised = tmp_path / "disguised.png"  # named as an image, yet text
    disguised.write_text("not an image either", encoding="utf-8")
    big = tmp_path / "big.png"
    big.write_bytes(image + b"\x00" * (1_000_001 - len(image)))

    posted: list[Any] = []
    page.on(
        "request",
        lambda r: posted.append(r) if r.method == "POST" and r.url.endswith("/v1/creative-images") else None,
    )
    sign_in(page, local_system, email)
    go(page, local_system, "creatives/new")
    page.locator("#f-creative_id").fill(creative_id)
    page.locator("#f-name").fill("画像アップロード")
    page.locator("#f-template").select_option("image_banner")
    link = f"{local_system.site_urls['tabi']}/?from=upload"
    page.locator("#f-fields-link_url").fill(link)
    page.locator("#f-fields-alt").fill("旅トラベルの冬の宿")

    upload = page.get_by_label("画像をアップロード", exact=True)
    assert upload.get_attribute("type") == "file"
    page.locator("#f-fields-image_url").focus()
    page.keyboard.press("Tab")  # beside the URL input, and reached by keyboard
    assert page.evaluate("document.activeElement.id") == "f-fields-image_url-upload"
    assert upload.get_attribute("accept") == "image/png,image/jpeg,image/webp,image/gif"
    error = page.locator("#f-fields-image_url-upload-err")

    # Refused in the page: the wrong type (by name, then by content) and more than 1,000,000 bytes.
    for path, words in [
        (text, "PNG・JPEG・WebP・GIF"),
        (disguised, "PNG・JPEG・WebP・GIF"),
        (big, "1,000,001"),
    ]:
        upload.set_input_files(str(path))
        page.wait_for_function(ERROR_SAYS, arg=words)
        assert upload.get_attribute("aria-invalid") == "true"
    shoot(page, "creative-image-refused")
    page.wait_for_timeout(300)  # a request, were one sent, would have been seen by now
    assert posted == []

    # An upload whose PUT fails: the error at the input, the rest of the form as it was.
    page.route(PUT, lambda route: route.abort("connectionrefused"))
    upload.set_input_files(str(good))
    page.wait_for_function(ERROR_SAYS, arg="接続できません")
    page.unroute(PUT)
    assert len(posted) == 1
    assert page.locator("#f-fields-image_url").input_value() == ""
    assert page.locator("#f-fields-link_url").input_value() == link
    assert page.locator("#f-fields-alt").input_value() == "旅トラベルの冬の宿"
    assert page.locator("#f-creative_id").input_value() == creative_id

    # An API refusal (a 400 naming a field) shows at the input too.
    page.route(
        IMAGES,
        lambda route: route.fulfill(
            status=400,
            json={
                "error": "invalid_request",
                "message": "size must be 1 to 1,000,000 bytes",
                "field": "size",
            },
        ),
    )
    upload.set_input_files(str(good))
    page.wait_for_function(ERROR_SAYS, arg="size must be")
    page.unroute(IMAGES)

    # The same file again, now through: progress to the end, and the URL in the image field.
    upload.set_input_files(str(good))
    page.get_by_role("status").filter(has_text="banner.png をアップロードしました").wait_for(timeout=15_000)
    assert error.count() == 0
    progress = page.locator("progress")
    assert progress.evaluate("p => p.value") == 1
    sent = json.loads(posted[-1].post_data or "{}")
    assert sent == {
        "content_type": "image/png",
        "size": len(image),
        "sha256": base64.b64encode(hashlib.sha256(image).digest()).decode(),
    }
    image_url = page.locator("#f-fields-image_url").input_value()
    assert image_url == f"{local_system.cdn.url}/creatives/{hashlib.sha256(image).hexdigest()}.png"

    # The preview draws it (phone and desktop), loaded from the local CDN.
    shown = page.locator(".xsell-preview-slot a.xsell-creative[data-xsell-template='image_banner'] img")
    page.wait_for_function(
        """url => {
          const imgs = [...document.querySelectorAll('.xsell-preview-slot img')];
          return imgs.length === 2 && imgs.every(i => i.src === url && i.complete && i.naturalWidth > 0);
        }""",
        arg=image_url,
    )
    assert shown.count() == 2
    assert shown.first.evaluate("i => [i.naturalWidth, i.naturalHeight]") == [24, 16]
    with urllib.request.urlopen(image_url, timeout=10) as served:
        assert served.headers.get_content_type() == "image/png"
        assert served.read() == image
    shoot(page, "creative-image-uploaded")
    axe(page, "creative-image-uploaded")

    page.get_by_role("button", name="下書きを保存").click()
    page.wait_for_url(re.compile(f"#/creatives/{creative_id}$"))
    token = local_system.user_pool.sign_in(email, PASSWORD)["id_token"]
    status, raw = admin_api.call(local_system, token, "GET", f"/creatives/{creative_id}")
    assert status == 200, raw
    draft = json.loads(raw)["data"]
    assert draft["template"] == "image_banner"
    assert draft["fields"] == {"image_url": image_url, "link_url": link, "alt": "旅トラベルの冬の宿"}

    # The refused PUT and the mocked 400 above are logged by the browser; nothing else may be.
    expected = ("ERR_CONNECTION_REFUSED", "status of 400")
    errors = [
        m
        for m in page.console_messages
        if m.startswith(("error", "pageerror")) and not any(word in m for word in expected)
    ]
    assert errors == [], errors
