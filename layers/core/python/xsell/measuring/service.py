"""The collect use case: a batch from the tag in, per-event verdicts out. Storage through the DAL."""

from __future__ import annotations

import datetime as dt
from collections import Counter as Tally
from dataclasses import dataclass, field
from typing import Any

from xsell.dal import counters as counter_store
from xsell.dal import events as event_store
from xsell.dal import secrets
from xsell.decisioning.volume import ClickCounter
from xsell.errors import XsellError
from xsell.measuring import records
from xsell.measuring.events import Event, Reason, Rejected, check, parse_batch

# The replay guard outlives its token by this much, to cover clock skew between functions.
GUARD_MARGIN = dt.timedelta(hours=1)


class EventsUnavailable(XsellError):
    """No accepted event of a batch could be written to the stream."""


@dataclass
class Outcome:
    accepted: int = 0
    rejections: list[tuple[int, Reason]] = field(default_factory=list)

    def as_response(self) -> dict[str, Any]:
        reasons = Tally(reason.value for _, reason in self.rejections)
        return {
            "accepted": self.accepted,
            "rejected": len(self.rejections),
            "reasons": dict(sorted(reasons.items())),
            "rejections": [{"index": i, "reason": r.value} for i, r in sorted(self.rejections)],
        }


def _guard(event: Event) -> tuple[str, str]:
    order = event.order.order_id if event.order else None
    return event_store.seen_key(event.claims.decision_id, event.claims.slot, event.type, order)


def collect(body: str | None, now: dt.datetime | None = None) -> dict[str, Any]:
    """Validate every event of ``body``, drop replays, write the rest; InvalidRequest for a bad body."""
    batch = parse_batch(body)
    received = now or dt.datetime.now(dt.UTC)
    key = secrets.signing_key()
    outcome = Outcome()
    valid: list[tuple[int, Event]] = []
    for index, raw in enumerate(batch.events):
        try:
            valid.append((index, check(raw, key, received.timestamp())))
        except Rejected as exc:
            outcome.rejections.append((index, exc.reason))

    claimed: list[tuple[int, Event]] = []
    for index, event in valid:
        expires = dt.datetime.fromtimestamp(event.claims.expires, dt.UTC) + GUARD_MARGIN
        if event_store.claim(_guard(event), expires):
            claimed.append((index, event))
        else:
            outcome.rejections.append((index, Reason.DUPLICATE))
    if not claimed:
        return outcome.as_response()

    lines = [records.encode(records.shape(event, received, key, batch.site)) for _, event in claimed]
    failed = set(event_store.put_records(lines))
    for position, (index, event) in enumerate(claimed):
        if position in failed:
            event_store.release(_guard(event))
            outcome.rejections.append((index, Reason.NOT_STORED))
    if len(failed) == len(claimed):
        raise EventsUnavailable("the events stream accepted none of the events")
    # Click caps count stored clicks only: a replay was refused above, a refused record released.
    counter_store.count_clicks(
        [
            ClickCounter(*counter)
            for position, (_, event) in enumerate(claimed)
            if position not in failed and event.type == "click"
            for counter in event.claims.click_counters
        ]
    )
    outcome.accepted = len(claimed) - len(failed)
    return outcome.as_response()
