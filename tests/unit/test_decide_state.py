"""Which frequency counts a decision drops from the customer's state item."""

from __future__ import annotations

import datetime as dt

from xsell.decisioning import catalog
from xsell.decisioning.service import _stale_frequencies

NOW = dt.datetime(2026, 11, 23, 15, 0, 30, tzinfo=dt.UTC)  # 00:00:30 on the 24th in Tokyo


def _snapshot():
    campaign = {
        "campaign_id": "c1",
        "status": "active",
        "destination_brand": "tabi",
        "source_sites": ["hana-web"],
        "slots": ["top"],
        "creatives": [{"creative_id": "a", "template": "text_card", "fields": {"link_url": "https://x.jp"}}],
        "frequency": [{"period": "day", "limit": 3}, {"period": "total", "limit": 9}],
    }
    return catalog.compile_snapshot(1, [{"site_id": "hana-web", "brand": "hana"}], [campaign])


def _state(*names):
    return {name: {"N": "1"} for name in names} | {"visits#hana-web": {"N": "4"}}


def test_only_counts_of_ended_periods_of_known_campaigns_are_dropped():
    state = _state(
        "freq#c1#d2026-11-23",  # yesterday in Tokyo: ended
        "freq#c1#d2026-11-24",  # today: kept
        "freq#c1#total",  # never ends
        "freq#c9#d2026-11-01",  # a campaign this instance does not know (yet): kept
    )
    assert _stale_frequencies(state, _snapshot(), NOW) == ["freq#c1#d2026-11-23"]


def test_a_request_timed_before_midnight_keeps_the_new_day_s_count():
    just_before = NOW - dt.timedelta(seconds=31)  # 23:59:59 on the 23rd in Tokyo
    state = _state("freq#c1#d2026-11-24")  # written by a request timed after midnight
    assert _stale_frequencies(state, _snapshot(), just_before) == []
