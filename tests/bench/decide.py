"""In-process decision compute: choose() over snapshots of 10, 100 and 500 active campaigns."""

from __future__ import annotations

import datetime as dt
import json
import random
import statistics
import time
import uuid
from collections.abc import Iterator

from xsell.decisioning import catalog, engine
from xsell.decisioning.facts import BrandUsage, Facts

SITES = [{"site_id": f"site-{i}", "brand": f"brand-{i}", "allow_raw_id": True} for i in range(10)]
SLOTS = ("top", "side", "footer")


def synthetic_snapshot(campaigns: int, seed: int = 7) -> engine.Snapshot:
    rng = random.Random(seed)
    raw = []
    for n in range(campaigns):
        raw.append(
            {
                "campaign_id": f"c{n:04d}",
                "status": "active",
                "destination_brand": f"brand-{rng.randrange(10)}",
                "source_sites": [f"site-{s}" for s in rng.sample(range(10), 3)],
                "slots": list(rng.sample(SLOTS, 2)),
                "priority": rng.randrange(4),
                # Half the campaigns target: a visit count and a rank, or a page category.
                **(
                    {
                        "targeting": {
                            "any": [
                                {"field": "visit_count", "op": "ge", "value": rng.randint(1, 4)},
                                {"field": "page_category", "op": "in", "value": ["travel", "food"]},
                            ]
                        }
                    }
                    if n % 2
                    else {}
                ),
                **({"schedule": {"hours": [{"from": "08:00", "to": "23:00"}]}} if n % 3 == 0 else {}),
                "weight": rng.randint(1, 5),
                "creatives": [
                    {
                        "creative_id": f"c{n}-{v}",
                        "template": "text_card",
                        "weight": 1,
                        "fields": {"link_url": "https://x"},
                    }
                    for v in range(2)
                ],
            }
        )
    return catalog.compile_snapshot(1, SITES, raw)


def _percentiles(campaigns: int, calls: int = 3000) -> tuple[float, float]:
    snap = synthetic_snapshot(campaigns)
    site = snap.sites["site-0"]
    now = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC)
    customers = [
        Facts(f"C{n}", now, "brand-0", brands={f"brand-{n % 10}": BrandUsage()}, visit_count=n % 5 + 1)
        for n in range(calls)
    ]
    samples = []
    for customer in customers:
        start = time.perf_counter_ns()
        engine.choose(snap, site, SLOTS, customer)
        samples.append((time.perf_counter_ns() - start) / 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99)]


def run() -> Iterator[tuple[str, float, str]]:
    yield from run_import_ratio()
    yield from run_e2e_ratio()
    for count in (10, 100, 500):
        p50, p99 = _percentiles(count)
        yield f"decide.compute_p50_us_{count}_campaigns", round(p50, 1), "us"
        yield f"decide.compute_p99_us_{count}_campaigns", round(p99, 1), "us"


