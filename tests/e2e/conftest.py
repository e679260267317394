"""A real Chromium (Debian's package) driven by Playwright against the local system."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import RESULTS

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: `make setup` installs Debian's chromium package")
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def demo_system(local_system):
    """The local system with demo customers imported through the drop bucket."""
    from demo import seed

    refs = seed.seed_customers(local_system.resources.drop_bucket, count=300)
    local_system.dispatcher.drain()
    assert seed.wait_for_jobs(refs, timeout=30) == ["succeeded", "succeeded"]
    _warm_decide(local_system)
    return local_system


def _warm_decide(system) -> None:  # type: ignore[no-untyped-def]
    """One decide call before any page loads: the tag gives up on decide after 1.5 s, and the
    first call of a process (imports, config snapshot, connections) can take longer on a busy
    machine. An unmetered call (no Origin), so it spends no cap the tests count."""
    body = json.dumps({"site": "hana-web", "customer": {"id": "warm-up"}, "slots": ["top-banner"]}).encode()
    request = urllib.request.Request(
        f"{system.gateway.url}/v1/decide", data=body, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1000, "height": 700})
    tab = context.new_page()
    tab.console_messages = []  # type: ignore[attr-defined]
    tab.on("console", lambda m: tab.console_messages.append(f"{m.type}: {m.text}"))
    tab.on("pageerror", lambda e: tab.console_messages.append(f"pageerror: {e}"))
    yield tab
    out = RESULTS / "e2e"
    out.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(out / f"{request.node.name}.png"), full_page=True)
    context.close()
