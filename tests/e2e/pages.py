"""What the browser tests do on a demo brand page."""

from __future__ import annotations

import time
from typing import Any

from xsell.decisioning.service import DEFAULT_TTL_SECONDS


def wait_for_banner(page: Any, url: str, campaign_id: str, published_at: float) -> Any:
    """Reload ``url`` until its top banner is ``campaign_id``; it must be within the snapshot TTL
    (plus a second of slack) of ``published_at`` (``time.monotonic()``). Returns the banner."""
    while True:
        page.goto(url)
        banner = page.locator("[data-xsell-slot='top-banner'] a.xsell-creative")
        banner.wait_for(timeout=10_000)
        if banner.get_attribute("data-xsell-campaign") == campaign_id:
            return banner
        assert time.monotonic() - published_at < DEFAULT_TTL_SECONDS + 2, "not served within the TTL"
        time.sleep(1)
