"""Call the real Lambda handlers in-process, as the Lambda runtime would."""

from __future__ import annotations

import importlib
import random
import threading
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from xsell.topology import FUNCTIONS

REGION = "ap-northeast-1"
ACCOUNT = "000000000000"


def request_id() -> str:
    """A request id shaped like AWS's (a UUID). Only unique, not secret: no system entropy
    call per request (decide pays for every microsecond on this path)."""
    n = f"{random.getrandbits(128):032x}"
    return f"{n[:8]}-{n[8:12]}-4{n[13:16]}-{n[16:20]}-{n[20:]}"


@dataclass
class LocalContext:
    """The attributes of the Lambda context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int = 256
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: request_id())
    log_group_name: str = ""
    log_stream_name: str = "local"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


_modules: dict[str, ModuleType] = {}
_lock = threading.Lock()


def handler_module(name: str) -> ModuleType:
    """Import ``functions/<name>/handler.py`` once, as a cold start would."""
    if name not in FUNCTIONS:
        raise KeyError(f"no function named {name!r}")
    with _lock:
        if name not in _modules:
            _modules[name] = importlib.import_module(f"functions.{name}.handler")
        return _modules[name]


def new_environments() -> None:
    """The next invocation of each function cold-starts, as after a new deployment: a handler
    imported before runs its module code again (a fresh config snapshot and leased blocks).
    A local system calls this when it starts, so one started after another in the same process
    never serves from the first one's state."""
    with _lock:
        for module in _modules.values():
            importlib.reload(module)


def invoke(name: str, event: dict[str, Any]) -> Any:
    context = LocalContext(function_name=f"xsell-{name}")
    return handler_module(name).lambda_handler(event, context)
