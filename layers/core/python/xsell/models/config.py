"""Sites, slots, creatives and campaigns: one versioned config table.

Items are addressed as ``pk = "<KIND>#<id>"``, ``sk = "v<version>"`` (``v0`` is
the current version); the ``by_kind`` index lists all items of one kind without
a scan. The item ``pk = "META", sk = "VERSION"`` holds the config version stamp
that the decide function watches.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from xsell import env
from xsell.models.base import region, table_name


class ByKindIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_kind"
        projection = AllProjection()

    kind = UnicodeAttribute(hash_key=True)
    pk = UnicodeAttribute(range_key=True)


class ConfigItem(Model):
    class Meta:
        table_name = table_name(env.CONFIG_TABLE)
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()  # site | campaign | creative | meta
    data = JSONAttribute(default=dict)
    version = NumberAttribute(default=0)

    by_kind = ByKindIndex()
