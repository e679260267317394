"""Quota and frequency counters per period, the brand-to-brand ledger, event de-duplication.

Key scheme (``pk`` / ``sk``):

- ``quota#<scope>#<period>`` / ``<shard>`` — delivery caps per campaign or destination;
- ``freq#<customer id>`` / ``<campaign>#<period>`` — frequency caps per customer: all of one
  customer's counters share a partition, so erasure is one query and a batch delete;
- ``ledger#<from brand>#<to brand>`` / ``<period>`` — referrals sent between two brands;
- ``seen#<decision id>`` / ``<slot>#<event type>`` — events already accepted (replay guard).

Expired periods disappear through the ``expires_at`` TTL attribute.
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
    sk = UnicodeAttribute(range_key=True)
    count = NumberAttribute(default=0)
    expires_at = TTLAttribute(null=True)
