"""Admin benchmarks: how soon a publish reaches every decide instance, and decide's cold import.

``admin.publish_to_serving_s`` publishes a change while :data:`INSTANCES` decide instances
(each its own snapshot cache and lease pool, as separate Lambda instances are) keep deciding,
and measures until the last of them serves the new version. Target: the snapshot TTL + 1 s.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from tests.bench import spa
from tests.bench.decide import run_import_ratio

INSTANCES = 8
TTL_SECONDS = 10.0  # the bench's snapshot TTL (the product default is 30 s; the target scales with it)


def run() -> Iterator[tuple[str, float, str]]:
    yield from run_publish_to_serving()
    for name, value, unit in run_import_ratio():
        if name == "decide.import_ratio":
            yield "admin.decide_import_ratio_after", value, unit
    yield from spa.run()


def run_publish_to_serving() -> Iterator[tuple[str, float, str]]:
    from demo.brands import SLOT
    from tests.bench.system import local_system
    from xsell.admin import configs
    from xsell.dal import counters
    from xsell.decisioning import leases, service

    with local_system():
        instances = [service.SnapshotCache(ttl=TTL_SECONDS) for _ in range(INSTANCES)]
        served: list[int] = [0] * INSTANCES
        stop = threading.Event()

        def instance(n: int) -> None:
            pool = leases.Pool(counters.STORE)
            calls = 0
            while not stop.is_set():
                calls += 1
                body = {"site": "hana-web", "customer": {"id": f"B{n}x{calls}"}, "slots": [SLOT]}
                service.decide(body, instances[n], pool=pool)
                served[n] = instances[n].get().version
                time.sleep(0.05)  # a steady trickle of page views per instance

        threads = [threading.Thread(target=instance, args=(n,), daemon=True) for n in range(INSTANCES)]
        for thread in threads:
            thread.start()
            time.sleep(TTL_SECONDS / INSTANCES)  # instances refresh at different moments, as in Lambda
        drafts = configs.Workspace.load().draft_docs("campaign")
        paused = {**drafts["hana-to-tabi"], "status": "paused"}
        start = time.monotonic()
        version = configs.publish_documents({"campaign": {"hana-to-tabi": paused}}, note="bench: pause")
        published = time.monotonic()
        while min(served) < version:
            if time.monotonic() - start > 3 * TTL_SECONDS:
                raise RuntimeError(f"decide instances still serve {served} after {3 * TTL_SECONDS:.0f}s")
            time.sleep(0.01)
        reached = time.monotonic()
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
    yield "admin.publish_s", round(published - start, 3), "s"
    yield "admin.publish_to_serving_s", round(reached - start, 2), "s"
    yield "admin.snapshot_ttl_s", TTL_SECONDS, "s"
