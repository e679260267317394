"""Import jobs: one item per imported object version, listed per partner."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from xsell import env
from xsell.models.base import region, table_name


class ByPartnerIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_partner"
        projection = AllProjection()

    partner = UnicodeAttribute(hash_key=True)
    started_at = UTCDateTimeAttribute(range_key=True)


class ImportJob(Model):
    class Meta:
        table_name = table_name(env.JOBS_TABLE)
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    job_id = UnicodeAttribute(hash_key=True)
    partner = UnicodeAttribute()
    dataset = UnicodeAttribute()
    object_key = UnicodeAttribute()
    object_version = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="running")  # running | succeeded | failed | rejected
    reason = UnicodeAttribute(null=True)  # why a whole file was rejected
    rows_read = NumberAttribute(default=0)
    rows_imported = NumberAttribute(default=0)
    rows_rejected = NumberAttribute(default=0)
    errors_key = UnicodeAttribute(null=True)
    started_at = UTCDateTimeAttribute()
    finished_at = UTCDateTimeAttribute(null=True)
    rows_per_second = NumberAttribute(null=True)

    by_partner = ByPartnerIndex()
