"""How long the local emulators take to become healthy, and how long to stop."""

from __future__ import annotations

import time
from collections.abc import Iterator

from local.emulators import Emulators, free_port


def run() -> Iterator[tuple[str, float, str]]:
    emulators = Emulators(dynamodb_port=free_port(), moto_port=free_port())
    start = time.perf_counter()
    emulators.start()
    up = time.perf_counter() - start
    start = time.perf_counter()
    emulators.stop()
    yield "local.emulators_start_s", round(up, 2), "s"
    yield "local.emulators_stop_s", round(time.perf_counter() - start, 2), "s"
