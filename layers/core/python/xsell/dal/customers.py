"""What decide reads about one customer, in one round trip: the profile and the state.

A ``BatchGetItem`` over two tables returns the profile item (imported, see
:mod:`xsell.dal.profiles`) and the customer's state item (behaviour per site and frequency
counts, see :mod:`xsell.dal.counters`). Decide then writes the state once
(:func:`xsell.dal.counters.record`), so a decision costs two requests in all.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, NamedTuple

from boto3.dynamodb.types import TypeDeserializer

from xsell import env
from xsell.dal import aws
from xsell.dal.counters import state_key

ERASED_AS_OF = "erased_as_of"  # set on a profile item by an erasure (see xsell.dal.profiles)
_deserializer = TypeDeserializer()


def is_tombstone(item: Mapping[str, Any]) -> bool:
    """An erased customer: nothing left but the key and the erasure's upload time."""
    return ERASED_AS_OF in item and len(item) == 2


class CustomerRead(NamedTuple):
    profile: dict[str, Any] | None  # plain Python values; None when unknown or erased
    state: dict[str, Any] | None  # the stored state item (low-level values), None before the first


def read(customer_id: str) -> CustomerRead:
    profiles, counters = env.table_name(env.PROFILES_TABLE), env.table_name(env.COUNTERS_TABLE)
    request: dict[str, Any] = {
        profiles: {"Keys": [{"customer_id": {"S": customer_id}}]},
        counters: {"Keys": [state_key(customer_id)]},
    }
    found: dict[str, list[dict[str, Any]]] = {profiles: [], counters: []}
    client = aws.client("dynamodb")
    for attempt in range(8):
        answer = client.batch_get_item(RequestItems=request)
        for table, items in answer.get("Responses", {}).items():
            found[table] += items
        request = answer.get("UnprocessedKeys") or {}
        if not request:
            break
        time.sleep(0.01 * 2**attempt)
    else:
        raise RuntimeError("the customer's profile and state could not be read")
    profile = found[profiles][0] if found[profiles] else None
    if profile is not None and is_tombstone(profile):
        profile = None
    return CustomerRead(
        profile={k: _deserializer.deserialize(v) for k, v in profile.items()} if profile else None,
        state=found[counters][0] if found[counters] else None,
    )
