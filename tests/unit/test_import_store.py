"""The profiles writer over an in-memory table: merge rules, outcomes, retries, request shapes."""

import copy

import pytest

from xsell.dal.customers import is_tombstone
from xsell.dal.profiles import Refused, StoreUnavailable, Transient
from xsell.importing.merging import (
    OUTDATED,
    REFUSED,
    SUPERSEDED,
    WRITTEN,
    BrandUsageRow,
    ErasureRow,
    OptOutRow,
    Outcome,
    ProfileRow,
    ProfileStore,
    Stamp,
)

AS_OF = "2026-11-23T00:00:00Z"
STAMP = Stamp(job="job1", source="acme", as_of=AS_OF, now="2026-11-23T00:00:01.000000+0000")
LATER, EARLIER = "2026-12-01T00:00:00Z", "2026-11-01T00:00:00Z"


class Table:
    """The profiles table behind the writer's transport, with faults to order."""

    def __init__(self, *items: dict) -> None:
        self.items = {item["customer_id"]["S"]: copy.deepcopy(item) for item in items}
        self.gets: list[list[str]] = []  # customers named by each BatchGetItem
        self.puts: list[list[str]] = []  # customers named by each BatchWriteItem
        self.throttled = {"get": 0, "put": 0}  # how many calls to fail as a whole
        self.unprocessed: dict[str, list[set[str]]] = {"get": [], "put": []}  # per call, left undone
        self.refuse: dict[str, str] = {}  # customer -> ValidationException message
        self.erased: list[str] = []

    def _fault(self, kind: str, customers: list[str]) -> set[str]:
        if self.throttled[kind]:
            self.throttled[kind] -= 1
            raise Transient("ThrottlingException: slow down")
        return self.unprocessed[kind].pop(0) & set(customers) if self.unprocessed[kind] else set()

    def get(self, keys):
        customers = [k["customer_id"]["S"] for k in keys]
        self.gets.append(customers)
        left = self._fault("get", customers)
        found = [copy.deepcopy(self.items[c]) for c in customers if c in self.items and c not in left]
        return found, [k for k in keys if k["customer_id"]["S"] in left]

    def put(self, items):
        customers = [i["customer_id"]["S"] for i in items]
        self.puts.append(customers)
        for customer in customers:
            if customer in self.refuse:
                raise Refused(self.refuse[customer])
        left = self._fault("put", customers)
        for item in items:
            if item["customer_id"]["S"] not in left:
                self.items[item["customer_id"]["S"]] = copy.deepcopy(item)
        return [i for i in items if i["customer_id"]["S"] in left]

    def erase_state(self, customer_id):
        self.erased.append(customer_id)

    def plain(self, customer_id: str) -> dict:
        """The stored item with AttributeValue wrappers removed, for reading in assertions."""
        return _plain({"M": self.items[customer_id]})


def _plain(node: dict):
    [(kind, value)] = node.items()
    if kind == "M":
        return {k: _plain(v) for k, v in value.items()}
    if kind == "N":
        return int(value)
    if kind == "SS":
        return set(value)
    return value


def store(table: Table, sleeps: list[float] | None = None) -> ProfileStore:
    return ProfileStore(table, sleep=(sleeps if sleeps is not None else []).append, jitter=lambda: 1.0)


def item(customer_id: str = "C1", **attributes: dict) -> dict:
    return {"customer_id": {"S": customer_id}, **attributes}


def s(value: str) -> dict:
    return {"S": value}


def m(**values: dict) -> dict:
    return {"M": values}


def test_a_new_customer_gets_the_row_and_empty_maps_for_what_the_row_does_not_say():
    table = Table()
    rows = [ProfileRow("C1", 2, {"gender": "female", "birth_year": 1980, "prefecture": None}, "gold", True)]
    assert store(table).write(rows, STAMP) == [Outcome(2, "C1", WRITTEN)]
    assert table.plain("C1") == {
        "customer_id": "C1",
        "attributes": {"gender": "female", "birth_year": 1980},
        "brands": {},
        "group_rank": "gold",
        "profile_as_of#acme": AS_OF,
        "profile_import": "job1:2",
        "updated_at": STAMP.now,
    }


