"""Admin SPA benchmarks: its bytes before sign-in, and how soon the campaigns list is usable.

``admin.spa_initial_gzip_bytes``: the JS and CSS that ``admin_spa/dist/index.html`` loads
(its ``<script src>``, ``<link rel=stylesheet href>`` and ``<link rel=modulepreload href>``) and
every module those scripts import statically, transitively (the build splits the app into
chunks: a chunk that ``app.js`` imports loads before sign-in as surely as ``app.js`` does; a
screen behind a dynamic ``import()`` does not), each gzipped at level 9, summed.
Target: <= 60,000 bytes.

``admin.spa_first_screen_ms_ratio``: in Chromium on the local system, a signed-in admin opens
``#/campaigns``; the time from navigation start until its table rows are in the document (no
screen still loading, the document parsed) is divided by the time the same Chromium takes to
show a static HTML page with the same rows (written from the same API answer) served by a
plain ``http.server`` on 127.0.0.1. Medians over :data:`RUNS` cold runs each (a new browser
context, so an empty HTTP cache, per run), the two pages in turn. Target: <= 3.

The browser is cold in every run; the servers are warm. Before the first run the admin API
answers :data:`API_WARM_UP` list reads: DynamoDB Local is a JVM, and on the first few hundred
requests its compiler threads take the CPU the page needs (a SELECT of the workspace cost the
emulator ~14 ms of CPU after 30 requests, ~6.5 ms after 1,000). DynamoDB itself has no such
warm-up, so it is kept out of the figure.
"""

from __future__ import annotations

import contextlib
import gzip
import html
import json
import posixpath
import re
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from demo.users import PASSWORD
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.http_stub import serve

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "admin_spa" / "dist"
RUNS = 15
API_WARM_UP = 600  # list reads (and as many /me) before the first run: see the module's doc
SESSION_KEY = "xsell.session"  # admin_spa/src/auth/session.js

# Runs before any page script, in both pages alike: the first moment campaign rows are in the
# document, nothing shows a loading state and the document is parsed, it logs
# `xsell-ready <performance.now()>` to the console, where Python waits for it. A MutationObserver
# costs the page nothing until the DOM changes; polling from Python (wait_for_function) would put
# a loop of its own in the page, competing with the page's scripts.
READY_MESSAGE = "xsell-ready"  # as the probe writes it
READY_PROBE = """
(() => {
  let done = false;
  const check = () => {
    if (done) return;
    if (document.readyState === "loading") return;
    if (!document.querySelector("tr[data-campaign]")) return;
    if (document.querySelector("[data-state=loading]")) return;
    done = true;
    console.debug("xsell-ready", performance.now());
  };
  new MutationObserver(check).observe(document, {childList: true, subtree: true, attributes: true});
  document.addEventListener("readystatechange", check);
})();
"""


