"""Reading an admin request: the signed-in user, a JSON body, query parameters."""

from __future__ import annotations

import json
from typing import Any

from xsell.admin.access import Principal, principal_of
from xsell.api_contract import Schema
from xsell.errors import InvalidRequest

# ``event`` below is the Powertools event of the request being served (``app.current_event``).


def principal(event: Any) -> Principal:
    return principal_of(event.raw_event)


def body(event: Any, schema: Schema, *, optional: bool = False) -> dict[str, Any]:
    """The JSON object body, its top-level fields checked against ``schema``'s types."""
    text = event.body
    if not text:
        if optional:
            return {}
        raise InvalidRequest("a JSON body is required", "body")
    try:
        value = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequest(f"the body is not JSON: {exc}", "body") from exc
    if not isinstance(value, dict):
        raise InvalidRequest("the body must be a JSON object", "body")
    for name in schema.get("required", ()):
        if name not in value:
            raise InvalidRequest(f"{name} is required", name)
    for name, spec in schema.get("properties", {}).items():
        if name in value:
            _check(value[name], spec, name)
    return value


_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "boolean": bool,
    "number": (int, float),
    "null": type(None),
}


def _check(value: Any, spec: Schema, name: str) -> None:
    types = spec.get("type")
    allowed = [types] if isinstance(types, str) else list(types or ())
    if allowed:
        ok = any(
            isinstance(value, _TYPES[t]) and not (t in ("integer", "number") and isinstance(value, bool))
            for t in allowed
        )
        if not ok:
            raise InvalidRequest(f"{name} must be {' or '.join(allowed)}", name)
    if isinstance(value, str) and len(value) > spec.get("maxLength", 1 << 20):
        raise InvalidRequest(f"{name} must be at most {spec['maxLength']} characters", name)
    if isinstance(value, int) and not isinstance(value, bool):
        if "minimum" in spec and value < spec["minimum"]:
            raise InvalidRequest(f"{name} must be at least {spec['minimum']}", name)
        if "maximum" in spec and value > spec["maximum"]:
            raise InvalidRequest(f"{name} must be at most {spec['maximum']}", name)
    if isinstance(value, list) and "items" in spec:
        for n, item in enumerate(value):
            _check(item, spec["items"], f"{name}[{n}]")


def query_int(
    event: Any,
    name: str,
    *,
    default: int | None = None,
    required: bool = False,
    low: int = 0,
    high: int = 10**9,
) -> int:
    text = (event.query_string_parameters or {}).get(name)
    if text is None or text == "":
        if required or default is None:
            raise InvalidRequest(f"query parameter {name} is required", name)
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise InvalidRequest(f"query parameter {name} must be a whole number from {low} to {high}", name)
    return int(text)
