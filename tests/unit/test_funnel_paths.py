"""The funnel's orders agree on every path: all raw, all compacted, and every split of a period
into compacted days followed by raw ones, on random events with orders reported again on the
same and on later days, against a reference written plainly in Python (first report in the
period wins; latest click in the click window, else latest impression in the view window)."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

import pytest

from tests import report_events as fx
from xsell.admin.access import Principal
from xsell.measuring import records
from xsell.reporting import engines, service

ADMIN = Principal("admin", "a@example.jp", "group-admin", None)
DAYS = [f"2026-11-0{d}" for d in range(1, 9)]
PERIOD = {"from": "2026-11-03", "until": "2026-11-08", "click_window_days": "3", "view_window_days": "1"}
NOW = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
TOKYO = dt.timezone(dt.timedelta(hours=9))


def _events(seed: int) -> list[dict]:
    rng = random.Random(seed)
    times: set[dt.datetime] = set()

    def at() -> str:
        while True:  # distinct times: the rule's tie-breaks are covered by the hand-worked fixture
            day = dt.date.fromisoformat(rng.choice(DAYS))
            moment = dt.datetime.combine(day, dt.time(), TOKYO) + dt.timedelta(seconds=rng.randrange(86400))
            if moment not in times:
                times.add(moment)
                return moment.isoformat()

    events = []
    for n in range(120):
        campaign = rng.choice(list(fx.CAMPAIGNS))
        creative = f"{campaign[-1]}{rng.randint(1, 2)}"
        device = rng.choice(["mobile", "desktop", None])
        who = rng.randrange(5)
        kind = rng.choice(["impression", "impression", "click"])
        events.append(fx.record(kind, at(), who, campaign, creative, f"d{n}", device))
    for n in range(30):
        campaign = rng.choice(list(fx.CAMPAIGNS))
        order = f"O{rng.randrange(15)}"  # a small pool: orders come again, the same day or later
        channel = rng.choice(["browser", "s2s"])
        value = float(rng.randrange(1, 50) * 100)
        events.append(fx._conv(at(), rng.randrange(5), campaign, None, f"c{n}", order, value, None, channel))
    return events


def _write(root, events) -> None:
    folders = fx.by_folder((records.day(dt.datetime.fromisoformat(e["received_at"])), e) for e in events)
    for day, data in folders.items():
        folder = root / records.EVENTS_PREFIX / f"dt={day}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"xsell-events-{day}.gz").write_bytes(data)


def _reference(events: list[dict]) -> dict[tuple, tuple[int, int, int, float]]:
    def ts(e: dict) -> dt.datetime:
        return dt.datetime.fromisoformat(e["received_at"])

    first, last = (dt.date.fromisoformat(PERIOD[k]) for k in ("from", "until"))
    in_period = [e for e in events if first <= ts(e).astimezone(TOKYO).date() <= last]
    reports = sorted(
        (e for e in in_period if e["event_type"] == "conversion"), key=lambda e: (ts(e), e["event_id"])
    )
    seen: set[tuple[str, str]] = set()
    out: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, 0.0])
    for order in reports:
        key = (order["destination_brand"], order["order_id"])
        if key in seen:
            continue
        seen.add(key)
        before = [
            e
            for e in events
            if e["event_type"] in ("click", "impression")
            and e["customer_hash"] == order["customer_hash"]
            and e["destination_brand"] == order["destination_brand"]
            and ts(e) <= ts(order)
        ]
        touch = None
        for kind, days in (("click", 3), ("impression", 1)):
            latest = max((e for e in before if e["event_type"] == kind), key=ts, default=None)
            if latest is not None and ts(order) <= ts(latest) + dt.timedelta(days=days):
                touch = (kind, latest)
                break
        if touch is None:
            continue
        kind, t = touch
        row = out[
            (
                ts(order).astimezone(TOKYO).date().isoformat(),
                t["campaign_id"],
                t["creative_id"],
                t["site_id"],
                t["source_brand"],
                t["destination_brand"],
                t["device"] or "unknown",
            )
        ]
        row[0 if kind == "click" else 1] += 1
        row[2] += order["channel"] == "s2s"
        row[3] += order["value"]
    return {k: tuple(v) for k, v in out.items()}


def _funnel(root, compacted: list[str]) -> dict[tuple, tuple[int, int, int, float]]:
    runner = engines.DuckDBEngine(engines.DirStore(root))
    for day in compacted:
        assert runner.compact(day)
    runner.compact_finished = lambda *a, **k: []
    service.CACHE.clear()
    rows = service.run(ADMIN, "funnel", PERIOD, now=NOW, use=runner, context={})["rows"]
    return {
        tuple(r[c] for c in service.FUNNEL_COLUMNS[:7]): (
            r["click_conversions"],
            r["view_conversions"],
            r["s2s_conversions"],
            r["revenue"],
        )
        for r in rows
        if r["click_conversions"] or r["view_conversions"]
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_split_into_compacted_and_raw_days_gives_the_reference_orders(tmp_path, seed):
    events = _events(seed)
    expected = _reference(events)
    assert sum(v[0] for v in expected.values()) >= 3 and sum(v[1] for v in expected.values()) >= 1
    repeats = [e["order_id"] for e in events if e["event_type"] == "conversion"]
    assert len(repeats) > len(set(repeats))  # and reports orders again
    for split in range(len(DAYS) + 1):
        root = tmp_path / f"split-{split}"
        _write(root, events)
        assert _funnel(root, DAYS[:split]) == expected, f"first {split} days compacted"
