"""The profiles writer against a scripted transport: retries, outcomes, batch shapes."""

from collections.abc import Callable

import pytest

from xsell.dal.profiles import (
    OUTDATED,
    REFUSED,
    SUPERSEDED,
    WRITTEN,
    BrandUsageRow,
    ErasureRow,
    Outcome,
    ProfileRow,
    ProfileStore,
    Stamp,
    StoreUnavailable,
)

STAMP = Stamp(job="job1", source="acme", as_of="2026-11-23T00:00:00Z", now="2026-11-23T00:00:01.000000+0000")
OK: dict = {}


def error(code: str, item: dict | None = None) -> dict:
    return {"Error": {"Code": code, "Message": code, **({"Item": item} if item is not None else {})}}


class Scripted:
    """A transport that answers each statement with ``answer(statement, call number)``."""

    def __init__(self, answer: Callable[[dict, int], dict]) -> None:
        self.answer = answer
        self.calls: list[list[dict]] = []
        self.deletes: list[list[str]] = []
        self.unprocessed: list[list[dict]] = []
        self.erased: list[str] = []

    def execute(self, statements):
        self.calls.append(statements)
        return [self.answer(s, len(self.calls)) for s in statements]

    def delete(self, keys):
        self.deletes.append([k["customer_id"]["S"] for k in keys])
        return self.unprocessed.pop(0) if self.unprocessed else []

    def erase_counters(self, customer_id):
        self.erased.append(customer_id)
        return 1


def store(transport, sleeps: list[float] | None = None) -> ProfileStore:
    return ProfileStore(transport, sleep=(sleeps if sleeps is not None else []).append, jitter=lambda: 1.0)


def customer(statement: dict) -> str:
    """The customer a statement writes (its parameters name it: the first plain string id)."""
    text = statement["Statement"]
    params = [p.get("S") for p in statement["Parameters"]]
    return params[0] if text.startswith("INSERT") else params[-3] if "profile_import" in text else params[2]


def test_throttled_statements_are_retried_with_backoff_until_written():
    throttled = {"C2": 2, "C3": 1}  # how many times each is throttled

    def answer(statement, call):
        cid = customer(statement)
        if throttled.get(cid, 0) >= call:
            return error("ThrottlingError" if cid == "C2" else "ProvisionedThroughputExceeded")
        return OK

    transport, sleeps = Scripted(answer), []
    rows = [ProfileRow(f"C{n}", n, {"gender": "female"}) for n in (1, 2, 3)]
    outcomes = store(transport, sleeps).write(rows, STAMP)
    assert sorted(outcomes, key=lambda o: o.line) == [Outcome(n, f"C{n}", WRITTEN) for n in (1, 2, 3)]
    assert [len(call) for call in transport.calls] == [3, 2, 1]
    assert sleeps == [0.1, 0.2]  # exponential backoff between rounds


def test_writes_that_stay_throttled_give_up_so_the_chunk_is_retried_later():
    transport, sleeps = Scripted(lambda s, c: error("RequestLimitExceeded")), []
    with pytest.raises(StoreUnavailable, match="after 8 attempts"):
        store(transport, sleeps).write([ProfileRow("C1", 2, {})], STAMP)
    assert len(transport.calls) == 8 and len(sleeps) == 7 and sleeps[-1] == 2.0


def test_unprocessed_deletes_are_retried_and_counters_erased_once_per_customer():
    transport, sleeps = Scripted(lambda s, c: OK), []
    transport.unprocessed = [[{"customer_id": {"S": "C2"}}]]
    rows = [ErasureRow("C1", 2), ErasureRow("C2", 3), ErasureRow("C1", 4)]
    outcomes = store(transport, sleeps).write(rows, STAMP)
    assert transport.deletes == [["C1", "C2"], ["C2"]]
    assert transport.erased == ["C1", "C2"]
    assert [o.status for o in outcomes] == [WRITTEN] * 3 and len(sleeps) == 1


def _first_then(first: dict, then: dict = OK) -> Callable[[dict, int], dict]:
    return lambda statement, call: first if call == 1 else then


