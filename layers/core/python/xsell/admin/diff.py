"""What changed between two JSON documents, as a flat list a person can read."""

from __future__ import annotations

from typing import Any

MAX_CHANGES = 200  # a diff longer than this is cut; the audit entry keeps both documents anyway


def changes(before: Any, after: Any, path: str = "") -> list[dict[str, Any]]:
    """``[{"path", "before", "after"}]`` for every leaf that differs (``None`` where absent)."""
    found: list[dict[str, Any]] = []
    _walk(before, after, path, found)
    return found[:MAX_CHANGES]


def _walk(before: Any, after: Any, path: str, found: list[dict[str, Any]]) -> None:
    if len(found) >= MAX_CHANGES or before == after:
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after), key=str):
            _walk(before.get(key), after.get(key), f"{path}.{key}" if path else str(key), found)
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for n, (one, other) in enumerate(zip(before, after, strict=True)):
            _walk(one, other, f"{path}[{n}]", found)
    else:
        found.append({"path": path or "$", "before": before, "after": after})
