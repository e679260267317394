"""Seed the local system with the demo group: config, then customers through the drop bucket."""

from __future__ import annotations

import time
from typing import Any

import boto3

from demo import brands, customers
from xsell import topology
from xsell.admin import configs
from xsell.dal import jobs
from xsell.dal import secrets as secret_store
from xsell.decisioning import catalog
from xsell.importing.runner import ObjectRef

PARTNER = "demo-group"
DEFAULT_CUSTOMERS = 3000


def demo_documents(site_urls: dict[str, str], asset_base: str) -> dict[str, dict[str, dict[str, Any]]]:
    """The demo group's config as ``{kind: {id: document}}``."""
    return {
        "site": {site["site_id"]: site for site in brands.sites(site_urls)},
        "group": {catalog.GROUP_ID: brands.group()},
        "creative": {c["creative_id"]: c for c in brands.creatives(site_urls, asset_base)},
        "campaign": {c["campaign_id"]: c for c in brands.campaigns()},
        # The demo's one partner reports for every brand (its files: seed_customers below), and
        # sends the group's opt-out and erasure files too.
        "partner": {
            PARTNER: {
                "brands": [b.brand_id for b in brands.BRANDS],
                "allowed_datasets": ["brand_usage", "erasure", "optouts", "profiles"],
            }
        },
    }


def seed_config(site_urls: dict[str, str], asset_base: str) -> int:
    """Publish the demo config (validated and audited like any publish); the live version."""
    for site in brands.sites(site_urls):
        # Each demo brand's "backend" signs identity tokens with its own secret.
        secret_store.set_site_secret(site["site_id"], f"demo-secret-{site['site_id']}")
    return configs.publish_documents(demo_documents(site_urls, asset_base), note="demo group")


def upload(bucket: str, dataset: str, text: str, name: str) -> ObjectRef:
    """Put one CSV into the drop bucket, as a partner would."""
    key = f"{topology.DROP_PREFIX}{PARTNER}/{dataset}/{name}"
    put = (
        boto3.session.Session()
        .client("s3")
        .put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"), ContentType="text/csv")
    )
    return ObjectRef(bucket, key, put["ETag"], put.get("VersionId"))


def wait_for_jobs(refs: list[ObjectRef], timeout: float = 300) -> list[str]:
    """Wait until every upload's import job has finished; returns their statuses."""
    deadline = time.monotonic() + timeout
    statuses: dict[str, str] = {}
    while len(statuses) < len(refs):
        for ref in refs:
            job = jobs.find(ref.job_id)
            if job is None:  # not claimed yet
                continue
            if job.finished_at is not None:
                statuses[ref.job_id] = job.status
        if time.monotonic() > deadline:
            raise TimeoutError("demo import did not finish in time")
        time.sleep(0.2)
    return [statuses[r.job_id] for r in refs]


def seed_customers(bucket: str, count: int = DEFAULT_CUSTOMERS) -> list[ObjectRef]:
    return [
        upload(bucket, "profiles", customers.profiles_csv(count), "profiles-demo.csv"),
        upload(bucket, "brand_usage", customers.brand_usage_csv(count), "brand-usage-demo.csv"),
    ]


def publish_affinity() -> dict[str, Any]:
    """Run the nightly brand-affinity job once over the imported customers (in AWS a schedule
    runs it): the affinity report has rows, and affinity-weighted campaigns their lifts."""
    from xsell.reporting import affinity

    return affinity.refresh()


def showcase_customers(gateway_url: str, site_urls: dict[str, str], tries: int = 60) -> dict[str, str | None]:
    """For each demo site, the first demo customer decide gives a banner there (None if none of
    ``tries`` gets one): customer C000001 already uses every other brand, so sees nothing."""
    import json
    import urllib.request

    from demo.customers import customer_id

    found: dict[str, str | None] = {}
    for brand in brands.BRANDS:
        found[brand.brand_id] = None
        for n in range(1, tries + 1):
            body = {"site": brand.site_id, "customer": {"id": customer_id(n)}, "slots": [brands.SLOT]}
            url = f"{gateway_url}/v1/decide"
            # As the brand's page asks: a call without an Origin takes no caps, so gets none of them.
            origin = {"Origin": site_urls[brand.brand_id]}
            request = urllib.request.Request(url, json.dumps(body).encode(), method="POST", headers=origin)
            with urllib.request.urlopen(request, timeout=10) as response:
                if json.loads(response.read())["slots"]:
                    found[brand.brand_id] = customer_id(n)
                    break
    return found


def seed_events(bucket: str) -> int:
    """Three weeks of synthetic measured events, so that the reports have something to show."""
    from demo import events

    return events.write_s3(bucket)
