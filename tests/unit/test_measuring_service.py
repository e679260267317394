"""The collect use case with storage faked: replays, partial stream failures, retries."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests import decide_contract as contract
from xsell.dal import events as event_store
from xsell.measuring import service

KEY = b"k" * 32
NOW = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC)
CLAIMS = contract.claims(
    KEY,
    decision_id="b" * 32,
    site="tabi-web",
    slot="top-banner",
    campaign="tabi-to-umi",
    creative="tabi-to-umi-a",
    source="tabi",
    destination="umi",
    customer_id="C000003",
)
TOKEN = contract.slot_token(KEY, CLAIMS, now=NOW.timestamp())


class FakeStore:
    def __init__(self, failing: set[int] | None = None) -> None:
        self.seen: dict[tuple[str, str], dt.datetime] = {}
        self.written: list[bytes] = []
        self.failing = failing or set()

    def claim(self, key, expires_at):
        if key in self.seen:
            return False
        self.seen[key] = expires_at
        return True

    def release(self, key):
        del self.seen[key]

    def put_records(self, lines):
        self.written.extend(line for i, line in enumerate(lines) if i not in self.failing)
        return sorted(self.failing)


@pytest.fixture
def store(monkeypatch) -> FakeStore:
    fake = FakeStore()
    for name in ("claim", "release", "put_records"):
        monkeypatch.setattr(service.event_store, name, getattr(fake, name))
    monkeypatch.setattr(service.secrets, "signing_keys", lambda now=None: (KEY,))
    monkeypatch.setattr(service.secrets, "pseudonym_key", lambda: KEY)
    return fake


def body(*events) -> str:
    return json.dumps({"site": "tabi-web", "events": list(events)})


def test_the_replay_guard_lives_as_long_as_the_token_plus_a_margin(store):
    answer = service.collect(body({"type": "impression", "token": TOKEN}), NOW)
    assert answer["accepted"] == 1
    [(key, expires)] = store.seen.items()
    assert key == ("seen#" + "b" * 32, "top-banner#impression")
    assert expires == NOW + dt.timedelta(seconds=contract.SLOT_TTL) + service.GUARD_MARGIN


def test_conversions_are_guarded_per_order():
    assert event_store.seen_key("d", "s", "conversion", "O-1") == ("seen#d", "s#conversion#O-1")


def test_events_the_stream_refused_are_released_so_a_resend_is_not_a_duplicate(store):
    store.failing = {1}
    answer = service.collect(
        body({"type": "impression", "token": TOKEN}, {"type": "click", "token": TOKEN}), NOW
    )
    assert answer["accepted"] == 1 and answer["rejections"] == [{"index": 1, "reason": "not_stored"}]
    assert list(store.seen) == [("seen#" + "b" * 32, "top-banner#impression")]
    store.failing = set()
    assert service.collect(body({"type": "click", "token": TOKEN}), NOW)["accepted"] == 1


def test_a_batch_the_stream_refused_entirely_is_unavailable_not_bad_input(store):
    store.failing = {0}
    with pytest.raises(service.EventsUnavailable):
        service.collect(body({"type": "click", "token": TOKEN}), NOW)
    assert store.seen == {}


def test_a_batch_of_only_rejected_events_writes_nothing(store):
    answer = service.collect(body({"type": "click", "token": "x.y"}), NOW)
    assert (answer["accepted"], answer["reasons"], store.written) == (0, {"token_forged": 1}, [])


class FakeFirehose:
    def __init__(self, answers):
        self.answers = list(answers)
        self.calls: list[list[bytes]] = []

    def put_record_batch(self, DeliveryStreamName, Records):  # noqa: N803 - boto3's parameter names
        self.calls.append([r["Data"] for r in Records])
        errors = self.answers.pop(0)
        return {
            "FailedPutCount": sum(1 for e in errors if e),
            "RequestResponses": [{"ErrorCode": "ServiceUnavailableException"} if e else {} for e in errors],
        }


def test_put_records_retries_only_the_failed_records(monkeypatch):
    firehose = FakeFirehose([[False, True, True], [True, False], [False]])
    monkeypatch.setattr(event_store.aws, "client", lambda service_name: firehose)
    assert event_store.put_records([b"a", b"b", b"c"]) == []
    assert firehose.calls == [[b"a", b"b", b"c"], [b"b", b"c"], [b"b"]]


def test_put_records_gives_up_after_its_attempts(monkeypatch):
    firehose = FakeFirehose([[True, False]] + [[True]] * (event_store.PUT_ATTEMPTS - 1))
    monkeypatch.setattr(event_store.aws, "client", lambda service_name: firehose)
    assert event_store.put_records([b"a", b"b"]) == [0]
