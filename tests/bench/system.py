"""The local system (emulators, gateway, CDN, demo sites, demo config) for one benchmark."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def local_system() -> Iterator[Any]:
    """Emulators, gateway, CDN and demo sites with the demo config, for this benchmark only."""
    from local.emulators import Emulators, free_port

    emulators = Emulators(dynamodb_port=free_port(), moto_port=free_port()).start()
    saved = dict(os.environ)
    os.environ.update(emulators.client_environment())
    system = None
    try:
        from demo import seed
        from local.system import LocalSystem

        system = LocalSystem(run_dispatcher=False).start()
        seed.seed_config(system.site_urls, system.cdn.url)
        yield system
    finally:
        if system is not None:
            system.stop()
        emulators.stop()
        os.environ.clear()
        os.environ.update(saved)