def test_a_profiles_row_sets_only_what_its_file_has_columns_for():
    stored = item(
        attributes=m(gender=s("male"), prefecture=s("東京都"), age_band=s("30s")),
        group_rank=s("silver"),
        brands=m(hana=m(used={"N": "1"})),
        optouts={"SS": ["umi"]},
        other_source=s("kept"),
    )
    table = Table(stored)
    rows = [ProfileRow("C1", 2, {"gender": "female", "prefecture": None, '会員"種別': "VIP"})]
    assert store(table).write(rows, STAMP) == [Outcome(2, "C1", WRITTEN)]
    after = table.plain("C1")
    # A blank cell removes its attribute; columns the file does not have stay; so does the rank.
    assert after["attributes"] == {"gender": "female", "age_band": "30s", '会員"種別': "VIP"}
    assert (after["group_rank"], after["brands"], after["optouts"]) == (
        "silver",
        {"hana": {"used": 1}},
        {"umi"},
    )
    assert after["other_source"] == "kept"


@pytest.mark.parametrize(
    ("stored", "outcome", "mark"),
    [
        (item(**{"profile_as_of#acme": s(LATER)}), Outcome(5, "C1", OUTDATED, detail=LATER), None),
        (item(**{"profile_as_of#acme": s(AS_OF)}), Outcome(5, "C1", WRITTEN), "job1:5"),  # equal re-applies
        (item(**{"profile_as_of#other": s(LATER)}), Outcome(5, "C1", WRITTEN), "job1:5"),  # another partner
        (item(profile_import=s("job1:9")), Outcome(5, "C1", SUPERSEDED, other_line=9), None),
        (item(profile_import=s("job1:5:2")), Outcome(5, "C1", WRITTEN, other_line=2, replay=True), None),
        (item(profile_import=s("job1:3")), Outcome(5, "C1", WRITTEN, other_line=3), "job1:5:3"),
        (item(profile_import=s("other:3")), Outcome(5, "C1", WRITTEN), "job1:5"),
    ],
)
def test_the_stored_item_decides_between_outdated_duplicate_replay_and_written(stored, outcome, mark):
    table = Table(stored)
    assert store(table).write([ProfileRow("C1", 5, {"gender": "male"})], STAMP) == [outcome]
    if mark is None:
        assert table.puts == [] and table.items["C1"] == stored  # nothing is written
    else:
        after = table.plain("C1")
        assert (after["profile_import"], after["attributes"]) == (mark, {"gender": "male"})


@pytest.mark.parametrize(
    ("stored", "outcome", "mark"),
    [
        (item(), Outcome(7, "C1", WRITTEN), "job1:7"),  # no brands map yet: it is created
        (item(brands=m(hana=m(as_of=s(LATER)))), Outcome(7, "C1", OUTDATED, detail=LATER), None),
        (item(brands=m(hana=m(mark=s("job1:9")))), Outcome(7, "C1", SUPERSEDED, other_line=9), None),
        (item(brands=m(hana=m(mark=s("job1:4")))), Outcome(7, "C1", WRITTEN, other_line=4), "job1:7:4"),
        (item(brands=m(tabi=m(mark=s("job1:4"), as_of=s(LATER)))), Outcome(7, "C1", WRITTEN), "job1:7"),
    ],
)
def test_brand_usage_replaces_its_own_brand_only_and_respects_newer_usage(stored, outcome, mark):
    table = Table(stored)
    assert store(table).write([BrandUsageRow("C1", 7, "hana", {"ltv": 10})], STAMP) == [outcome]
    if mark is not None:
        brands = table.plain("C1")["brands"]
        assert brands["hana"] == {"used": 1, "ltv": 10, "as_of": AS_OF, "mark": mark}
        assert brands.get("tabi", {}) == _plain(stored.get("brands", m())).get("tabi", {})


