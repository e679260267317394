"""How much one invocation imports, and the counters a checkpoint carries.

A file is imported in chunks: each invocation reads rows until it has read
``max_rows`` or its time is up, writes them, and commits a checkpoint (byte
offset, line number, counters) on the job before asking for the next chunk. The
time limit leaves room to finish writes, publish the report and commit before
Lambda's own timeout.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_ROWS_PER_CHUNK = 1_000_000
MAX_SECONDS_PER_CHUNK = 600.0
# Kept free at the end of an invocation for flushing writes, the report and the commit.
RESERVE_SECONDS = 90.0
LEASE_MARGIN_SECONDS = 30.0
DEFAULT_REMAINING_MS = 900_000  # outside Lambda (the CLI, tests calling the runner directly)


@dataclass(frozen=True)
class Budget:
    max_rows: int
    seconds: float  # for reading and writing rows
    lease_seconds: float  # how long this worker may hold the job

    @classmethod
    def for_invocation(
        cls,
        remaining_ms: int | None = None,
        *,
        max_rows: int | None = None,
        max_seconds: float | None = None,
    ) -> Budget:
        remaining = (remaining_ms if remaining_ms is not None else DEFAULT_REMAINING_MS) / 1000
        reserve = min(RESERVE_SECONDS, remaining / 3)
        seconds = max(1.0, min(max_seconds or MAX_SECONDS_PER_CHUNK, remaining - reserve))
        return cls(
            max_rows=max_rows or MAX_ROWS_PER_CHUNK,
            seconds=seconds,
            lease_seconds=remaining + LEASE_MARGIN_SECONDS,
        )


class Deadline:
    """Checks the budget cheaply: the clock only every few hundred rows."""

    def __init__(self, budget: Budget, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._end = clock() + budget.seconds
        self._max_rows = budget.max_rows

    def reached(self, rows: int) -> bool:
        if rows >= self._max_rows:
            return True
        return rows % 256 == 0 and self._clock() >= self._end


@dataclass
class Tally:
    """Counters of one chunk. ``read = imported + rejected + duplicate + outdated`` over a job."""

    read: int = 0
    imported: int = 0
    rejected: int = 0
    duplicate: int = 0
    outdated: int = 0
