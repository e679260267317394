"""Shared Meta for all xsell tables."""

from __future__ import annotations

import os

from xsell import env

DEFAULT_REGION = "ap-northeast-1"


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


def table_name(variable: str) -> str:
    """Physical table name for a model, read once when the model class is built.

    A function that does not use a table has no variable for it. Importing the
    models must still work there, so the name becomes a marker that fails the
    first call loudly; each handler checks its own variables at cold start.
    """
    try:
        return env.get(variable)
    except env.MissingEnvironment:
        return f"unset-{variable}"