def test_rows_for_one_customer_in_one_batch_merge_into_one_item_and_one_put():
    table = Table()
    rows = [BrandUsageRow("C1", n, brand, {"ltv": n}) for n, brand in ((2, "hana"), (3, "tabi"), (4, "umi"))]
    rows.append(BrandUsageRow("C2", 5, "hana", {}))
    assert [o.status for o in store(table).write(rows, STAMP)] == [WRITTEN] * 4
    assert {b: u["ltv"] for b, u in table.plain("C1")["brands"].items()} == {"hana": 2, "tabi": 3, "umi": 4}
    assert table.gets == [["C1", "C2"]] and table.puts == [["C1", "C2"]]


def test_optouts_add_to_the_set_and_an_opt_out_already_stored_writes_nothing():
    table = Table(item("C1", optouts={"SS": ["hana"]}, attributes=m(), brands=m()))
    rows = [OptOutRow("C1", 2, frozenset({"all"})), OptOutRow("C2", 3, frozenset({"tabi"}))]
    assert [o.status for o in store(table).write(rows, STAMP)] == [WRITTEN, WRITTEN]
    assert table.plain("C1")["optouts"] == {"hana", "all"}
    assert table.plain("C2") == {
        "customer_id": "C2",
        "optouts": {"tabi"},
        "attributes": {},
        "brands": {},
        "updated_at": STAMP.now,
    }
    table.puts.clear()
    assert store(table).write([OptOutRow("C1", 2, frozenset({"hana"}))], STAMP) == [Outcome(2, "C1", WRITTEN)]
    assert table.puts == []


def test_erasure_leaves_a_tombstone_and_erases_counters_once_per_customer():
    table = Table(item("C1", attributes=m(gender=s("male")), optouts={"SS": ["all"]}, group_rank=s("gold")))
    rows = [ErasureRow("C1", 2), ErasureRow("C2", 3), ErasureRow("C1", 4)]
    assert [o.status for o in store(table).write(rows, STAMP)] == [WRITTEN] * 3
    for customer in ("C1", "C2"):  # C2 never existed: a file imported later must not create it
        assert table.items[customer] == {"customer_id": s(customer), "erased_as_of": s(AS_OF)}
        assert is_tombstone(table.items[customer])
    assert table.erased == ["C1", "C2"]
    table.puts.clear()
    store(table).write([ErasureRow("C1", 2)], STAMP)  # replayed: nothing to write, counters again
    assert table.puts == [] and table.erased == ["C1", "C2", "C1"]


@pytest.mark.parametrize(
    ("row", "recreated"),
    [
        (
            ProfileRow("C1", 2, {"gender": "male"}),
            {
                "attributes": {"gender": "male"},
                "brands": {},
                "profile_as_of#acme": LATER,
                "profile_import": "job1:2",
            },
        ),
        (
            BrandUsageRow("C1", 2, "hana", {}),
            {"attributes": {}, "brands": {"hana": {"used": 1, "as_of": LATER, "mark": "job1:2"}}},
        ),
        (OptOutRow("C1", 2, frozenset({"all"})), {"attributes": {}, "brands": {}, "optouts": {"all"}}),
    ],
)
def test_rows_of_files_uploaded_until_an_erasure_stay_erased_newer_ones_bring_the_customer_back(
    row, recreated
):
    tombstone = item(erased_as_of=s(AS_OF))
    for as_of in (EARLIER, AS_OF):  # an erasure wins a tie
        table = Table(tombstone)
        stamp = Stamp("job1", "acme", as_of, STAMP.now)
        assert store(table).write([row], stamp) == [Outcome(2, "C1", OUTDATED, detail=AS_OF, erased=True)]
        assert table.puts == []
    table = Table(tombstone)
    assert store(table).write([row], Stamp("job1", "acme", LATER, STAMP.now)) == [Outcome(2, "C1", WRITTEN)]
    # The erasure's time stays: rows of files uploaded before it remain erased.
    assert table.plain("C1") == {
        "customer_id": "C1",
        "erased_as_of": AS_OF,
        "updated_at": STAMP.now,
        **recreated,
    }
    assert not is_tombstone(table.items["C1"])


