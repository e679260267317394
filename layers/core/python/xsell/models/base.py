"""Shared Meta for all xsell tables, and the attribute types the models share."""

from __future__ import annotations

import json
import os

from pynamodb.attributes import Attribute
from pynamodb.constants import NUMBER

from xsell.env import table_name

__all__ = ["DEFAULT_REGION", "NullableWholeNumberAttribute", "WholeNumberAttribute", "region", "table_name"]

DEFAULT_REGION = "ap-northeast-1"


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


class _WholeNumbers:
    """Stored as :class:`~pynamodb.attributes.NumberAttribute` stores numbers, read as ``int``."""

    attr_type = NUMBER

    def serialize(self, value: int) -> str:
        return json.dumps(value)

    def deserialize(self, value: str) -> int:
        return int(json.loads(value))


class WholeNumberAttribute(_WholeNumbers, Attribute[int]):
    """A DynamoDB number that only ever holds whole numbers (counts, offsets, line numbers)."""


class NullableWholeNumberAttribute(_WholeNumbers, Attribute[int | None]):
    """A :class:`WholeNumberAttribute` that may be absent (declare it with ``null=True``)."""
