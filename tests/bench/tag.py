"""The tag: gzip sizes (budgets 600 B and 5 KB), layout shift in Chromium on the demo sites (target 0),
and events accepted per second by collect through the local gateway into local Firehose and S3."""

from __future__ import annotations

import gzip
import json
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tests.bench.system import local_system

DIST = Path(__file__).resolve().parents[2] / "tag" / "dist"
PAGE_LOADS = 3  # per brand; tag.cls is the worst page load seen
EVENTS = 4000
BATCH = 20  # what the tag puts in one beacon
CLIENTS = 4
CLS_PROBE = """
window.__cls = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__cls += entry.value;
}).observe({ type: "layout-shift", buffered: true });
"""


def _warm(system: Any) -> None:
    """One decide per demo site first: the first request of a fresh system imports the handler,
    compiles the config and reads the secret, which can outlast the tag's decide timeout (1.5 s)
    on a busy machine; the page loads measure layout shift, not that."""
    from demo.brands import BRANDS, SLOT

    for brand in BRANDS:
        body = {"site": brand.site_id, "customer": {"id": "BENCHWARM"}, "slots": [SLOT]}
        request = urllib.request.Request(
            f"{system.gateway.url}/v1/decide",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"content-type": "text/plain;charset=UTF-8", "origin": system.site_urls[brand.brand_id]},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200, response.status


def _cls(system: Any) -> float:
    """The largest cumulative layout shift of a demo page load, banner and image included."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    _warm(system)
    worst = 0.0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for url in system.site_urls.values():
            for n in range(PAGE_LOADS):
                context = browser.new_context(viewport={"width": 1000, "height": 700})
                page = context.new_page()
                page.add_init_script(CLS_PROBE)
                page.goto(f"{url}/?customer=BENCH{n}")
                page.locator("[data-xsell-slot] a.xsell-creative img").wait_for(timeout=10_000)
                page.wait_for_function("document.querySelector('[data-xsell-slot] img').complete")
                page.wait_for_timeout(500)
                worst = max(worst, float(page.evaluate("window.__cls")))
                context.close()
        browser.close()
    return worst


def _collect_rate(system: Any) -> float:
    """Impressions (each of its own decision) accepted per second by CLIENTS concurrent senders."""
    from tests import decide_contract as contract
    from xsell.dal import secrets

    key = secrets.signing_key()

    def impression() -> dict[str, str]:
        claims = contract.demo_claims(key, "BENCH")
        return {"type": "impression", "token": contract.slot_token(key, claims)}

    bodies = [
        json.dumps({"site": "hana-web", "events": [impression() for _ in range(BATCH)]}).encode()
        for _ in range(EVENTS // BATCH)
    ]

    def post(body: bytes) -> int:
        request = urllib.request.Request(
            f"{system.gateway.url}/v1/events",
            data=body,
            method="POST",
            headers={"content-type": "text/plain;charset=UTF-8"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(json.loads(response.read())["accepted"])

    start = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        accepted = sum(pool.map(post, bodies))
    return accepted / (time.perf_counter() - start)


def run() -> Iterator[tuple[str, float, str]]:
    yield "tag.snippet_gzip_bytes", len(gzip.compress((DIST / "snippet.min.js").read_bytes(), 9)), "bytes"
    yield "tag.tag_gzip_bytes", len(gzip.compress((DIST / "tag.js").read_bytes(), 9)), "bytes"
    with local_system() as system:
        yield "tag.cls", round(_cls(system), 4), "score"
        yield "tag.collect_events_per_s", round(_collect_rate(system)), "events/s"
