"""The audit log: one append-only item per change, approval, publish, rotation or URL minted.

``pk = "month#YYYY-MM"`` (the UTC month) and ``sk = "<ISO time>#<id>"``, so a date range is
one query per month, newest first; no indexes, no TTL. ``entry`` holds who (user, role,
brand), from where (IP, user agent), the before/after documents and a readable diff. Only the
admin function writes here, and IAM lets it only ``PutItem`` (conditional on the item not
existing) and ``Query``: nobody can edit or delete an entry through the API.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute
from pynamodb.models import Model

from xsell import env
from xsell.models.base import region, table_name


class AuditEntry(Model):
    class Meta:
        table_name = table_name(env.AUDIT_TABLE)
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    entry = JSONAttribute()