@pytest.mark.parametrize(
    ("old_item", "outcome", "second"),
    [
        (None, Outcome(5, "C1", WRITTEN), "INSERT"),
        (
            {"profile_as_of#acme": {"S": "2026-12-01T00:00:00Z"}},
            Outcome(5, "C1", OUTDATED, detail="2026-12-01T00:00:00Z"),
            None,
        ),
        (
            {"attributes": {"M": {}}, "profile_import": {"S": "job1:9"}},
            Outcome(5, "C1", SUPERSEDED, other_line=9),
            None,
        ),
        (
            {"attributes": {"M": {}}, "profile_import": {"S": "job1:5:2"}},
            Outcome(5, "C1", WRITTEN, other_line=2, replay=True),
            None,
        ),
        (
            {"attributes": {"M": {}}, "profile_import": {"S": "job1:3"}},
            Outcome(5, "C1", WRITTEN, other_line=3),
            "profile_import = ?",
        ),
        ({"profile_import": {"S": "other:3"}}, Outcome(5, "C1", WRITTEN), "SET attributes = ?"),
    ],
)
def test_a_failed_condition_is_decided_from_the_old_item(old_item, outcome, second):
    transport = Scripted(_first_then(error("ConditionalCheckFailed", old_item)))
    rows = [
        ProfileRow("C1", 5, {"gender": "male", "prefecture": None}, group_rank="gold", sets_group_rank=True)
    ]
    assert store(transport).write(rows, STAMP) == [outcome]
    first = transport.calls[0][0]["Statement"]
    assert first.startswith('UPDATE "xsell-profiles" SET attributes."gender" = ? SET group_rank = ?')
    assert 'REMOVE attributes."prefecture"' in first
    assert '("profile_as_of#acme" IS MISSING OR "profile_as_of#acme" <= ?)' in first
    assert len(transport.calls) == (1 if second is None else 2)
    if second:
        assert second in transport.calls[1][0]["Statement"]


@pytest.mark.parametrize(
    ("old_item", "outcome", "second"),
    [
        (
            {"customer_id": {"S": "C1"}},
            Outcome(7, "C1", WRITTEN),
            "SET brands = ? SET updated_at = ? WHERE customer_id = ? AND brands IS MISSING",
        ),
        (
            {"brands": {"M": {"hana": {"M": {"as_of": {"S": "2027-01-01T00:00:00Z"}}}}}},
            Outcome(7, "C1", OUTDATED, detail="2027-01-01T00:00:00Z"),
            None,
        ),
        (
            {"brands": {"M": {"hana": {"M": {"mark": {"S": "job1:4"}}}}}},
            Outcome(7, "C1", WRITTEN, other_line=4),
            'brands."hana".mark = ?',
        ),
        (
            {"brands": {"M": {"tabi": {"M": {"mark": {"S": "job1:4"}}}}}},
            Outcome(7, "C1", WRITTEN),
            'SET brands."hana" = ?',
        ),
    ],
)
def test_brand_usage_creates_a_missing_brands_map_and_respects_newer_usage(old_item, outcome, second):
    transport = Scripted(_first_then(error("ConditionalCheckFailed", old_item)))
    assert store(transport).write([BrandUsageRow("C1", 7, "hana", {"ltv": 10})], STAMP) == [outcome]
    if second:
        assert second in transport.calls[1][0]["Statement"]
        if "mark = ?" in second:  # the replacing write names the row it replaces in its mark
            usage = transport.calls[1][0]["Parameters"][0]["M"]
            assert usage["mark"] == {"S": "job1:7:4"} and usage["used"] == {"N": "1"}


def test_an_insert_that_finds_the_customer_created_meanwhile_updates_instead():
    answers = iter([error("ConditionalCheckFailed"), error("DuplicateItem"), OK])
    transport = Scripted(lambda s, c: next(answers))
    assert store(transport).write([ProfileRow("C1", 2, {})], STAMP) == [Outcome(2, "C1", WRITTEN)]
    assert [call[0]["Statement"].split()[0] for call in transport.calls] == ["UPDATE", "INSERT", "UPDATE"]


def test_a_row_dynamodb_refuses_is_reported_not_retried():
    transport = Scripted(
        lambda s, c: {"Error": {"Code": "ValidationError", "Message": "Item size has exceeded"}}
    )
    [outcome] = store(transport).write([ProfileRow("C1", 2, {"memo": "x"})], STAMP)
    assert (outcome.status, outcome.detail, len(transport.calls)) == (REFUSED, "Item size has exceeded", 1)


def test_batches_hold_at_most_25_statements_and_never_one_customer_twice():
    transport = Scripted(lambda s, c: OK)
    rows = [BrandUsageRow(f"C{n % 20}", n, brand, {}) for n in range(20) for brand in ("hana", "tabi", "umi")]
    outcomes = store(transport).write(rows, STAMP)
    assert len(outcomes) == 60
    for call in transport.calls:
        customers = [customer(s) for s in call]
        assert len(call) <= 25 and len(customers) == len(set(customers))


def test_after_a_batch_of_mostly_new_customers_the_next_one_inserts_first():
    def answer(statement, call):
        return error("ConditionalCheckFailed") if statement["Statement"].startswith("UPDATE") else OK

    transport = Scripted(answer)
    writer = store(transport)
    writer.write([ProfileRow(f"N{n}", n, {}) for n in range(10)], STAMP)
    writer.write([ProfileRow(f"M{n}", n, {}) for n in range(10)], STAMP)
    kinds = [call[0]["Statement"].split()[0] for call in transport.calls]
    assert kinds == ["UPDATE", "INSERT", "INSERT"]


def test_attribute_names_from_partner_headers_are_quoted():
    transport = Scripted(lambda s, c: OK)
    store(transport).write([ProfileRow("C1", 2, {'会員"種別': "VIP"})], STAMP)
    assert 'SET attributes."会員""種別" = ?' in transport.calls[0][0]["Statement"]
