"""The whole local system in one object: resources, gateway, dispatcher, CDN and demo sites.

Used by ``make demo`` and by the integration and e2e tests alike. The emulators
are started separately (tests share one pair per session).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from demo import site as demo_site
from demo.brands import BRANDS, Brand
from local.bootstrap import LocalResources, bootstrap
from local.dispatcher import Dispatcher
from local.gateway import Authorizer, LocalGateway
from local.static import Page, StaticServer

ROOT = Path(__file__).resolve().parent.parent
TAG_DIST = ROOT / "tag" / "dist"


def _admin_root() -> Path:
    built = ROOT / "admin_spa" / "dist"
    return built if (built / "index.html").is_file() else ROOT / "admin_spa" / "public"


def snippet(tag_url: str) -> str:
    """The built snippet with the tag's URL filled in, exactly as a site pastes it."""
    path = TAG_DIST / "snippet.min.js"
    if not path.is_file():
        raise FileNotFoundError("tag/dist is missing: run `make tag` (or `make setup`)")
    return path.read_text(encoding="utf-8").strip().replace("__XSELL_TAG_URL__", tag_url)


@dataclass
class LocalSystem:
    """Start with :meth:`start`; every server listens on a free loopback port."""

    authorizer: Authorizer | None = None
    run_dispatcher: bool = True
    resources: LocalResources | None = field(default=None, init=False)
    gateway: LocalGateway | None = field(default=None, init=False)
    dispatcher: Dispatcher | None = field(default=None, init=False)
    cdn: StaticServer | None = field(default=None, init=False)
    sites: dict[str, StaticServer] = field(default_factory=dict, init=False)

    def start(self) -> LocalSystem:
        self.resources = bootstrap()
        self.gateway = LocalGateway(authorizer=self.authorizer).start()
        self.dispatcher = Dispatcher(self.resources.import_queue_url, self.resources.import_queue_arn)
        if self.run_dispatcher:
            self.dispatcher.start()
        self.cdn = StaticServer(
            {"/tag/": TAG_DIST, "/admin/": _admin_root(), "/assets/": ROOT / "demo" / "assets"}
        ).start()
        tag_snippet = snippet(f"{self.cdn.url}/tag/tag.js")
        for brand in BRANDS:
            self.sites[brand.brand_id] = StaticServer({"/": self._page(brand, tag_snippet)}).start()
        return self

    def _page(self, brand: Brand, tag_snippet: str) -> Page:
        assert self.gateway is not None
        body = demo_site.render(brand, tag_snippet, self.gateway.url)

        def page(rest: str, query: str) -> tuple[str, bytes] | None:
            return ("text/html; charset=utf-8", body) if rest in ("", "index.html") else None

        return page

    @property
    def site_urls(self) -> dict[str, str]:
        return {brand: server.url for brand, server in self.sites.items()}

    def stop(self) -> None:
        for server in (*self.sites.values(), self.cdn, self.gateway, self.dispatcher):
            if server is not None:
                server.stop()
