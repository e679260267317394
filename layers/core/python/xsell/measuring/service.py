"""The collect use case: a batch from the tag in, per-event verdicts out. Storage through the DAL."""

from __future__ import annotations

import datetime as dt
from collections import Counter as Tally
from dataclasses import dataclass, field
from typing import Any

from xsell import observability
from xsell.dal import counters as counter_store
from xsell.dal import events as event_store
from xsell.dal import secrets
from xsell.decisioning.volume import ClickCounter
from xsell.errors import XsellError
from xsell.measuring import records
from xsell.measuring.events import MAX_BROWSER_CONVERSIONS, Event, Reason, Rejected, check, parse_batch

# The replay guard outlives its token by this much, to cover clock skew between functions.
GUARD_MARGIN = dt.timedelta(hours=1)


class EventsUnavailable(XsellError):
    """No accepted event of a batch could be written to the stream."""


@dataclass
class Outcome:
    accepted: int = 0
    rejections: list[tuple[int, Reason]] = field(default_factory=list)

    def as_response(self) -> dict[str, Any]:
        """The batch's answer; its verdicts are counted (EventsAccepted, EventsRejected) as it goes."""
        reasons = Tally(reason.value for _, reason in self.rejections)
        observability.count(observability.EVENTS_ACCEPTED, self.accepted)
        for reason, n in reasons.items():
            observability.count(observability.EVENTS_REJECTED, n, reason=reason)
        return {
            "accepted": self.accepted,
            "rejected": len(self.rejections),
            "reasons": dict(sorted(reasons.items())),
            "rejections": [{"index": i, "reason": r.value} for i, r in sorted(self.rejections)],
        }


def _guard(event: Event) -> tuple[str, str]:
    order = event.order.order_id if event.order else None
    return event_store.seen_key(event.claims.decision_id, event.claims.slot, event.type, order)


def _tally(event: Event) -> tuple[str, str]:
    return event_store.conversions_key(event.claims.decision_id, event.claims.slot)


def _claim(event: Event) -> Reason | None:
    """Take the event's replay guard (and, for a conversion, one of its token's conversions);
    the reason when it cannot be accepted."""
    expires = dt.datetime.fromtimestamp(event.claims.expires, dt.UTC) + GUARD_MARGIN
    if event.type != "conversion":
        return None if event_store.claim(_guard(event), expires) else Reason.DUPLICATE
    verdict = event_store.claim_capped(_guard(event), _tally(event), MAX_BROWSER_CONVERSIONS, expires)
    if verdict is event_store.Claim.DUPLICATE:
        return Reason.DUPLICATE
    return Reason.CONVERSION_CAP if verdict is event_store.Claim.CAPPED else None


def _release(event: Event) -> None:
    if event.type == "conversion":
        event_store.release_capped(_guard(event), _tally(event))
    else:
        event_store.release(_guard(event))


def collect(body: str | None, now: dt.datetime | None = None) -> dict[str, Any]:
    """Validate every event of ``body``, drop replays, write the rest; InvalidRequest for a bad body."""
    batch = parse_batch(body)
    received = now or dt.datetime.now(dt.UTC)
    keys = secrets.signing_keys(received)
    outcome = Outcome()
    valid: list[tuple[int, Event]] = []
    for index, raw in enumerate(batch.events):
        try:
            valid.append((index, check(raw, keys, received.timestamp())))
        except Rejected as exc:
            outcome.rejections.append((index, exc.reason))

    claimed: list[tuple[int, Event]] = []
    for index, event in valid:
        refused = _claim(event)
        if refused is None:
            claimed.append((index, event))
        else:
            outcome.rejections.append((index, refused))
    if not claimed:
        return outcome.as_response()

    pseudonyms = secrets.pseudonym_key()
    lines = [records.encode(records.shape(event, received, pseudonyms, batch.site)) for _, event in claimed]
    failed = set(event_store.put_records(lines))
    for position, (index, event) in enumerate(claimed):
        if position in failed:
            _release(event)
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
    observability.count(
        observability.CONVERSIONS,
        sum(1 for p, (_, event) in enumerate(claimed) if p not in failed and event.type == "conversion"),
    )
    return outcome.as_response()
