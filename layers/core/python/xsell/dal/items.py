"""Low-level DynamoDB item helpers shared by the decide path's stores (no models, no I/O setup)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from xsell.dal import aws


def n(value: float | int | Decimal) -> dict[str, str]:
    """A number attribute value."""
    return {"N": str(Decimal(str(value)))}


def number(item: Mapping[str, Any], name: str, default: str = "0") -> Decimal:
    """A number attribute of a low-level item, ``default`` when absent."""
    return Decimal(item.get(name, {}).get("N", default))


def plain(value: Mapping[str, Any]) -> Any:
    """A low-level attribute value as plain Python, as boto3's ``TypeDeserializer`` gives it
    (numbers as Decimal, sets as sets, binary as bytes), without its per-value overhead."""
    ((kind, data),) = value.items()
    if kind == "S" or kind == "BOOL":
        return data
    if kind == "N":
        return Decimal(data)
    if kind == "M":
        return {k: plain(v) for k, v in data.items()}
    if kind == "L":
        return [plain(v) for v in data]
    if kind == "SS":
        return set(data)
    if kind == "NS":
        return {Decimal(v) for v in data}
    if kind == "NULL":
        return None
    if kind == "B":
        return bytes(data)
    if kind == "BS":
        return {bytes(v) for v in data}
    raise ValueError(f"unknown attribute type {kind!r}")


def update(table: str, *, once: bool = False, **request: Any) -> dict[str, Any] | None:
    """One ``UpdateItem``: None when done; the item as it was when its condition failed
    (ask for it with ``ReturnValuesOnConditionCheckFailure="ALL_OLD"``). ``once``: botocore
    makes a single attempt, for a write that must not land twice."""
    client = aws.single_attempt_client("dynamodb") if once else aws.client("dynamodb")
    try:
        client.update_item(TableName=table, **request)
        return None
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        old = exc.response.get("Item")  # present when the request asked for ALL_OLD
        return old if isinstance(old, dict) else {}


def get(table: str, key: dict[str, Any]) -> dict[str, Any]:
    """One strongly consistent ``GetItem``; an empty dict when there is no item."""
    item: dict[str, Any] = (
        aws.client("dynamodb").get_item(TableName=table, Key=key, ConsistentRead=True).get("Item", {})
    )
    return item
