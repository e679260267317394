"""Counters: the only module that knows the counters table's key scheme."""

from __future__ import annotations

from xsell.models import Counter


def frequency_pk(customer_id: str) -> str:
    return f"freq#{customer_id}"


def erase_customer(customer_id: str) -> int:
    """Delete every counter keyed on the customer; returns how many were deleted."""
    deleted = 0
    with Counter.batch_write() as batch:
        for item in Counter.query(frequency_pk(customer_id)):
            batch.delete(item)
            deleted += 1
    return deleted
