"""Config: drafts that marketers edit, immutable numbered versions that decide reads.

One table, four kinds of item, each addressed so that every read the product needs is a
strongly consistent ``GetItem``, ``Query`` or partition-naming PartiQL ``SELECT`` (the drafts of
several kinds at once) on the base table (no index: a global index is eventually consistent, and
decide must never serve a version it cannot see whole):

- ``pk = "draft#<kind>"``, ``sk = "<id>"``: the draft of one document, with its own ``rev``
  (optimistic concurrency) and ``meta`` (who changed it, approval state, deleted mark).
- ``pk = "version#<n>"``, ``sk = "<kind>#<id>"``: one document as published in version
  ``n`` (zero-padded so versions sort). Written once, never changed.
- ``pk = "versions"``, ``sk = "<n>"``: the header of version ``n`` (who, when, what changed);
  its ``state`` is ``writing`` until the version is whole.
- ``pk = "pointer"``, ``sk = "current"``: ``version`` = the live version. Moved only after
  every document of the new version is written, so a reader of the pointer sees one whole
  version, old or new, never a mix.

The admin function is the only writer (drafts, approvals, publish, roll back). Decide reads the
pointer and the live version; the importer reads the published ``partner`` documents and the
configured brands.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from xsell import env
from xsell.models.base import region, table_name


class ConfigItem(Model):
    class Meta:
        table_name = table_name(env.CONFIG_TABLE)
        region = region()
        billing_mode = "PAY_PER_REQUEST"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute(null=True)  # site | campaign | creative | group | partner | affinity
    data = JSONAttribute(null=True)
    meta = JSONAttribute(null=True)
    rev = NumberAttribute(null=True)  # a draft's revision; a version header's number
    version = NumberAttribute(null=True)  # the pointer's live version
