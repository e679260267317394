"""Profiles: one item per group customer (rank, attributes, per-brand usage, opt-outs).

Key: ``customer_id`` (hash key only; no indexes). Only the importer writes profile items
(read, merged and put whole under the profiles writer lease, see
:mod:`xsell.importing.merging`); an erasure leaves a tombstone. The table also holds decide's
``state#<customer id>`` item per customer (pages seen, first visit, frequency counts), written
with the low-level client by :mod:`xsell.dal.customers` and deleted by the importer on
erasure; customer ids never contain ``#``. ``expires_at`` is the table's TTL attribute, set
only on state items.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    MapAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.models import Model

from xsell import env
from xsell.models.base import region, table_name


class Profile(Model):
    class Meta:
        table_name = table_name(env.PROFILES_TABLE)
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    customer_id = UnicodeAttribute(hash_key=True)
    group_rank = UnicodeAttribute(null=True)
    attributes: MapAttribute[str, Any] = MapAttribute(default=dict)  # free-form partner attributes
    # brand id -> {used: 1, first_used, last_purchase (ISO dates), ltv (yen), rank,
    #              as_of (upload time of the file that set it), mark (job:line, as profile_import)}.
    # One brand's partner file only ever sets its own key (see xsell.importing.merging).
    brands: MapAttribute[str, Any] = MapAttribute(default=dict)
    optouts = UnicodeSetAttribute(null=True)  # brand ids, or "all"
    updated_at = UTCDateTimeAttribute(null=True)
    # Which row of which import job last wrote rank and
    # attributes: "<job>:<line>[:<earlier line it replaced>]" (see xsell.importing.merging).
    # Each partner's profiles files also leave a "profile_as_of#<partner>" attribute, the
    # upload time of the newest file applied; it is named per partner, so not modelled here.
    profile_import = UnicodeAttribute(null=True)
    # Upload time of the newest erasure file that named the customer. An erasure reduces the
    # item to customer_id + erased_as_of (a tombstone: no personal data, read as no profile),
    # so rows of files uploaded until then are not applied; a newer file re-creates the
    # customer and the stamp stays.
    erased_as_of = UnicodeAttribute(null=True)
    # The table's TTL attribute. Only decide's state items carry it (a customer unseen for 400
    # days is forgotten); profile items never expire.
    expires_at = TTLAttribute(null=True)
