"""Shared Meta for all xsell tables."""

from __future__ import annotations

import os

from xsell import env

DEFAULT_REGION = "ap-northeast-1"


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


def table_name(variable: str) -> str:
    """Physical table name for a model, read once when the model class is built."""
    return env.get(variable)
