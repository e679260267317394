"""Shared limits taken in blocks: caps and reciprocity credit without a write per decision.

A cap's counter (or a brand pair's credit) is shared by every decide instance, so a write
per served slot would make it one hot item and cost a round trip on every decision. An
instance leases a block of units instead — one conditional write that never passes the limit
(:class:`Store`) — and hands them out from memory; the next block is leased when it runs out.

- **Never over:** units are counted (or credit spent) when leased, so the stored count bounds
  what every instance together can serve. A unit taken for a choice that is then refused is
  returned to the block, not to the table. When a cap is lowered, an instance drops the units
  it leased under the old limit as soon as it sees the new config.
- **Possibly short:** an instance that stops (Lambda recycles idle ones) strands the rest of
  its block. A block holds about :data:`HOLD_S` of the instance's own traffic on that limit
  (the first is one unit; each next one is sized from how fast the last was used up), never
  more than :data:`MAX_BLOCK` or 1/:data:`SHARE` of the limit (one unit below that), so a stop
  strands at most about a second of that instance's traffic and never more than 2 % of a cap
  of 50 or more. Near the limit the
  store grants only what is left, so one instance serving a cap reaches it exactly.
- **Reciprocity:** a referral A→B spends A→B credit (leased in blocks like a cap) and earns
  B→A credit. Earnings and referral counts are settled in the pair's next write from this
  instance, or with its first referral on the pair once :data:`SETTLE_S` has passed; an
  instance that stops (or a period that ends) before that loses them. Unsettled or lost
  earnings only hold the other way back, so the bound holds at every instant. A way found
  without credit is asked again after :data:`RECHECK_S`, or at once when this instance has
  earned it credit since.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import NamedTuple, Protocol

from xsell import observability
from xsell.decisioning.volume import ClickLimit, Ledger, Quota, Shared

log = logging.getLogger(__name__)
_ZERO = Decimal(0)
HOLD_S = 1.0
MAX_BLOCK = 64
SHARE = 50
RECHECK_S = 1.0
SETTLE_S = 1.0

Way = tuple[str, str]  # (source brand, destination brand)


class Settlement(NamedTuple):
    """What one instance owes a pair's ledger: referrals made and credit earned, per way."""

    sent: dict[Way, int]
    earned: dict[Way, Decimal]  # exact sums: ten referrals at 0.1 earn one whole credit
    allowances: dict[Way, int]  # the starting credit of each restricted way (for a new item)

    def __bool__(self) -> bool:
        return any(self.sent.values()) or any(self.earned.values())


class Store(Protocol):
    def lease_quota(self, quota: Quota, units: int) -> int:
        """Count up to ``units`` more against the quota without passing its limit; how many."""

    def lease_credit(self, ledger: Ledger, units: int, settlement: Settlement) -> int:
        """Write ``settlement`` to the pair's ledger and spend up to ``units`` of the way's
        credit (the settlement's earnings included); how many were spent."""

    def clicks(self, limit: ClickLimit) -> int:
        """Clicks counted so far against a click cap."""


class _Block:
    """Units of one limit this instance holds, and how fast it used the last block."""

    def __init__(self) -> None:
        self.held = 0
        self.size = 0  # units in the last block leased
        self.leased_at = float("-inf")
        self.exhausted_at = float("-inf")
        self.exhausted_limit = -1  # a quota found full at this limit is full at any lower one
        self.limit = 0  # the quota's limit when its units were leased

    def next_size(self, ceiling: int, now: float) -> int:
        """About HOLD_S of traffic at the rate the last block was used up (1 for the first)."""
        if not self.size:
            return 1
        used_for = max(now - self.leased_at, 1e-3)
        return max(1, min(round(self.size * HOLD_S / used_for), ceiling))

    def leased(self, granted: int, now: float) -> None:
        """``granted`` units arrived; one of them is being taken now."""
        self.held += granted - 1
        self.size = granted
        self.leased_at = now


