"""Import jobs: one item per imported object version, listed per partner; and the writer lease."""

from __future__ import annotations

from pynamodb.attributes import (
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
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


class ByStartIndex(GlobalSecondaryIndex):
    """Every import job, newest first, for the admin list: one partition (``listing``), which a
    group's few imports a day never make hot; the writer lease item has no ``listing``."""

    class Meta:
        index_name = "by_start"
        projection = AllProjection()

    listing = UnicodeAttribute(hash_key=True)
    started_at = UTCDateTimeAttribute(range_key=True)


LISTING = "import"  # the one ``listing`` value (the by_start partition)


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
    reason = UnicodeAttribute(null=True)  # why a whole file was rejected (or nothing imported)
    rows_read = NumberAttribute(default=0)
    rows_imported = NumberAttribute(default=0)
    rows_rejected = NumberAttribute(default=0)
    errors_key = UnicodeAttribute(null=True)
    started_at = UTCDateTimeAttribute()
    finished_at = UTCDateTimeAttribute(null=True)
    rows_per_second = NumberAttribute(null=True)

    # --- added by the import issue (all optional: older records stay readable) ---
    reason_code = UnicodeAttribute(null=True)  # machine-readable form of ``reason``
    object_bucket = UnicodeAttribute(null=True)  # continuation messages carry only the job id
    object_etag = UnicodeAttribute(null=True)
    object_size = NumberAttribute(null=True)  # bytes; progress = offset / object_size
    # S3 LastModified of the object version: the version stamp of every row in it.
    as_of = UnicodeAttribute(null=True)
    encoding = UnicodeAttribute(null=True)  # utf-8 | cp932 | auto (only ASCII seen so far)
    header = ListAttribute(of=UnicodeAttribute, null=True)
    settings = JSONAttribute(null=True)  # the partner settings snapshot used for every chunk
    # Checkpoint: where the next chunk starts, committed with the counters above.
    offset = NumberAttribute(default=0)
    next_line = NumberAttribute(default=1)
    chunks = NumberAttribute(default=0)
    rows_duplicate = NumberAttribute(default=0)  # earlier rows replaced by a later row of the same file
    rows_outdated = NumberAttribute(default=0)  # valid rows not applied: newer data is stored
    errors_listed = NumberAttribute(default=0)  # lines in errors.csv
    error_parts = ListAttribute(of=UnicodeAttribute, null=True)  # committed report parts, in order
    busy_seconds = NumberAttribute(default=0)  # time spent importing, summed over chunks
    # Who is importing the next chunk, and until when that claim holds.
    lease_owner = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(null=True)  # epoch seconds
    # Live progress inside a chunk (not a checkpoint: never resumed from).
    progress_rows = NumberAttribute(null=True)
    progress_offset = NumberAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)

    listing = UnicodeAttribute(default=LISTING)  # puts the job in by_start (written with the claim)

    by_partner = ByPartnerIndex()
    by_start = ByStartIndex()


class ProfilesWriterLease(Model):
    """The single-writer lease over the profiles table: one item in the jobs table.

    Only the holder writes profile items, so an import may read, merge and put whole items
    (see :mod:`xsell.dal.profiles`). The item has no ``partner``: job listings never show it.
    """

    class Meta:
        table_name = table_name(env.JOBS_TABLE)
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    job_id = UnicodeAttribute(hash_key=True)  # always xsell.dal.jobs.WRITER_LEASE_ID
    lease_owner = UnicodeAttribute(null=True)  # the chunk holding it (the owner of its job lease)
    lease_until = NumberAttribute(null=True)  # epoch seconds
    holder_job = UnicodeAttribute(null=True)  # for operators: which import is writing
    updated_at = UTCDateTimeAttribute(null=True)
