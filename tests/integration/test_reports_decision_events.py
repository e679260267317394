"""The funnel's first steps through the real path: decide over HTTP writes a request per asked
slot and a served per filled slot to local Firehose, with the page's device class, and the tag's
impression with decide's slot token is stored with the same device."""

from __future__ import annotations

import json
import urllib.request

from tests.stored_events import wait_for


def _post(url: str, body: dict, headers: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers=headers or {}
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # a cold decide imports a lot
        return response.status, json.loads(response.read())


def test_decide_stores_request_and_served_with_the_device(local_system):
    status, answer = _post(
        f"{local_system.gateway.url}/v1/decide",
        {
            "site": "hana-web",
            "customer": {"id": "funnel-device-1"},
            "slots": ["top-banner", "no-such-slot"],
            "device": "tablet",
        },
        {"Origin": local_system.site_urls["hana"]},
    )
    assert status == 200
    decision = answer["decision_id"]
    served = answer["slots"]["top-banner"]
    found = [r for _, r in wait_for(lambda r: r["decision_id"] == decision, count=3, timeout=10)]
    requests = sorted(r["slot"] for r in found if r["event_type"] == "request")
    assert requests == ["no-such-slot", "top-banner"]  # one per asked slot, filled or not
    [record] = [r for r in found if r["event_type"] == "served"]
    assert (record["slot"], record["campaign_id"], record["creative_id"], record["destination_brand"]) == (
        "top-banner",
        served["campaign_id"],
        served["creative_id"],
        served["destination_brand"],
    )
    assert {r["device"] for r in found} == {"tablet"}
    assert all(r["site_id"] == "hana-web" and r["source_brand"] == "hana" for r in found)
    assert all(len(r["customer_hash"]) == 22 and "funnel-device-1" not in json.dumps(r) for r in found)

    status, stored = _post(
        f"{local_system.gateway.url}/v1/events",
        {"site": "hana-web", "events": [{"type": "impression", "token": served["token"]}]},
        {"content-type": "text/plain;charset=UTF-8"},
    )
    assert (status, stored["accepted"]) == (200, 1)
    impressions = wait_for(
        lambda r: r["decision_id"] == decision and r["event_type"] == "impression", count=1, timeout=10
    )
    assert impressions[0][1]["device"] == "tablet"
