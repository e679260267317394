"""Metrics: what the domain counts, and the EMF documents Powertools prints for it on flush."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from xsell import observability as obs
from xsell.decisioning import service as decide_service
from xsell.decisioning.leases import Pool
from xsell.decisioning.volume import Quota
from xsell.errors import UnknownSite
from xsell.measuring.events import Reason
from xsell.measuring.service import Outcome


@pytest.fixture
def tally() -> Iterator[obs.Tally]:
    recorder = obs.Tally()
    previous = obs.use(recorder)
    yield recorder
    obs.use(previous)


def emf_documents(text: str) -> list[dict]:
    """Every EMF document among the printed lines (Powertools prints one JSON object a line)."""
    documents = []
    for line in text.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            documents.append(json.loads(line))
    return documents


def values(documents: list[dict]) -> dict[tuple[str, str | None], float]:
    """(metric, reason) -> value over EMF documents, checking each one's metric declarations."""
    found: dict[tuple[str, str | None], float] = {}
    for doc in documents:
        [directive] = doc["_aws"]["CloudWatchMetrics"]
        for metric in directive["Metrics"]:
            assert metric["Unit"] == "Count"
            value = doc[metric["Name"]]  # Powertools writes a list of values, or one value
            found[(metric["Name"], doc.get(obs.REASON))] = sum(value) if isinstance(value, list) else value
    return found


# --- the names and their checks -----------------------------------------------------------------


def test_every_metric_is_emitted_by_exactly_one_function():
    assert set(obs.EMITTED_BY) == obs.METRICS
    assert set(obs.EMITTED_BY.values()) <= {"decide", "collect", "conversions", "importer", "admin"}
    assert obs.WITH_REASON < obs.METRICS
    assert obs.service_name("decide") == "xsell-decide"


@pytest.mark.parametrize(
    ("name", "value", "reason", "message"),
    [
        ("Nope", 1, None, "unknown metric 'Nope'"),
        (obs.DECISIONS, -1, None, "expected a count"),
        (obs.DECISIONS, 1.5, None, "expected a count"),
        (obs.DECISIONS, True, None, "expected a count"),
        (obs.DECISIONS, 1, "why", "takes no reason"),
        (obs.DECIDE_REFUSED, 1, None, "reason must be a short code"),
        (obs.DECIDE_REFUSED, 1, "Not A Code!", "reason must be a short code"),
        (obs.EVENTS_REJECTED, 1, "x" * 41, "reason must be a short code"),
        (obs.EVENTS_REJECTED, 1, "duplicate\n", "reason must be a short code"),
    ],
)
def test_bad_counts_are_refused_with_what_is_wrong(tally, name, value, reason, message):
    with pytest.raises(ValueError, match=message):
        obs.count(name, value, reason=reason)
    assert tally.take() == {}


def test_a_refusal_counter_needs_a_metric_with_a_reason():
    with pytest.raises(ValueError, match="has no reason dimension"):
        obs.refusals(obs.DECISIONS)


def test_counts_add_up_and_zero_counts_nothing(tally):
    obs.count(obs.DECISIONS)
    obs.count(obs.DECISIONS, 2)
    obs.count(obs.SLOTS_SERVED, 0)
    obs.count(obs.EVENTS_REJECTED, 3, reason="duplicate")
    assert tally.take() == {(obs.DECISIONS, None): 3, (obs.EVENTS_REJECTED, "duplicate"): 3}
    assert tally.take() == {}


# --- EMF through Powertools ---------------------------------------------------------------------


