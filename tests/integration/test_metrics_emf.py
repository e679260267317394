"""The functions' metrics as they leave the local system: EMF documents on stdout, per function.

Decide and collect are called over real HTTP through the local API gateway, the importer through
the drop bucket's queue and the dispatcher, all hosting the real handlers in this process; each
invocation prints its counts when it ends, as Lambda would have CloudWatch read them.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

import pytest

from tests import decide_contract as contract
from tests.fixtures.csv import upload
from xsell import observability as obs
from xsell.dal import jobs, secrets

Key = tuple[str, str, str | None]  # (service, metric, reason)


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def emitted(text: str) -> dict[Key, float]:
    """(service, metric, reason) -> total over the EMF documents printed in the xsell namespace."""
    totals: dict[Key, float] = {}
    for line in text.splitlines():
        if not line.startswith("{") or '"_aws"' not in line:
            continue
        doc = json.loads(line)
        [directive] = doc["_aws"]["CloudWatchMetrics"]
        if directive["Namespace"] != obs.NAMESPACE:
            continue
        assert doc[obs.STAGE] == "local"
        for metric in directive["Metrics"]:
            value = doc[metric["Name"]]
            key = (doc[obs.SERVICE], metric["Name"], doc.get(obs.REASON))
            totals[key] = totals.get(key, 0) + (sum(value) if isinstance(value, list) else value)
    return totals


@pytest.fixture
def printed(capsys):
    """What the local system printed during the test (the gateway's threads included)."""
    capsys.readouterr()
    return lambda: emitted(capsys.readouterr().out)


def test_decide_counts_decisions_served_slots_and_refusals(local_system, printed):
    url, origin = f"{local_system.gateway.url}/v1/decide", {"Origin": local_system.site_urls["hana"]}
    body = {"site": "hana-web", "customer": {"id": f"emf-{uuid.uuid4().hex[:8]}"}, "slots": ["top-banner"]}
    status, answer = post(url, json.dumps(body).encode(), origin)
    assert status == 200 and "top-banner" in answer["slots"]
    status, answer = post(url, json.dumps({**body, "site": "nowhere"}).encode(), {})
    assert (status, answer["error"]) == (404, "unknown_site")
    status, answer = post(url, b"{not json", {})
    assert (status, answer["error"]) == (400, "invalid_request")

    metrics = printed()
    assert metrics[("xsell-decide", obs.DECISIONS, None)] == 1
    assert metrics[("xsell-decide", obs.SLOTS_SERVED, None)] == 1
    assert metrics[("xsell-decide", obs.DECIDE_REFUSED, "unknown_site")] == 1
    # The body that is not JSON never reaches the use case: the router refuses it, uncounted.
    assert ("xsell-decide", obs.DECIDE_REFUSED, "invalid_request") not in metrics
    assert {service for service, _, _ in metrics} == {"xsell-decide"}


def test_collect_counts_stored_events_conversions_and_rejections_by_reason(local_system, printed):
    key = secrets.signing_key()
    claims = contract.demo_claims(key, f"C{uuid.uuid4().int % 10**6:06d}")
    slot, ref = contract.slot_token(key, claims), contract.ref_token(key, claims)
    events = [
        {"type": "impression", "token": slot},
        {
            "type": "conversion",
            "ref": ref,
            "order_id": f"E-{uuid.uuid4().hex[:8]}",
            "value": 500,
            "currency": "JPY",
        },
        {"type": "click", "token": "not.a-token"},
        {"type": "impression", "token": slot},  # the same impression again: a replay
    ]
    status, answer = post(
        f"{local_system.gateway.url}/v1/events",
        json.dumps({"site": "tabi-web", "events": events}).encode(),
        {"content-type": "text/plain;charset=UTF-8"},
    )
    assert status == 200 and answer["accepted"] == 2, answer

    metrics = printed()
    assert metrics[("xsell-collect", obs.EVENTS_ACCEPTED, None)] == 2
    assert metrics[("xsell-collect", obs.CONVERSIONS, None)] == 1
    rejected = {reason: n for (s, m, reason), n in metrics.items() if m == obs.EVENTS_REJECTED}
    assert rejected == {reason: float(n) for reason, n in answer["reasons"].items()}
    assert sum(rejected.values()) == 2


def test_the_importer_counts_rows_rejected_rows_and_failed_files(local_system, printed):
    p = uuid.uuid4().hex[:8]
    good = upload(local_system, "profiles", f"customer_id,group_rank\n{p}-1,gold\n{p}-2,gold\nbad id!,gold\n")
    failed = upload(local_system, "profiles", "group_rank\ngold\n")  # no customer_id column: rejected
    local_system.dispatcher.drain()
    assert jobs.find(good.job_id).status == "succeeded"
    assert (jobs.find(failed.job_id).status, jobs.find(failed.job_id).reason_code) == (
        "rejected",
        "missing_columns",
    )

    metrics = printed()
    assert metrics[("xsell-importer", obs.IMPORT_ROWS, None)] == 2
    assert metrics[("xsell-importer", obs.IMPORT_ROW_ERRORS, None)] == 1
    assert metrics[("xsell-importer", obs.IMPORT_FAILURES, None)] == 1
