"""In-process decision compute: choose() over snapshots of 10, 100 and 500 active campaigns."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Iterator

from xsell.decisioning import engine

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
    return engine.compile_snapshot(1, SITES, raw)


def _percentiles(campaigns: int, calls: int = 3000) -> tuple[float, float]:
    snap = synthetic_snapshot(campaigns)
    site = snap.sites["site-0"]
    customers = [engine.Customer(f"C{n}", frozenset({f"brand-{n % 10}"}), frozenset()) for n in range(calls)]
    samples = []
    for customer in customers:
        start = time.perf_counter_ns()
        engine.choose(snap, site, SLOTS, customer)
        samples.append((time.perf_counter_ns() - start) / 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99)]


def run() -> Iterator[tuple[str, float, str]]:
    yield from run_import_ratio()
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
