"""The whole local system in one object: resources, gateway, dispatcher, CDN and demo sites.

Used by ``make demo`` and by the integration and e2e tests alike. The emulators
are started separately (tests share one pair per session).

Unless a test passes its own ``authorizer``, the admin API is behind the local admin user pool
(:mod:`local.cognito`) and a JWT authorizer that accepts what AWS's Cognito authorizer accepts
(:mod:`local.authorizer`); ``/admin/config.json`` tells the SPA where to sign in.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3

from demo import site as demo_site
from demo.brands import BRANDS, Brand
from local import lambda_runtime
from local.authorizer import JwtAuthorizer
from local.bootstrap import LocalResources, bootstrap
from local.cognito import LocalUserPool
from local.dispatcher import Dispatcher
from local.emulators import REGION
from local.gateway import Authorizer, LocalGateway
from local.static import Page, Proxy, StaticServer
from xsell import env
from xsell.admin import images
from xsell.dal import aws, secrets

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


def _images_page(bucket: str) -> Page:
    """Uploaded creative images from the emulated bucket, as CloudFront serves ``/creatives/*``."""

    def page(rest: str, query: str) -> tuple[str, bytes] | None:
        if not rest or "/" in rest:
            return None
        try:
            found = aws.client("s3").get_object(Bucket=bucket, Key=images.PREFIX + rest)
        except Exception:  # NoSuchKey, and any other miss: a 404, as from CloudFront
            return None
        return str(found.get("ContentType") or "application/octet-stream"), found["Body"].read()

    return page


@dataclass
class LocalSystem:
    """Start with :meth:`start`; every server listens on a free loopback port."""

    authorizer: Authorizer | None = None  # None: the local user pool's JWT authorizer
    run_dispatcher: bool = True
    cognito_endpoint: str | None = None  # None: AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, or moto's
    user_pool: LocalUserPool | None = field(default=None, init=False)
    resources: LocalResources | None = field(default=None, init=False)
    gateway: LocalGateway | None = field(default=None, init=False)
    dispatcher: Dispatcher | None = field(default=None, init=False)
    cdn: StaticServer | None = field(default=None, init=False)
    sites: dict[str, StaticServer] = field(default_factory=dict, init=False)

    def start(self) -> LocalSystem:
        # Clients and handler state of a system started earlier in this process point at its
        # emulators: forget them before anything reaches the ones in the environment now.
        aws.reset()
        secrets.forget()
        lambda_runtime.new_environments()
        self.resources = bootstrap()
        authorizer = self.authorizer
        if authorizer is None:
            self.user_pool = LocalUserPool(self.cognito_endpoint or cognito_endpoint()).ensure()
            authorizer = JwtAuthorizer.for_pool(self.user_pool.settings())
        self.gateway = LocalGateway(authorizer=authorizer).start()
        self.dispatcher = Dispatcher(self.resources.import_queue_url, self.resources.import_queue_arn)
        if self.run_dispatcher:
            self.dispatcher.start()
        self.cdn = StaticServer(
            {
                "/tag/": TAG_DIST,
                "/admin/": _admin_root(),
                "/admin/config.json": self._admin_config_page(),
                "/admin/v1/": Proxy(self.gateway.url),  # as CloudFront: the admin API on the same origin
                "/assets/": ROOT / "demo" / "assets",
                "/creatives/": _images_page(env.get(env.IMAGES_BUCKET)),  # as CloudFront: uploaded images
            }
        ).start()
        tag_snippet = snippet(f"{self.cdn.url}/tag/tag.js")
        # What CDK sets on the deployed admin function; the handlers run in this process.
        os.environ[env.TAG_URL] = f"{self.cdn.url}/tag/tag.js"
        os.environ[env.API_URL] = self.gateway.url
        os.environ[env.IMAGES_BUCKET] = env.get(env.IMAGES_BUCKET)
        os.environ[env.IMAGES_URL] = f"{self.cdn.url}/creatives"
        if self.user_pool is not None:
            os.environ[env.USER_POOL_ID] = self.user_pool.settings().user_pool_id
        for brand in BRANDS:
            self.sites[brand.brand_id] = StaticServer({"/": self._page(brand, tag_snippet)}).start()
        return self

    def _page(self, brand: Brand, tag_snippet: str) -> Page:
        """The brand's page, rendered per request: its demo note explains ``?customer=``."""
        assert self.gateway is not None
        api_url = self.gateway.url

        def page(rest: str, query: str) -> tuple[str, bytes] | None:
            if rest not in ("", "index.html"):
                return None
            customer = parse_qs(query).get("customer", [""])[-1]
            note = demo_site.explanation(brand, customer)
            return ("text/html; charset=utf-8", demo_site.render(brand, tag_snippet, api_url, note))

        return page

    def admin_config(self) -> dict[str, Any]:
        """What the SPA reads from ``/admin/config.json``: the deployed file's keys
        (infra/stacks/delivery.py) with local values, plus where the emulated Cognito listens
        (the SPA must send its Cognito calls there instead of to AWS)."""
        assert self.gateway is not None
        pool = self.user_pool.settings() if self.user_pool else None
        return {
            "stage": "local",
            "region": pool.region if pool else REGION,
            "userPoolId": pool.user_pool_id if pool else None,
            "userPoolClientId": pool.client_id if pool else None,
            "apiBase": "/admin/v1",  # same origin, as in AWS: the CDN forwards it to the gateway
            "cognitoEndpoint": pool.endpoint if pool else None,
        }

    def _admin_config_page(self) -> Page:
        def page(rest: str, query: str) -> tuple[str, bytes] | None:
            body = json.dumps(self.admin_config(), indent=2).encode()
            return ("application/json; charset=utf-8", body) if rest == "" else None

        return page

    @property
    def site_urls(self) -> dict[str, str]:
        return {brand: server.url for brand, server in self.sites.items()}

    def stop(self) -> None:
        for server in (*self.sites.values(), self.cdn, self.gateway, self.dispatcher):
            if server is not None:
                server.stop()


def cognito_endpoint() -> str:
    """Where the local Cognito listens: the standard endpoint variable (``make demo`` sets it),
    else the moto server botocore reaches S3 on — moto serves both on one port
    (``local.emulators.MOTO_SERVICES``), and the test session routes S3 but not Cognito."""
    url = os.environ.get("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER") or str(
        boto3.session.Session().client("s3", region_name=REGION).meta.endpoint_url
    )
    if urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise RuntimeError(
            f"no local Cognito endpoint (got {url}): start the emulators and set "
            "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, or pass LocalSystem(cognito_endpoint=...)"
        )
    return url.rstrip("/")
