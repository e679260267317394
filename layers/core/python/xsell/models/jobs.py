"""Import jobs: one item per imported object, and the profiles writer lease.

``job_id`` (hash key) is derived from bucket + key + ETag (:mod:`xsell.importing.notifications`),
so a re-delivered notification and a re-uploaded identical file find the same job; the
conditional put of a new job is the claim. The item carries the counters, the checkpoint of a
chunked import (offset, next line, encoding, report parts) and the lease of the chunk running
it. Indexes: ``by_partner`` (partner, started_at) and ``by_start`` (one ``listing`` partition,
started_at), both newest first for the admin page. The importer writes jobs; the admin function
only reads them. The same table holds one ``writer#profiles`` item, the profiles writer lease
(:class:`ProfilesWriterLease`).
"""

from __future__ import annotations

import datetime as dt

from pynamodb.attributes import (
    Attribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from xsell import env
from xsell.models.base import NullableWholeNumberAttribute, WholeNumberAttribute, region, table_name


class ByPartnerIndex(GlobalSecondaryIndex["ImportJob"]):
    class Meta:
        index_name = "by_partner"
        projection = AllProjection()

    partner = UnicodeAttribute(hash_key=True)
    started_at = UTCDateTimeAttribute(range_key=True)


class ByStartIndex(GlobalSecondaryIndex["ImportJob"]):
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
    rows_read = WholeNumberAttribute(default=0)
    rows_imported = WholeNumberAttribute(default=0)
    rows_rejected = WholeNumberAttribute(default=0)
    errors_key = UnicodeAttribute(null=True)
    started_at = UTCDateTimeAttribute()
    # PynamoDB types a null attribute as never None: this one is None until the job ends.
    finished_at: Attribute[dt.datetime | None] = UTCDateTimeAttribute(null=True)  # type: ignore[assignment]
    rows_per_second = NumberAttribute(null=True)

    # --- import details (all optional: older records stay readable) ---
    reason_code = UnicodeAttribute(null=True)  # machine-readable form of ``reason``
    object_bucket = UnicodeAttribute(null=True)  # continuation messages carry only the job id
    object_etag = UnicodeAttribute(null=True)
    object_size = NullableWholeNumberAttribute(null=True)  # bytes; progress = offset / object_size
    # S3 LastModified of the object version: the version stamp of every row in it.
    as_of = UnicodeAttribute(null=True)
    encoding = UnicodeAttribute(null=True)  # utf-8 | cp932 | auto (only ASCII seen so far)
    # PynamoDB types a list by its element attribute's class, and a null one as never None: what
    # it reads is a list of str, or None.
    header: Attribute[list[str] | None] = ListAttribute(of=UnicodeAttribute, null=True)  # type: ignore[arg-type, assignment]
    settings = JSONAttribute(null=True)  # the partner settings snapshot used for every chunk
    # Checkpoint: where the next chunk starts, committed with the counters above.
    offset = WholeNumberAttribute(default=0)
    next_line = WholeNumberAttribute(default=1)
    chunks = WholeNumberAttribute(default=0)
    rows_duplicate = WholeNumberAttribute(default=0)  # earlier rows replaced by a later row of the same file
    rows_outdated = WholeNumberAttribute(default=0)  # valid rows not applied: newer data is stored
    errors_listed = WholeNumberAttribute(default=0)  # lines in errors.csv
    # Committed report parts, in order (read as header is).
    error_parts: Attribute[list[str] | None] = ListAttribute(of=UnicodeAttribute, null=True)  # type: ignore[arg-type, assignment]
    busy_seconds = NumberAttribute(default=0)  # time spent importing, summed over chunks
    # Who is importing the next chunk, and until when that claim holds.
    lease_owner = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(null=True)  # epoch seconds
    # Live progress inside a chunk (not a checkpoint: never resumed from).
    progress_rows = NullableWholeNumberAttribute(null=True)
    progress_offset = NullableWholeNumberAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)

    listing = UnicodeAttribute(default=LISTING)  # puts the job in by_start (written with the claim)

    by_partner = ByPartnerIndex()
    by_start = ByStartIndex()


class ProfilesWriterLease(Model):
    """The single-writer lease over the profiles table: one item in the jobs table.

    Only the holder writes profile items, so an import may read, merge and put whole items
    (see :mod:`xsell.importing.merging`). The item has no ``partner``: job listings never show it.
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
