"""Shared Meta for all xsell tables."""

from __future__ import annotations

import os

from xsell.env import table_name

__all__ = ["DEFAULT_REGION", "region", "table_name"]

DEFAULT_REGION = "ap-northeast-1"


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
