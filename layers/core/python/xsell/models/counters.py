"""Quota and frequency counters per period, and the brand-to-brand ledger.

A counter's ``pk`` names what it counts and the period, e.g.
``cap#<campaign>#day#2026-11-23``. Expired periods disappear through the
``expires_at`` TTL attribute.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from xsell import env
from xsell.models.base import region, table_name


class Counter(Model):
    class Meta:
        table_name = table_name(env.COUNTERS_TABLE)
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    pk = UnicodeAttribute(hash_key=True)
    count = NumberAttribute(default=0)
    expires_at = TTLAttribute(null=True)
