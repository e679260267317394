"""Leased blocks of shared limits: never over a limit, short only by what stopped instances hold."""

from __future__ import annotations

import math
import random
import threading
from concurrent.futures import ThreadPoolExecutor

from hypothesis import given, settings
from hypothesis import strategies as st

from xsell.decisioning import leases
from xsell.decisioning.leases import Pool, Settlement
from xsell.decisioning.volume import ClickLimit, Ledger, Quota


class TableStore:
    """The store's contract in memory: conditional, atomic, and counting its calls."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[tuple[str, str, str], int] = {}
        self.credit: dict[tuple[str, str], float] = {}
        self.sent: dict[tuple[str, str], int] = {}
        self.click_counts: dict[tuple[str, str, str], int] = {}
        self.calls = 0

    def lease_quota(self, quota: Quota, units: int) -> int:
        with self.lock:
            self.calls += 1
            key = (quota.scope, quota.subject, quota.period_key)
            granted = max(0, min(units, quota.limit - self.counts.get(key, 0)))
            self.counts[key] = self.counts.get(key, 0) + granted
            return granted

    def lease_credit(self, ledger: Ledger, units: int, settlement: Settlement) -> int:
        with self.lock:
            self.calls += 1
            for way, credit in settlement.earned.items():
                self.credit[way] = self.credit.get(way, settlement.allowances.get(way, 0)) + credit
            for way, n in settlement.sent.items():
                self.sent[way] = self.sent.get(way, 0) + n
            way = (ledger.source, ledger.destination)
            if not units:
                return 0
            have = self.credit.get(way, ledger.allowance or 0)
            granted = max(0, min(units, math.floor(have)))
            self.credit[way] = have - granted
            return granted

    def clicks(self, limit: ClickLimit) -> int:
        return self.click_counts.get((limit.scope, limit.subject, limit.period_key), 0)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def quota(limit: int, subject: str = "c1") -> Quota:
    return Quota("campaign", subject, "d2026-11-23", limit, None)


def ledger(source: str, destination: str, allowance: int | None, earn: float, back: int) -> Ledger:
    return Ledger(source, destination, "d2026-11-23", None, allowance, earn, back)


def test_one_instance_under_16_threads_serves_a_cap_exactly():
    store = TableStore()
    pool = Pool(store)

    def client(_: int) -> int:
        return sum(pool.take([quota(500)]) for _ in range(40))

    with ThreadPoolExecutor(16) as threads:
        assert sum(threads.map(client, range(16))) == 500
    assert store.counts[("campaign", "c1", "d2026-11-23")] == 500
    assert store.calls < 500  # blocks, not a write per unit


def test_several_instances_never_pass_the_cap_and_strand_at_most_their_blocks():
    store = TableStore()
    pools = [Pool(store) for _ in range(4)]
    rng = random.Random(3)
    served = sum(rng.choice(pools).take([quota(5000)]) for _ in range(8000))
    held = sum(block.held for pool in pools for _, block in pool._quotas.values())
    assert served + held == 5000
    assert held <= 4 * leases.ceiling(5000)


def test_a_block_holds_about_a_second_of_the_instance_s_traffic():
    store, clock = TableStore(), Clock()
    pool = Pool(store, clock)
    key = ("campaign", "c1", "d2026-11-23")

    def use_one_block(then_wait: float) -> int:
        before = store.counts.get(key, 0)
        pool.take([quota(100_000)])
        _, block = pool._quotas[key]
        for _ in range(block.held):
            pool.take([quota(100_000)])
        clock.now += then_wait
        return store.counts[key] - before

    # Each call uses one block up, and the block lasts ``then_wait`` seconds.
    assert use_one_block(0.1) == 1  # the first block is one unit ...
    assert use_one_block(0.5) == 10  # ... used up in 0.1 s: ten per second
    assert use_one_block(0.01) == 20  # ten in 0.5 s
    assert use_one_block(64 * leases.HOLD_S) == leases.MAX_BLOCK  # 2,000 per second, at most 64
    assert use_one_block(0) == 1  # 64 units lasted 64 s: one per second
    assert leases.ceiling(100_000) == leases.MAX_BLOCK and leases.ceiling(99) == 1


def test_a_block_is_never_more_than_2_percent_of_the_limit():
    store, clock = TableStore(), Clock()
    pool = Pool(store, clock)
    for _ in range(200):
        pool.take([quota(1000)])
        clock.now += 0.001
    _, block = pool._quotas[("campaign", "c1", "d2026-11-23")]
    assert block.size == 1000 // leases.SHARE


def test_a_refused_choice_gives_its_units_back_to_the_block():
    store = TableStore()
    pool = Pool(store)
    store.click_counts[("campaign", "c2", "total")] = 3
    full = ClickLimit("campaign", "c2", "total", 3)
    assert not pool.take([quota(1), full])  # the quota's unit was taken, then the click cap refused
    assert pool.take([quota(1)])  # and it is still there to serve
    assert not pool.take([quota(1)])
    assert store.counts[("campaign", "c1", "d2026-11-23")] == 1


def test_a_full_cap_is_not_asked_again_until_its_limit_rises():
    store = TableStore()
    pool = Pool(store)
    assert pool.take([quota(1)]) and not pool.take([quota(1)])
    calls = store.calls
    assert not pool.take([quota(1)])
    assert store.calls == calls
    assert pool.take([quota(2)])  # a raised limit is worth asking about


def test_reciprocity_earns_the_way_back_and_settles_within_a_second():
    store, clock = TableStore(), Clock()
    pool = Pool(store, clock)
    # a>b: ratio 1, allowance 2; b>a: ratio 3, allowance 0.
    there = ledger("a", "b", allowance=2, earn=3, back=0)
    back = ledger("b", "a", allowance=0, earn=1, back=2)
    assert not pool.take([back])  # b→a has earned nothing yet
    assert pool.take([there]) and pool.take([there])
    pool.served([there, there])
    assert not pool.take([there])  # a→b spent its allowance
    assert store.sent[("a", "b")] == 2  # settled when a→b came back for more
    assert store.credit[("b", "a")] == 6  # 2 referrals × b→a's own ratio
    clock.now += 0.1
    assert pool.take([back])  # b→a now has credit, though it was refused a moment ago
    pool.served([back])
    assert pool.take([there])  # earned by b→a in this instance: asked again at once
    pool.served([there])
    assert not pool.take([there])  # asking settled what this instance owed
    assert store.sent == {("a", "b"): 3, ("b", "a"): 1}
    # A way that spends nothing never asks the table, so what it owes is settled by time.
    free_back = ledger("b", "a", allowance=None, earn=1, back=2)
    calls = store.calls
    assert pool.take([free_back])
    pool.served([free_back])
    assert store.calls == calls and store.sent[("b", "a")] == 1  # owed for now ...
    clock.now += leases.SETTLE_S
    assert pool.take([free_back])
    pool.served([free_back])  # ... and settled once a second has passed
    assert store.sent[("b", "a")] == 3 and store.calls == calls + 1


@settings(max_examples=60, deadline=None)
@given(
    traffic=st.lists(st.tuples(st.integers(0, 2), st.booleans(), st.floats(0, 0.8)), max_size=300),
    allowance=st.integers(0, 120),
    ratio=st.sampled_from([0.5, 1.0, 2.0, 3.0]),
)
def test_the_reciprocity_bound_holds_at_every_instant_across_instances(traffic, allowance, ratio):
    store, clock = TableStore(), Clock()
    pools = [Pool(store, clock) for _ in range(3)]
    there = ledger("a", "b", allowance, ratio, allowance)
    back = ledger("b", "a", allowance, ratio, allowance)
    sent = {"there": 0, "back": 0}
    for instance, forward, pause in traffic:
        claim, name = (there, "there") if forward else (back, "back")
        if pools[instance].take([claim]):
            pools[instance].served([claim])
            sent[name] += 1
        assert sent["there"] <= allowance + ratio * sent["back"]
        assert sent["back"] <= allowance + ratio * sent["there"]
        clock.now += pause


def test_units_leased_under_a_higher_limit_are_dropped_when_it_is_lowered():
    store, clock = TableStore(), Clock()
    pool = Pool(store, clock)
    for _ in range(30):  # blocks grow: the instance holds spare units
        pool.take([quota(10_000)])
        clock.now += 0.001
    _, block = pool._quotas[("campaign", "c1", "d2026-11-23")]
    assert block.held > 0
    counted = store.counts[("campaign", "c1", "d2026-11-23")]
    assert not pool.take([quota(counted)])  # lowered to what is already counted: nothing more
    assert pool.take([quota(counted + 1)])  # raised by one: exactly one more
    assert not pool.take([quota(counted + 1)])


def test_a_unit_taken_before_a_cap_was_lowered_is_not_given_back():
    store = TableStore()
    pool = Pool(store)
    for _ in range(30):
        pool.take([quota(10_000)])
    taken = quota(10_000)
    assert pool.take([taken])  # a request holds this unit ...
    counted = store.counts[("campaign", "c1", "d2026-11-23")]
    assert not pool.take([quota(counted)])  # ... when another one sees the cap lowered
    pool.give_back([taken])  # the first one's choice is refused after all
    assert not pool.take([quota(counted)])  # its unit is not served under the lower cap


def test_earnings_add_up_exactly():
    store, clock = TableStore(), Clock()
    pool = Pool(store, clock)
    there = ledger("a", "b", allowance=None, earn=0.1, back=0)  # a→b free, b→a earns 0.1 each
    back = ledger("b", "a", allowance=0, earn=0, back=0)
    for _ in range(10):
        pool.take([there])
        pool.served([there])
    assert pool.take([back])  # ten times 0.1 is one whole credit, not 0.999…


class FailingStore(TableStore):
    def __init__(self) -> None:
        super().__init__()
        self.fail = False

    def lease_credit(self, ledger, units, settlement):
        if self.fail:
            super().lease_credit(ledger, units, settlement)  # it landed, but the answer was lost
            raise TimeoutError("read timeout")
        return super().lease_credit(ledger, units, settlement)


def test_a_settlement_that_fails_is_written_off_never_sent_twice():
    store, clock = FailingStore(), Clock()
    pool = Pool(store, clock)
    there = ledger("a", "b", allowance=None, earn=1, back=0)
    for _ in range(6):
        pool.take([there])
        pool.served([there])
    store.fail = True
    clock.now += leases.SETTLE_S
    pool.take([there])
    pool.served([there])  # settles, fails: the decision is still served (no exception)
    store.fail = False
    clock.now += leases.SETTLE_S
    pool.take([there])
    pool.served([there])
    # 8 referrals a→b: b→a may have earned at most 8 credits, however the writes went.
    assert store.credit[("b", "a")] <= 8
    assert store.sent[("a", "b")] <= 8
