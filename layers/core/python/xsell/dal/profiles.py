"""Profiles: read one customer, merge partner rows into customers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from pynamodb.exceptions import DoesNotExist

from xsell.dal import aws
from xsell.models import Profile

_ATTRIBUTE_FIELDS = ("gender", "birth_year", "prefecture", "member_since")
_USAGE_FIELDS = {
    "first_used": "first_used",
    "last_purchase": "last_purchase",
    "ltv": "ltv",
    "brand_rank": "rank",
}


def get(customer_id: str) -> Profile | None:
    try:
        return Profile.get(customer_id)
    except DoesNotExist:
        return None


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+0000")


def merge_profile(record: Mapping[str, Any]) -> None:
    """Set rank and attributes from a ``profiles`` row; brand usage stays untouched."""
    names = {"#a": "attributes", "#b": "brands", "#u": "updated_at"}
    values: dict[str, Any] = {":empty": {"M": {}}, ":now": {"S": _now()}}
    sets = ["#b = if_not_exists(#b, :empty)", "#u = :now"]
    attrs = {f: record[f] for f in _ATTRIBUTE_FIELDS if f in record}
    values[":attrs"] = {"M": {k: _av(v) for k, v in attrs.items()}}
    sets.append("#a = :attrs")
    if "group_rank" in record:
        names["#r"] = "group_rank"
        values[":rank"] = _av(record["group_rank"])
        sets.append("#r = :rank")
    aws.client("dynamodb").update_item(
        TableName=Profile.Meta.table_name,
        Key={"customer_id": {"S": str(record["customer_id"])}},
        UpdateExpression="SET " + ", ".join(sets),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )


def merge_brand_usage(record: Mapping[str, Any]) -> None:
    """Set one brand's usage on a customer; other brands' usage stays untouched."""
    usage: dict[str, Any] = {"used": {"N": "1"}}
    for src, dst in _USAGE_FIELDS.items():
        if src in record:
            usage[dst] = _av(record[src])
    table = Profile.Meta.table_name
    key = {"customer_id": {"S": str(record["customer_id"])}}
    client = aws.client("dynamodb")
    names = {"#b": "brands", "#brand": str(record["brand"]), "#u": "updated_at"}
    try:
        client.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET #b.#brand = :usage, #u = :now",
            ConditionExpression="attribute_exists(#b)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={":usage": {"M": usage}, ":now": {"S": _now()}},
        )
    except client.exceptions.ConditionalCheckFailedException:
        # First thing we hear of this customer: create the brands map with this brand in it.
        client.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET #b = :brands, #u = :now",
            ConditionExpression="attribute_not_exists(#b)",
            ExpressionAttributeNames={"#b": "brands", "#u": "updated_at"},
            ExpressionAttributeValues={
                ":brands": {"M": {str(record["brand"]): {"M": usage}}},
                ":now": {"S": _now()},
            },
        )


def _av(value: object) -> dict[str, str]:
    if isinstance(value, bool):
        raise TypeError("booleans are not profile values")
    if isinstance(value, int | float):
        return {"N": str(value)}
    return {"S": str(value)}