def _fresh_import_s(code: str, runs: int = 7) -> float:
    """Best wall time of a fresh interpreter running ``code`` (cold-start proxy)."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {
        "XSELL_STAGE": "local",
        "PYTHONPATH": f"{ROOT}:{ROOT / 'layers/core/python'}",
        "PATH": "/usr/bin:/bin",
    }
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT)
        best = min(best, time.perf_counter() - start)
    return best


def run_import_ratio() -> Iterator[tuple[str, float, str]]:
    bare = _fresh_import_s("import boto3")
    handler = _fresh_import_s("import functions.decide.handler")
    yield "decide.import_s", round(handler, 3), "s"
    yield "decide.boto3_import_s", round(bare, 3), "s"
    yield "decide.import_ratio", round(handler / bare, 2), "ratio"


E2E_CALLS = 800  # per config: medians of ~780 interleaved pairs are stable to about ±0.02


def run_e2e_ratio() -> Iterator[tuple[str, float, str]]:
    """Decide through the local gateway vs its own storage calls made bare.

    Its own calls: the ``BatchGetItem`` of the customer's profile and state, the state's
    ``UpdateItem`` (the visit, plus the chosen campaign's frequency count and condition when it
    has one), both built by the same DAL functions, and the ``PutRecordBatch`` of the decision's
    request and served events (the funnel's first steps, built by
    :func:`xsell.measuring.decisions.decision_lines`) to the same events stream, all sent with
    boto3's default clients. So the ratio is what the gateway, the handler, the choice and the
    shared limits' blocks (refills included) add to the storage work a decision cannot avoid.
    For reference, the same decide against the generic pair — a ``GetItem`` of
    the profile and a one-attribute ``UpdateItem`` — the issue first described.

    Same DynamoDB Local, medians of interleaved calls, fresh customers (profile, no state yet),
    one kept-alive connection each. First with the demo config as seeded — every campaign has a
    daily cap and a frequency cap, and destination caps and reciprocity apply — then with those
    limits removed.
    """
    import datetime as dt
    import http.client
    from urllib.parse import urlsplit

    import boto3

    from demo.brands import SLOT
    from local.lambda_runtime import handler_module
    from tests.bench.system import local_system
    from xsell import env
    from xsell.admin import configs
    from xsell.dal import customers as customer_store
    from xsell.decisioning import catalog, volume
    from xsell.measuring import decisions
    from xsell.models import Counter, Profile

    site = "hana-web"
    with local_system() as system:
        customers = [f"BENCH{n:05d}" for n in range(6 * E2E_CALLS)]
        for customer in customers:
            Profile(
                customer, group_rank="gold", attributes={"gender": "female"}, brands={"umi": {"used": 1}}
            ).save()
        bare = boto3.session.Session().client("dynamodb")  # boto3's default client
        bare_stream = boto3.session.Session().client("firehose")
        stream = env.get(env.EVENTS_STREAM)
        profiles, counters = Profile.Meta.table_name, Counter.Meta.table_name
        gateway = urlsplit(system.gateway.url)
        origin = system.site_urls["hana"]
        # One kept-alive connection, as a browser keeps one to API Gateway (and boto3 to DynamoDB).
        connection = http.client.HTTPConnection(gateway.hostname, gateway.port, timeout=10)
        snapshots = handler_module("decide").snapshots

        def own_calls(customer: str) -> float:
            now = dt.datetime.now(dt.UTC)
            campaign = snapshots.get().index[(site, SLOT)][0][0]  # a campaign this page shows
            visit = customer_store.this_visit(None, site, None, now)
            frequency = volume.frequency_claims(campaign, now)
            start = time.perf_counter()
            bare.batch_get_item(RequestItems=customer_store.read_request(customer))
            bare.update_item(
                TableName=profiles, **customer_store.visit_update(customer, site, visit, now, frequency)
            )
            lines = decisions.decision_lines(
                at=now,
                decision_id=uuid.uuid4().hex,
                site_id=site,
                source_brand="hana",
                slots=[SLOT],
                served=[
                    decisions.Served(
                        SLOT,
                        campaign.campaign_id,
                        campaign.creatives[0].creative_id,
                        campaign.destination_brand,
                    )
                ],
                customer_hash=customer,
                device=None,
            )
            records = [{"Data": line} for line in lines]
            bare_stream.put_record_batch(DeliveryStreamName=stream, Records=records)
            return time.perf_counter() - start

        def get_update(customer: str) -> float:
            start = time.perf_counter()
            bare.get_item(TableName=profiles, Key={"customer_id": {"S": customer}})
            bare.update_item(
                TableName=counters,
                Key={"pk": {"S": f"bench#{customer}"}, "sk": {"S": "state"}},
                UpdateExpression="ADD visits :one",
                ExpressionAttributeValues={":one": {"N": "1"}},
                ReturnValues="ALL_OLD",
            )
            return time.perf_counter() - start

        def through_gateway(customer: str) -> float:
            body = json.dumps({"site": site, "customer": {"id": customer}, "slots": [SLOT]})
            start = time.perf_counter()
            # As the site's page calls it: with its Origin, so the call takes units of caps.
            connection.request(
                "POST", "/v1/decide", body, {"content-type": "text/plain;charset=UTF-8", "Origin": origin}
            )
            response = connection.getresponse()
            answer = json.loads(response.read())
            elapsed = time.perf_counter() - start
            assert response.status == 200 and answer["slots"], answer
            return elapsed

        def medians(batch: list[str]) -> tuple[float, float, float]:
            """Median ms of decide, its own calls and the generic pair, each on fresh customers."""
            runs: tuple[list[float], list[float], list[float]] = ([], [], [])
            for n, at in enumerate(range(0, len(batch) - 2, 3)):
                for samples, measure, customer in zip(
                    runs, (through_gateway, own_calls, get_update), batch[at : at + 3], strict=True
                ):
                    elapsed = measure(customer)
                    if n >= 20:  # warm: snapshot, secret, connections, blocks
                        samples.append(elapsed)
            ours, own, pair = (statistics.median(samples) * 1000 for samples in runs)
            return ours, own, pair

        limited = medians(customers[: 3 * E2E_CALLS])
        drafts = configs.Workspace.load().draft_docs("campaign")
        configs.publish_documents(
            {
                "group": {catalog.GROUP_ID: {}},
                "campaign": {
                    campaign_id: {k: v for k, v in doc.items() if k not in ("caps", "frequency")}
                    for campaign_id, doc in drafts.items()
                },
            },
            note="bench: no limits",
        )
        snapshots.refresh()  # see the new config now, then cache it as usual
        unlimited = medians(customers[3 * E2E_CALLS :])
    yield "decide.e2e_median_ms", round(limited[0], 2), "ms"
    yield "decide.e2e_own_calls_median_ms", round(limited[1], 2), "ms"
    yield "decide.e2e_ratio", round(limited[0] / limited[1], 2), "ratio"
    yield "decide.e2e_ratio_no_limits", round(unlimited[0] / unlimited[1], 2), "ratio"
    yield "decide.e2e_get_update_median_ms", round(limited[2], 2), "ms"
    yield "decide.e2e_ratio_vs_get_update", round(limited[0] / limited[2], 2), "ratio"
    yield "decide.e2e_ratio_vs_get_update_no_limits", round(unlimited[0] / unlimited[2], 2), "ratio"