def test_flush_prints_one_document_of_plain_counts_and_one_per_reason(capsys):
    emf = obs.Emf("decide", stage="test")
    emf.count(obs.DECISIONS, 2, None)
    emf.count(obs.SLOTS_SERVED, 3, None)
    emf.count(obs.DECIDE_REFUSED, 1, "origin_rejected")
    emf.count(obs.DECIDE_REFUSED, 4, "invalid_request")
    emf.flush()
    documents = emf_documents(capsys.readouterr().out)
    assert len(documents) == 3
    for doc in documents:
        [directive] = doc["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == obs.NAMESPACE
        assert (doc[obs.SERVICE], doc[obs.STAGE]) == ("xsell-decide", "test")
        expected = {obs.SERVICE, obs.STAGE} | ({obs.REASON} if obs.REASON in doc else set())
        assert set(directive["Dimensions"][0]) == expected
    assert values(documents) == {
        (obs.DECISIONS, None): 2,
        (obs.SLOTS_SERVED, None): 3,
        (obs.DECIDE_REFUSED, "origin_rejected"): 1,
        (obs.DECIDE_REFUSED, "invalid_request"): 4,
    }
    emf.flush()
    assert emf_documents(capsys.readouterr().out) == []  # counted once, then nothing to say


def test_an_invocation_counts_under_its_own_function_even_with_others_in_the_process(capsys, tally):
    decide, collect = obs.Emf("decide", stage="test"), obs.Emf("collect", stage="test")
    barrier = threading.Barrier(2)

    def invocation(name: str) -> None:
        barrier.wait()
        obs.count(name, 5)

    threads = [
        threading.Thread(target=decide.flushing(invocation), args=(obs.DECISIONS,)),
        threading.Thread(target=collect.flushing(invocation), args=(obs.EVENTS_ACCEPTED,)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    by_service = {doc[obs.SERVICE]: values([doc]) for doc in emf_documents(capsys.readouterr().out)}
    assert by_service == {
        "xsell-decide": {(obs.DECISIONS, None): 5},
        "xsell-collect": {(obs.EVENTS_ACCEPTED, None): 5},
    }
    assert tally.take() == {}  # nothing leaked to the recorder for counts outside invocations


def test_a_handler_that_raises_still_flushes(capsys):
    emf = obs.Emf("importer", stage="test")

    @emf.flushing
    def handler() -> None:
        obs.count(obs.IMPORT_FAILURES)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        handler()
    assert values(emf_documents(capsys.readouterr().out)) == {(obs.IMPORT_FAILURES, None): 1}


def test_the_decide_handler_prints_its_refusal_by_reason(capsys):
    from functions.decide import handler
    from local.lambda_runtime import LocalContext

    event = {
        "httpMethod": "POST",
        "path": "/v1/decide",
        "resource": "/v1/decide",
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"site": "hana-web", "slots": ["top"]}),
        "isBase64Encoded": False,
        "requestContext": {"requestId": "r-1"},
    }
    answer = handler.lambda_handler(event, LocalContext(function_name="xsell-decide"))
    assert answer["statusCode"] == 400
    documents = emf_documents(capsys.readouterr().out)
    assert values(documents) == {(obs.DECIDE_REFUSED, "invalid_request"): 1}
    assert documents[0][obs.SERVICE] == "xsell-decide"


# --- traces ------------------------------------------------------------------------------------


def test_outside_the_lambda_runtime_the_handler_decorator_traces_nothing(monkeypatch):
    monkeypatch.delenv(obs.LAMBDA_TASK_ROOT, raising=False)
    tracer = obs.tracer("decide")
    assert isinstance(tracer, obs.Untraced)

    def handler(event, context):
        return event

    assert tracer.capture_lambda_handler(handler) is handler
    assert tracer.capture_lambda_handler(capture_response=False)(handler) is handler


def test_tracing_turned_off_in_lambda_is_not_traced(monkeypatch):
    monkeypatch.setenv(obs.LAMBDA_TASK_ROOT, "/var/task")
    monkeypatch.setenv(obs.TRACE_DISABLED, "true")
    assert isinstance(obs.tracer("decide"), obs.Untraced)


# --- what the domain counts ---------------------------------------------------------------------


def test_decide_counts_a_refusal_by_the_error_code_it_answers(tally):
    with pytest.raises(UnknownSite):
        decide_service.decide(
            {"site": "nowhere", "customer": {"id": "C1"}, "slots": ["top"]},
            SimpleNamespace(get=lambda: SimpleNamespace(sites={})),
        )
    assert tally.take() == {(obs.DECIDE_REFUSED, "unknown_site"): 1}


class OneUnitStore:
    """A counters table holding room for ``room`` units of every quota."""

    def __init__(self, room: int) -> None:
        self.room = room

    def lease_quota(self, quota: Quota, units: int) -> int:
        granted = min(units, self.room)
        self.room -= granted
        return granted


def test_a_lease_and_a_full_cap_are_counted_once_each(tally):
    pool = Pool(OneUnitStore(room=1))  # type: ignore[arg-type]
    cap = Quota("campaign", "hana-to-tabi", "d2026-11-23", 10, None)
    assert pool.take([cap]) is True
    assert pool.take([cap]) is False
    assert pool.take([cap]) is False  # known full: neither asked again nor counted again
    assert tally.take() == {(obs.LEASES_TAKEN, None): 1, (obs.CAP_REACHED, None): 1}


def test_collect_counts_accepted_events_and_rejections_by_reason(tally):
    outcome = Outcome(
        accepted=2, rejections=[(1, Reason.DUPLICATE), (3, Reason.TOKEN_FORGED), (4, Reason.DUPLICATE)]
    )
    assert outcome.as_response()["reasons"] == {"duplicate": 2, "token_forged": 1}
    assert tally.take() == {
        (obs.EVENTS_ACCEPTED, None): 2,
        (obs.EVENTS_REJECTED, "duplicate"): 2,
        (obs.EVENTS_REJECTED, "token_forged"): 1,
    }
