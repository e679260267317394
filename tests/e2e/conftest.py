"""A real Chromium (Debian's package) driven by Playwright against the local system."""

from __future__ import annotations

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
    return local_system


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
