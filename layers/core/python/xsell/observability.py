"""What xsell counts, under which names: the one door from the domain to CloudWatch metrics.

The domain calls :func:`count` with a metric name from this module (and, for a few, a reason);
it never imports Powertools. A handler creates an :class:`Emf` recorder at cold start and wraps
itself in :meth:`Emf.flushing`, which routes the invocation's counts there and flushes them after
it: Powertools Metrics prints them as CloudWatch Embedded Metric Format (EMF) JSON to stdout,
which Lambda's log stream turns into metrics. Counts made outside an invocation (scripts, the
CLI) go to the recorder :func:`use` installed: nowhere by default, a :class:`Tally` in tests.

The CDK dashboard and alarms import :data:`NAMESPACE`, the metric names and the dimension
names from here, so what the code emits and what the alarms watch cannot drift apart.

Dimensions: every metric carries ``service`` (``xsell-<function>``) and ``stage``; the metrics
in :data:`WITH_REASON` also carry ``reason``, whose values are a closed set of short codes
(error codes, event rejection reasons), never free text.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, Protocol, TypeVar

from xsell import env

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer
    from aws_lambda_powertools.metrics import Metrics

NAMESPACE = "xsell"
SERVICE_PREFIX = "xsell-"

SERVICE = "service"
STAGE = "stage"
REASON = "reason"

# decide
DECISIONS = "Decisions"  # requests answered with a decision (previews excluded)
SLOTS_SERVED = "SlotsServed"  # slots filled with a creative
HOLDOUTS = "Holdouts"  # slots held out on purpose (the control group)
DECIDE_REFUSED = "DecideRefused"  # requests refused; reason: the error code answered
LEASES_TAKEN = "LeasesTaken"  # blocks of a cap or of reciprocity credit leased from the counters table
CAP_REACHED = "CapReached"  # a cap found full: its campaign (or brand) stops being served this period
# collect
EVENTS_ACCEPTED = "EventsAccepted"
EVENTS_REJECTED = "EventsRejected"  # reason: the event's rejection reason
CONVERSIONS = "Conversions"  # conversion events stored
# conversions
SIGNED_CONVERSIONS = "SignedConversions"  # conversions a site's server signed, stored
# importer
IMPORT_ROWS = "ImportRows"  # rows imported into profiles
IMPORT_ROW_ERRORS = "ImportRowErrors"  # rows rejected (listed in the job's errors CSV)
IMPORT_FAILURES = "ImportFailures"  # files rejected or failed for good (the job record says why)

METRICS: frozenset[str] = frozenset(
    {
        DECISIONS,
        SLOTS_SERVED,
        HOLDOUTS,
        DECIDE_REFUSED,
        LEASES_TAKEN,
        CAP_REACHED,
        EVENTS_ACCEPTED,
        EVENTS_REJECTED,
        CONVERSIONS,
        SIGNED_CONVERSIONS,
        IMPORT_ROWS,
        IMPORT_ROW_ERRORS,
        IMPORT_FAILURES,
    }
)
# An alarm watches one dimension set, so what alarms watch carries no reason.
WITH_REASON: frozenset[str] = frozenset({DECIDE_REFUSED, EVENTS_REJECTED})
# Which function emits which metric: the ``service`` dimension an alarm must name.
EMITTED_BY: dict[str, str] = {
    **dict.fromkeys((DECISIONS, SLOTS_SERVED, HOLDOUTS, DECIDE_REFUSED, LEASES_TAKEN, CAP_REACHED), "decide"),
    **dict.fromkeys((EVENTS_ACCEPTED, EVENTS_REJECTED, CONVERSIONS), "collect"),
    SIGNED_CONVERSIONS: "conversions",
    **dict.fromkeys((IMPORT_ROWS, IMPORT_ROW_ERRORS, IMPORT_FAILURES), "importer"),
}

_REASON = re.compile(r"[a-z0-9_-]{1,40}")
# Powertools keeps one metric set per process (class attributes of Metrics), shared by every
# function the local runtime hosts: each flush fills and prints it under this lock.
_FLUSH = threading.Lock()

Key = tuple[str, str | None]  # (metric name, reason)


def service_name(function: str) -> str:
    """The Powertools service name (and ``service`` dimension) of ``functions/<function>``."""
    return f"{SERVICE_PREFIX}{function}"


def check(name: str, value: int, reason: str | None) -> None:
    """ValueError unless ``name`` is one of ours, ``value`` a count and ``reason`` fits the name."""
    if name not in METRICS:
        raise ValueError(f"unknown metric {name!r}: expected one of {', '.join(sorted(METRICS))}")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"metric {name}: expected a count (a whole number >= 0), got {value!r}")
    if name in WITH_REASON:
        if reason is None or not _REASON.fullmatch(reason):
            raise ValueError(f"metric {name}: reason must be a short code ([a-z0-9_-], 1-40), got {reason!r}")
    elif reason is not None:
        raise ValueError(f"metric {name} takes no reason")


class Recorder(Protocol):
    def count(self, name: str, value: int, reason: str | None) -> None:
        """Add ``value`` to the metric (checked by :func:`check` already)."""


class Tally:
    """Counts kept in memory: the buffer of :class:`Emf`, and the recorder tests install."""

    def __init__(self) -> None:
        self.counts: Counter[Key] = Counter()
        self._lock = threading.Lock()

    def count(self, name: str, value: int, reason: str | None) -> None:
        with self._lock:
            self.counts[(name, reason)] += value

    def take(self) -> dict[Key, int]:
        """Every non-zero count so far, and start again from zero."""
        with self._lock:
            taken = {key: n for key, n in self.counts.items() if n}
            self.counts.clear()
        return taken


class _Nowhere:
    def count(self, name: str, value: int, reason: str | None) -> None:
        pass


_recorder: Recorder = _Nowhere()
# The recorder of the handler invocation running on this thread (Emf.flushing): the local runtime
# hosts every function in one process, and each must count under its own service.
_invocation = threading.local()


def use(recorder: Recorder | None) -> Recorder | None:
    """Send counts made outside a handler invocation to ``recorder`` (None: nowhere); the one
    it replaces."""
    global _recorder
    previous = None if isinstance(_recorder, _Nowhere) else _recorder
    _recorder = recorder if recorder is not None else _Nowhere()
    return previous


def count(name: str, value: int = 1, *, reason: str | None = None) -> None:
    """Count ``value`` of metric ``name`` (a constant of this module); zero counts nothing."""
    check(name, value, reason)
    if value:
        (getattr(_invocation, "recorder", None) or _recorder).count(name, value, reason)


P = ParamSpec("P")
R = TypeVar("R")


def refusals(name: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a use case: each domain error it raises counts one ``name`` with the error's code."""
    if name not in WITH_REASON:
        raise ValueError(f"metric {name!r} has no reason dimension")

    def wrap(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def counted(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return function(*args, **kwargs)
            except Exception as exc:
                from xsell.http import domain_error

                answer = domain_error(exc)
                if answer is not None:
                    count(name, reason=str(answer[1]["error"]))
                raise

        return counted

    return wrap


class Emf:
    """Counts buffered per invocation and printed as EMF by Powertools Metrics on :meth:`flush`.

    Thread-safe (the local gateway runs handlers on several threads, in one process): counts
    are buffered in a :class:`Tally` and printed under one process-wide lock. Metrics without a
    reason go out together as one EMF document; each (metric, reason) pair as a document of its
    own with the ``reason`` dimension added (Powertools' ``single_metric``), since one document
    shares its dimensions.
    """

    def __init__(self, function: str, *, stage: str | None = None, namespace: str = NAMESPACE) -> None:
        from aws_lambda_powertools.metrics import Metrics

        self.service = service_name(function)
        self.namespace = namespace
        self.stage = stage or env.get(env.STAGE)
        self._metrics: Metrics = Metrics(namespace=namespace, service=self.service)
        self._tally = Tally()

    def count(self, name: str, value: int, reason: str | None) -> None:
        self._tally.count(name, value, reason)

    def flush(self) -> None:
        """Print what was counted since the last flush (nothing when nothing was)."""
        from aws_lambda_powertools.metrics import MetricUnit, single_metric

        counts = self._tally.take()
        if not counts:
            return
        with _FLUSH:
            plain = {name: n for (name, reason), n in counts.items() if reason is None}
            if plain:
                # Per flush, not as a default: Powertools shares default dimensions process-wide.
                self._metrics.add_dimension(name=STAGE, value=self.stage)
                for name, n in sorted(plain.items()):
                    self._metrics.add_metric(name=name, unit=MetricUnit.Count, value=n)
                self._metrics.flush_metrics()
            for (name, reason), n in sorted((k, v) for k, v in counts.items() if k[1] is not None):
                with single_metric(
                    name=name,
                    unit=MetricUnit.Count,
                    value=n,
                    namespace=self.namespace,
                    default_dimensions={SERVICE: self.service, STAGE: self.stage, REASON: str(reason)},
                ):
                    pass

    def flushing(self, handler: Callable[P, R]) -> Callable[P, R]:
        """Decorate a Lambda handler: what it counts goes to this recorder, flushed after every
        invocation, whether the handler returns or raises."""

        @functools.wraps(handler)
        def flushed(*args: P.args, **kwargs: P.kwargs) -> R:
            outer = getattr(_invocation, "recorder", None)
            _invocation.recorder = self
            try:
                return handler(*args, **kwargs)
            finally:
                _invocation.recorder = outer
                self.flush()

        return flushed


# --- traces -------------------------------------------------------------------------------------

LAMBDA_TASK_ROOT = "LAMBDA_TASK_ROOT"  # set by the Lambda runtime only
TRACE_DISABLED = "POWERTOOLS_TRACE_DISABLED"


class Untraced:
    """Where nothing traces: Powertools Tracer's handler decorator, doing nothing."""

    def capture_lambda_handler(self, handler: Callable[P, R] | None = None, **options: object) -> Any:
        if handler is None:
            return lambda function: function
        return handler


def tracer(function: str) -> Tracer | Untraced:
    """Powertools Tracer for ``functions/<function>`` inside the Lambda runtime; elsewhere (the local
    runtime, tests, scripts) :class:`Untraced`. Powertools would disable itself there too, but only
    after importing the X-Ray SDK, which opens its daemon's UDP socket and costs the import."""
    disabled = os.environ.get(TRACE_DISABLED, "").lower() in ("1", "true", "yes", "on")
    if not os.environ.get(LAMBDA_TASK_ROOT) or disabled:
        return Untraced()
    from aws_lambda_powertools import Tracer

    return Tracer(service=service_name(function))
