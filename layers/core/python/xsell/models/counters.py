"""Counters: shared limits, the brand-to-brand ledgers and the events' replay guards.

Key scheme (``pk`` / ``sk``; :mod:`xsell.dal.counters` is the only module that builds it, and
IAM grants each function only its own prefixes):

- ``quota#<scope>:<subject>#served#<period>`` / ``0`` — creatives served per campaign or
  destination brand, leased in blocks by decide instances;
- ``quota#<scope>:<subject>#clicks#<period>`` / ``0`` — clicks counted by collect, read by
  decide for click caps;
- ``ledger#<brand>#<brand>`` / ``<period>`` — reciprocity between two brands (names sorted),
  per way ``credit#<from>><to>`` and ``sent#<from>><to>``, written by decide;
- ``seen#<decision id>`` / ``<slot>#<event type>[#<order id>]`` — events collect accepted
  (replay guard), and ``<slot>#conversions``, the browser conversions counted per referral;
- ``sig#<signature>`` / ``s2s`` — signed server-to-server requests already received.

No indexes. Expired periods and guards leave through the ``expires_at`` TTL attribute.
Frequency counts are not here: they live on decide's ``state#<customer>`` item in the
profiles table.
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
    # The stored attribute is "count" (every counter write names it): it hides Model.count, the
    # table-wide count query, which nothing calls on this model.
    count = NumberAttribute(default=0)  # type: ignore[assignment]
    expires_at = TTLAttribute(null=True)