def ceiling(limit: float) -> int:
    return max(1, min(MAX_BLOCK, int(limit) // SHARE))


class _Pair:
    """One brand pair's ledger as this instance sees it: both ways' blocks and what it owes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.blocks: dict[Way, _Block] = {}
        self.sent: dict[Way, int] = {}
        self.earned: dict[Way, Decimal] = {}
        self.allowances: dict[Way, int] = {}
        self.owing_since = float("inf")

    def block(self, way: Way) -> _Block:
        return self.blocks.setdefault(way, _Block())

    def settlement(self) -> Settlement:
        return Settlement(dict(self.sent), dict(self.earned), dict(self.allowances))

    def settled(self, settlement: Settlement) -> None:
        for way, n in settlement.sent.items():
            self.sent[way] -= n
        for way, credit in settlement.earned.items():
            self.earned[way] -= credit
            if credit:  # the table holds new credit for that way: worth asking again
                self.block(way).exhausted_at = float("-inf")
        if not self.settlement():
            self.owing_since = float("inf")


class Pool:
    """The blocks one decide instance holds, keyed by counter; safe across threads."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._clock = clock
        self._lock = threading.Lock()
        self._quotas: dict[tuple[str, str, str], tuple[threading.Lock, _Block]] = {}
        self._pairs: dict[tuple[frozenset[str], str], _Pair] = {}

    def take(self, claims: Sequence[Shared]) -> bool:
        """Take one unit of every claim, or none: False when any limit is reached."""
        taken: list[Shared] = []
        for claim in claims:
            if not self._take(claim):
                self.give_back(taken)
                return False
            taken.append(claim)
        return True

    def give_back(self, claims: Iterable[Shared]) -> None:
        """Units taken for a choice that was not served go back to their blocks."""
        for claim in claims:
            if isinstance(claim, Quota):
                lock, block = self._quota(claim)
                with lock:
                    if claim.limit <= block.limit:  # not if the cap was lowered since it was taken
                        block.held += 1
            elif isinstance(claim, Ledger) and claim.allowance is not None:
                pair = self._pair(claim)
                with pair.lock:
                    pair.block((claim.source, claim.destination)).held += 1

    def served(self, claims: Iterable[Shared]) -> None:
        """The choice was served: count its referrals and earn the other ways their credit."""
        for claim in claims:
            if not isinstance(claim, Ledger):
                continue
            pair = self._pair(claim)
            there, back = (claim.source, claim.destination), (claim.destination, claim.source)
            with pair.lock:
                pair.sent[there] = pair.sent.get(there, 0) + 1
                if claim.earn:
                    pair.earned[back] = pair.earned.get(back, _ZERO) + Decimal(str(claim.earn))
                    pair.allowances[back] = claim.back_allowance
                if claim.allowance is not None:
                    pair.allowances[there] = claim.allowance
                now = self._clock()
                pair.owing_since = min(pair.owing_since, now)
                if now - pair.owing_since >= SETTLE_S:
                    try:
                        self._settle(pair, claim, 0)
                    except Exception:  # the choice is served already; what it owed is written off
                        log.exception("reciprocity settlement failed for %s>%s", *there)

    # --- one claim -------------------------------------------------------------------------

    def _quota(self, quota: Quota) -> tuple[threading.Lock, _Block]:
        key = (quota.scope, quota.subject, quota.period_key)
        found = self._quotas.get(key)
        if found is None:
            with self._lock:
                found = self._quotas.setdefault(key, (threading.Lock(), _Block()))
        return found

    def _pair(self, ledger: Ledger) -> _Pair:
        key = (frozenset((ledger.source, ledger.destination)), ledger.period_key)
        found = self._pairs.get(key)
        if found is None:
            with self._lock:
                found = self._pairs.setdefault(key, _Pair())
        return found

    def _take(self, claim: Shared) -> bool:
        if isinstance(claim, ClickLimit):
            return self._store.clicks(claim) < claim.limit
        if isinstance(claim, Quota):
            return self._take_quota(claim)
        return self._take_credit(claim)

    def _take_quota(self, quota: Quota) -> bool:
        lock, block = self._quota(quota)
        with lock:
            if quota.limit < block.limit:
                block.held = 0  # leased under a higher limit: they may be over the new one
            block.limit = quota.limit
            if block.held >= 1:
                block.held -= 1
                return True
            if quota.limit <= block.exhausted_limit:
                return False
            now = self._clock()
            granted = self._store.lease_quota(
                quota, min(quota.limit, block.next_size(ceiling(quota.limit), now))
            )
            if granted < 1:
                block.exhausted_limit = quota.limit  # counted once per instance, limit and period
                observability.count(observability.CAP_REACHED)
                return False
            block.leased(granted, now)
            observability.count(observability.LEASES_TAKEN)
            return True

    def _take_credit(self, ledger: Ledger) -> bool:
        if ledger.allowance is None:
            return True  # this way is unrestricted; serving it only earns the other way credit
        way = (ledger.source, ledger.destination)
        pair = self._pair(ledger)
        with pair.lock:
            block = pair.block(way)
            if block.held >= 1:
                block.held -= 1
                return True
            now = self._clock()
            if now - block.exhausted_at < RECHECK_S and not pair.earned.get(way):
                return False
            pair.allowances[way] = ledger.allowance
            granted = self._settle(pair, ledger, block.next_size(ceiling(ledger.allowance), now))
            if granted < 1:
                block.exhausted_at = now
                return False
            block.leased(granted, now)
            observability.count(observability.LEASES_TAKEN)
            return True

    def _settle(self, pair: _Pair, ledger: Ledger, units: int) -> int:
        """Write what this instance owes the pair, spending up to ``units`` (under pair.lock).

        A failed write may still have landed, so what it carried is written off rather than
        sent again: lost earnings only hold the other way back, a repeated one could push it
        over its bound. The store makes one attempt per write for the same reason.
        """
        settlement = pair.settlement()
        if not units and not settlement:
            return 0
        try:
            return self._store.lease_credit(ledger, units, settlement)
        finally:
            pair.settled(settlement)