def test_an_older_erasure_still_erases_and_the_tombstone_keeps_the_newest_time():
    table = Table(item(erased_as_of=s(LATER), attributes=m(gender=s("male")), updated_at=s("x")))
    store(table).write([ErasureRow("C1", 2)], STAMP)
    assert table.items["C1"] == {"customer_id": s("C1"), "erased_as_of": s(LATER)}


def test_throttled_requests_are_retried_with_backoff_until_done():
    table, sleeps = Table(), []
    table.throttled = {"get": 1, "put": 1}
    rows = [ProfileRow(f"C{n}", n, {"gender": "female"}) for n in (1, 2, 3)]
    assert [o.status for o in store(table, sleeps).write(rows, STAMP)] == [WRITTEN] * 3
    assert len(table.gets) == 2 and len(table.puts) == 2 and sleeps == [0.1, 0.1]


def test_unprocessed_keys_and_items_are_retried_with_growing_backoff():
    table, sleeps = Table(item("C2", attributes=m(age_band=s("20s")))), []
    table.unprocessed = {"get": [{"C2"}, {"C2"}], "put": [{"C1", "C3"}, {"C3"}]}
    rows = [ProfileRow(f"C{n}", n, {"gender": "female"}) for n in (1, 2, 3)]
    assert [o.status for o in store(table, sleeps).write(rows, STAMP)] == [WRITTEN] * 3
    assert table.gets == [["C1", "C2", "C3"], ["C2"], ["C2"]]
    assert table.puts == [["C1", "C2", "C3"], ["C1", "C3"], ["C3"]]
    assert sleeps == [0.1, 0.2, 0.1, 0.2]
    assert table.plain("C2")["attributes"] == {"age_band": "20s", "gender": "female"}  # read, then merged


def test_requests_that_stay_throttled_give_up_so_the_chunk_is_retried_later():
    table, sleeps = Table(), []
    table.throttled["put"] = 100
    with pytest.raises(StoreUnavailable, match="writes still failing after 8 attempts"):
        store(table, sleeps).write([ProfileRow("C1", 2, {})], STAMP)
    assert len(table.puts) == 8 and len(sleeps) == 7 and sleeps[-1] == 2.0


def test_an_item_dynamodb_refuses_is_reported_and_the_rest_of_its_batch_is_stored():
    table = Table()
    table.refuse["C2"] = "Item size has exceeded the maximum allowed size"
    rows = [ProfileRow(f"C{n}", n, {"memo": "x"}) for n in (1, 2, 3)]
    outcomes = store(table).write(rows, STAMP)
    assert outcomes[1] == Outcome(2, "C2", REFUSED, detail="Item size has exceeded the maximum allowed size")
    assert [o.status for o in outcomes] == [WRITTEN, REFUSED, WRITTEN]
    assert set(table.items) == {"C1", "C3"}
    assert table.puts == [["C1", "C2", "C3"], ["C1"], ["C2"], ["C3"]]


def test_requests_hold_at_most_100_keys_and_25_items_each_customer_once():
    table = Table()
    rows = [BrandUsageRow(f"C{n % 130}", n, ("hana", "tabi")[n // 130], {}) for n in range(260)]
    assert len(store(table).write(rows, STAMP)) == 260
    assert [len(g) for g in table.gets] == [100, 30]
    assert [len(p) for p in table.puts] == [25] * 5 + [5]
    for request in table.gets + table.puts:
        assert len(request) == len(set(request))
    assert all(set(table.plain(f"C{n}")["brands"]) == {"hana", "tabi"} for n in range(130))


def test_no_request_is_sent_once_the_guard_says_this_writer_must_stop():
    table, checks = Table(), []

    def guard() -> None:
        checks.append(len(table.gets) + len(table.puts))
        if len(checks) > 1:
            raise RuntimeError("writer lease lost")

    stamp = Stamp("job1", "acme", AS_OF, STAMP.now, guard=guard)
    with pytest.raises(RuntimeError, match="writer lease lost"):
        store(table).write([ProfileRow("C1", 2, {})], stamp)
    assert (checks, len(table.gets), table.puts, table.items) == ([0, 1], 1, [], {})
