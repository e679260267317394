"""The environment contract: every environment variable xsell reads.

CDK sets these on each function, the local runtime sets them for the in-process
handlers, and tests read the same names. Handlers call :func:`require` at cold
start so a missing variable fails loudly at init rather than on first use.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

STAGE = "XSELL_STAGE"
PROFILES_TABLE = "XSELL_PROFILES_TABLE"
CONFIG_TABLE = "XSELL_CONFIG_TABLE"
COUNTERS_TABLE = "XSELL_COUNTERS_TABLE"
JOBS_TABLE = "XSELL_JOBS_TABLE"
AUDIT_TABLE = "XSELL_AUDIT_TABLE"
DROP_BUCKET = "XSELL_DROP_BUCKET"
EVENTS_BUCKET = "XSELL_EVENTS_BUCKET"
CONFIG_TTL_SECONDS = "XSELL_CONFIG_TTL_SECONDS"
# Secrets Manager secrets (name or ARN), shapes in xsell.dal.secrets. SECRET: the keys that sign
# decision, slot and referral tokens and key customer pseudonyms. SITES_SECRET: each site's secret
# (identity tokens, signed decide calls, server-to-server conversions), apart so that a function
# that only verifies tokens (collect) cannot read what would let it act as any site.
SECRET = "XSELL_SECRET"
SITES_SECRET = "XSELL_SITES_SECRET"
EVENTS_STREAM = "XSELL_EVENTS_STREAM"  # Firehose delivery stream for measured events
# The import queue's URL: the importer continues a long file with a follow-up message to it.
# Locally the default is the queue's name, which the importer resolves with GetQueueUrl.
IMPORT_QUEUE_URL = "XSELL_IMPORT_QUEUE_URL"
# Optional, read by the admin API's operations (xsell.admin.operations); never required at cold start.
TAG_URL = "XSELL_TAG_URL"  # the deployed tag loader (https://<cdn>/tag/tag.js), filled into the snippet
API_URL = "XSELL_API_URL"  # the API origin a site's tag calls (the CDN domain whose /v1/* is the API)
USER_POOL_ID = "XSELL_USER_POOL_ID"  # the admin Cognito user pool, for the user list
# Creative images uploaded from the admin page (xsell.admin.images): the bucket, and the public
# base URL they are served from (https://<cdn>/creatives). Without both, upload is not offered.
IMAGES_BUCKET = "XSELL_IMAGES_BUCKET"
IMAGES_URL = "XSELL_IMAGES_URL"
# Optional, read by the admin API's reports (xsell.reporting): without a workgroup, DuckDB runs them.
ATHENA_WORKGROUP = "XSELL_ATHENA_WORKGROUP"
GLUE_DATABASE = "XSELL_GLUE_DATABASE"

# Default physical names, used by the local runtime and tests. In AWS, CDK
# passes the generated names through the variables above.
LOCAL_DEFAULTS: Mapping[str, str] = {
    STAGE: "local",
    PROFILES_TABLE: "xsell-profiles",
    CONFIG_TABLE: "xsell-config",
    COUNTERS_TABLE: "xsell-counters",
    JOBS_TABLE: "xsell-jobs",
    AUDIT_TABLE: "xsell-audit",
    DROP_BUCKET: "xsell-drop",
    EVENTS_BUCKET: "xsell-events",
    IMAGES_BUCKET: "xsell-images",
    SECRET: "xsell/local",
    SITES_SECRET: "xsell/local-sites",
    EVENTS_STREAM: "xsell-events",
    IMPORT_QUEUE_URL: "xsell-import",
}


class MissingEnvironment(RuntimeError):
    """Raised at cold start when a function lacks a variable it needs."""


def _local_default(name: str) -> str | None:
    # Defaults only ever apply to the local stage: a deployed function with a
    # missing variable must fail, not quietly talk to a table named "xsell-...".
    if os.environ.get(STAGE, "local") != "local":
        return None
    return LOCAL_DEFAULTS.get(name)


def get(name: str) -> str:
    """The value of ``name``, falling back to its local default on the local stage."""
    value = os.environ.get(name) or _local_default(name)
    if value is None:
        raise MissingEnvironment(f"environment variable {name} is not set")
    return value


def require(names: Iterable[str]) -> None:
    """Fail fast unless every name in ``names`` resolves to a value."""
    missing = [n for n in names if not (os.environ.get(n) or _local_default(n))]
    if missing:
        raise MissingEnvironment("missing environment variables: " + ", ".join(sorted(missing)))


def table_name(variable: str) -> str:
    """Physical table name carried by ``variable`` (one of the ``*_TABLE`` names).

    A function that does not use a table has no variable for it. Importing the
    models must still work there, so the name becomes a marker that fails the
    first call loudly; each handler checks its own variables at cold start.
    """
    try:
        return get(variable)
    except MissingEnvironment:
        return f"unset-{variable}"