def run() -> Iterator[tuple[str, float, str]]:
    yield "admin.spa_initial_gzip_bytes", initial_gzip_bytes(), "bytes"
    # Its own process: a local system started earlier in this one (admin.publish_*) leaves
    # clients pointing at stopped emulators.
    out = subprocess.run(
        [sys.executable, "-m", "tests.bench.spa"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    for line in out.splitlines():
        if line.startswith("[") and line.endswith("]"):
            name, value, unit = json.loads(line)
            yield name, value, unit


def ensure_built() -> None:
    if not (DIST / "index.html").is_file():
        subprocess.run(["npm", "run", "--silent", "build:admin"], cwd=ROOT, check=True)


def initial_files(index: str) -> list[str]:
    """The local JS and CSS files index.html names (scripts, stylesheets, module preloads)."""
    scripts = re.findall(r"<script\b[^>]*\bsrc=\"([^\"]+)\"", index)
    links = [
        m.group(2)
        for m in re.finditer(r"<link\b([^>]*)\bhref=\"([^\"]+)\"[^>]*>", index)
        if re.search(r"\brel=\"?(stylesheet|modulepreload)\b", m.group(0))
    ]
    return [src for src in scripts + links if "://" not in src and not src.startswith("data:")]


# A static import or re-export in an ES module: `import x from"./a.js"`, `import"./a.js"`,
# `export{x}from"./a.js"` (minified or not). A dynamic `import("./a.js")` does not match: its
# module loads only when the code runs.
_STATIC_IMPORT = re.compile(
    r"(?:^|[^\w$.])(?:import\s*(?:[\w$*{}\s,]+?\s*from\s*)?|export\s*(?:\*|\{[^}]*\})\s*from\s*)"
    r"[\"']([^\"']+)[\"']"
)


def static_imports(source: str) -> list[str]:
    """The relative modules an ES module imports statically."""
    return [spec for spec in _STATIC_IMPORT.findall(source) if spec.startswith(("./", "../"))]


def loaded_files(index: str, dist: Path = DIST) -> list[str]:
    """What index.html loads before any navigation: its files, and the modules its scripts
    import statically, transitively (paths relative to ``dist``)."""
    pending = [name.lstrip("/") for name in initial_files(index)]
    found: list[str] = []
    while pending:
        name = pending.pop(0)
        if name in found:
            continue
        found.append(name)
        if name.endswith(".js"):
            source = (dist / name).read_text(encoding="utf-8")
            base = posixpath.dirname(name)
            pending += [posixpath.normpath(posixpath.join(base, spec)) for spec in static_imports(source)]
    return found


def initial_gzip_bytes() -> int:
    ensure_built()
    index = (DIST / "index.html").read_text(encoding="utf-8")
    files = loaded_files(index)
    if not files:
        raise RuntimeError("admin_spa/dist/index.html loads no JS or CSS")
    return sum(len(gzip.compress((DIST / name).read_bytes(), compresslevel=9)) for name in files)


def static_rows_page(campaigns: list[dict[str, Any]]) -> bytes:
    """The campaigns table as plain HTML: the same rows and cells the SPA shows."""
    rows = []
    for c in campaigns:
        d = c.get("data") or c.get("live") or {}
        cells = [
            f'<a href="#/campaigns/{html.escape(c["id"])}">{html.escape(c["id"])}</a>',
            html.escape(d.get("name") or "—"),
            html.escape(f"{', '.join(d.get('source_sites') or [])} → {d.get('destination_brand') or '—'}"),
            html.escape(d.get("status") or "draft"),
            html.escape(str(c.get("state"))),
            html.escape(str((c.get("approval") or {}).get("status") or "not_needed")),
        ]
        rows.append(
            f'<tr data-campaign="{html.escape(c["id"])}">' + "".join(f"<td>{x}</td>" for x in cells) + "</tr>"
        )
    head = "".join(f"<th scope=col>{h}</th>" for h in ("ID", "名前", "経路", "状態", "公開", "承認"))
    return (
        '<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>キャンペーン</title>'
        '<link rel="icon" href="data:,"></head><body><h1>キャンペーン</h1>'
        f'<table class="list"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
        "</body></html>"
    ).encode()


@contextlib.contextmanager
def static_server(body: bytes) -> Iterator[str]:
    with serve(lambda path: ("text/html; charset=utf-8", body, {})) as url:
        yield f"{url}/campaigns.html"


def time_to_rows(browser: Any, url: str, init_script: str = "") -> float:
    """ms from navigation start until the campaign rows show, in a fresh context (cold cache)."""
    context = browser.new_context(viewport={"width": 1000, "height": 700})
    try:
        if init_script:
            context.add_init_script(init_script)
        context.add_init_script(READY_PROBE)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            with page.expect_console_message(
                lambda message: message.text.startswith(READY_MESSAGE + " "), timeout=30_000
            ) as ready:
                page.goto(url, wait_until="commit")
        except Exception as err:
            raise RuntimeError(f"{url}: no campaign rows ({errors or err})") from err
        return float(ready.value.text.split()[1])
    finally:
        context.close()


def median_ms(browser: Any, pages: list[tuple[str, str]]) -> list[float]:
    """The median ms of each ``(url, init_script)``, their runs taken in turn: whatever else the
    machine does meanwhile (the emulators settling after the SPA's API calls, say) weighs on
    every page alike, as their ratio assumes."""
    for url, init_script in pages:  # warm-up: the browser process, the servers' first answers
        time_to_rows(browser, url, init_script)
    runs: list[list[float]] = [[] for _ in pages]
    for _ in range(RUNS):
        for times, (url, init_script) in zip(runs, pages, strict=True):
            times.append(time_to_rows(browser, url, init_script))
    return [statistics.median(times) for times in runs]


def run_first_screen() -> Iterator[tuple[str, float, str]]:
    from playwright.sync_api import sync_playwright

    from tests.bench.system import local_system

    ensure_built()
    with local_system() as system:
        email = f"bench-{uuid.uuid4().hex[:6]}@xsell.example"
        system.user_pool.create_user(email, PASSWORD, "group-admin")
        answer = system.user_pool.sign_in(email, PASSWORD)
        request = urllib.request.Request(
            system.cdn.url + "/admin/v1/campaigns", headers={"Authorization": f"Bearer {answer['id_token']}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            data = json.loads(response.read())
        me = urllib.request.Request(system.cdn.url + "/admin/v1/me", headers=request.headers)
        for _ in range(API_WARM_UP):
            for warm in (request, me):
                with urllib.request.urlopen(warm, timeout=30) as response:
                    response.read()
        api_ms = []  # the API's own share: the SPA waits for it, the static page does not
        for _ in range(RUNS):
            start = time.perf_counter()
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
            api_ms.append((time.perf_counter() - start) * 1000)
        campaigns = data if isinstance(data, list) else data.get("items") or data.get("campaigns") or []
        if not campaigns:
            raise RuntimeError(f"GET /admin/v1/campaigns answered no campaigns: {data!r:.200}")
        session = {
            "idToken": answer["id_token"],
            "accessToken": answer["access_token"],
            "refreshToken": answer["refresh_token"],
            "expiresAt": int((time.time() + 3600) * 1000),
        }
        origin = system.cdn.url.rstrip("/")
        sign_in = (
            f"if (location.origin === {json.dumps(origin)}) "
            f"sessionStorage.setItem({json.dumps(SESSION_KEY)}, {json.dumps(json.dumps(session))});"
        )
        with sync_playwright() as pw, static_server(static_rows_page(campaigns)) as static_url:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                spa, plain = median_ms(browser, [(f"{origin}/admin/#/campaigns", sign_in), (static_url, "")])
            finally:
                browser.close()
    yield "admin.spa_first_screen_ms", round(spa, 1), "ms"
    yield "admin.spa_static_rows_ms", round(plain, 1), "ms"
    yield "admin.spa_first_screen_ms_ratio", round(spa / plain, 2), "ratio"
    yield "admin.spa_campaigns_api_ms", round(statistics.median(api_ms), 1), "ms"


if __name__ == "__main__":
    for figure in run_first_screen():
        print(json.dumps(figure), flush=True)
