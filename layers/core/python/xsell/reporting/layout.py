"""Where the events live in the events bucket, and the day arithmetic of a report's scan.

- ``events/dt=YYYY-MM-DD/...gz``: Firehose's GZIP JSON lines (dt: the Asia/Tokyo day the object
  arrived, xsell.measuring.records);
- ``compacted/dt=YYYY-MM-DD/*.parquet``: one finished day, by event time, sorted (compact.sql);
- ``rollups/funnel_daily/dt=YYYY-MM-DD/*.parquet`` and ``rollups/conversion_touches/dt=.../``:
  written by the same compaction from the same day (compact_funnel.sql, compact_touches.sql); a
  day counts as compacted only once all three are there;
- ``athena-results/``: in AWS, the results bucket of the workgroup (a bucket of its own).

A day is compacted after 00:30 Asia/Tokyo on the next day (``COMPACT_AFTER``): Firehose buffers
at most 60 s and retries, so the neighbouring folder is complete by then.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator

from xsell.measuring.records import EVENTS_PREFIX, TIME_ZONE

COMPACTED_PREFIX = "compacted/"
ROLLUPS_PREFIX = "rollups/"
# The tables the compaction writes next to events_parquet, and where.
ROLLUP_PREFIXES = {
    "funnel_daily": f"{ROLLUPS_PREFIX}funnel_daily/",
    "conversion_touches": f"{ROLLUPS_PREFIX}conversion_touches/",
}
MAX_WINDOW_DAYS = 30  # the longest attribution window a report accepts
MAX_REPORT_DAYS = 93  # the longest period a report covers
TOUCH_LOOKBACK_DAYS = MAX_WINDOW_DAYS + 1  # how far back conversion_touches searches for touches
# how far back conversion_touches looks for an earlier report of the same order (prev_day): far
# enough that any period a report covers, ending on the day, starts inside it
REPEAT_LOOKBACK_DAYS = MAX_REPORT_DAYS - 1
LAYOUT_VERSION = 4  # bumped whenever the compacted files change shape
# Parquet compression per table: the detail is large and read by column, so ZSTD's smaller files
# pay; the rollups are small and read whole by every funnel, so faster-to-decode Snappy does.
COMPRESSION = {"events_parquet": "ZSTD", "funnel_daily": "SNAPPY", "conversion_touches": "SNAPPY"}
COMPACT_AFTER = dt.timedelta(minutes=30)
_DAY = re.compile(r"dt=(\d{4}-\d{2}-\d{2})/")


def day_of(key: str) -> str | None:
    found = _DAY.search(key)
    return found.group(1) if found else None


def days(first: str, last: str) -> Iterator[str]:
    day, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    while day <= end:
        yield day.isoformat()
        day += dt.timedelta(days=1)


def shift(day: str, n: int) -> str:
    return (dt.date.fromisoformat(day) + dt.timedelta(days=n)).isoformat()


def today(now: dt.datetime | None = None) -> str:
    return (now or dt.datetime.now(dt.UTC)).astimezone(TIME_ZONE).date().isoformat()


def finished(day: str, now: dt.datetime | None = None) -> bool:
    """True once ``day`` may be compacted: the next day's first half hour is over."""
    start_next = dt.datetime.combine(dt.date.fromisoformat(day) + dt.timedelta(days=1), dt.time(), TIME_ZONE)
    return (now or dt.datetime.now(dt.UTC)) >= start_next + COMPACT_AFTER


def json_folders(uncompacted: Iterable[str], existing: Iterable[str]) -> list[str]:
    """The JSON folders that can hold events of the ``uncompacted`` days: each day and its neighbours."""
    wanted = {shift(d, n) for d in uncompacted for n in (-1, 0, 1)}
    return sorted(wanted & set(existing))


def events_key(day: str, name: str) -> str:
    return f"{EVENTS_PREFIX}dt={day}/{name}"


def compacted_key(day: str, name: str = "part-00000.parquet") -> str:
    return f"{COMPACTED_PREFIX}dt={day}/{name}"


def rollup_key(table: str, day: str, name: str = "part-00000.parquet") -> str:
    return f"{ROLLUP_PREFIXES[table]}dt={day}/{name}"
