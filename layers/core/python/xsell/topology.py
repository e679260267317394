"""The shape of the system, shared by the CDK stacks and the local runtime.

Which functions exist, what each needs from the environment, which HTTP routes
reach them, and the S3 prefixes that connect partners to the importer. The
local runtime builds its emulated resources and its API gateway from this same
description, so local and deployed wiring cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from xsell import env

# Partners drop files at incoming/<partner>/<dataset>/<file>.csv (suffix in any case); the bucket
# notifies the import queue of every object under the prefix, and the importer rejects misnamed ones.
DROP_PREFIX = "incoming/"
DROP_SUFFIX = ".csv"
# Error reports are written back to the drop bucket under results/<job-id>/.
RESULTS_PREFIX = "results/"

IMPORT_QUEUE = "xsell-import"
IMPORT_DLQ = "xsell-import-dlq"
# An import message is retried this many times before it lands in the DLQ.
IMPORT_MAX_RECEIVES = 3


@dataclass(frozen=True)
class FunctionSpec:
    name: str  # folder under functions/, and the construct id
    env: tuple[str, ...]  # variables the handler requires at cold start
    description: str
    optional_env: tuple[str, ...] = ()  # variables it uses when the stack can set them


FUNCTIONS: dict[str, FunctionSpec] = {
    spec.name: spec
    for spec in (
        FunctionSpec(
            "decide",
            # EVENTS_STREAM: each decision's request and served events (the funnel's first steps)
            # SITES_SECRET: calls a site's server signs with its secret spend caps without an Origin
            (
                env.PROFILES_TABLE,
                env.CONFIG_TABLE,
                env.COUNTERS_TABLE,
                env.SECRET,
                env.SITES_SECRET,
                env.EVENTS_STREAM,
            ),
            "Chooses the referral creative for each slot on a page",
        ),
        FunctionSpec(
            "importer",
            (
                env.PROFILES_TABLE,
                env.JOBS_TABLE,
                env.DROP_BUCKET,
                env.CONFIG_TABLE,  # partner settings, configured brands
                env.IMPORT_QUEUE_URL,  # follow-up messages for long files
            ),
            "Imports partner CSV files from the drop bucket into profiles",
        ),
        FunctionSpec(
            "admin",
            (
                env.CONFIG_TABLE,
                env.JOBS_TABLE,
                env.AUDIT_TABLE,
                env.DROP_BUCKET,
                env.COUNTERS_TABLE,  # pacing: caps used and reciprocity ledgers
                env.SECRET,  # preview tokens, signing key rotation
                env.SITES_SECRET,  # site secret rotation
                env.PROFILES_TABLE,  # preview/QA: read a test customer's profile and state
            ),
            "Admin API behind Cognito for the marketer SPA",
            # The users screen lists the pool; snippets name the public host (a custom domain);
            # reports read the events bucket through Athena; creative images go to their bucket.
            optional_env=(
                env.USER_POOL_ID,
                env.TAG_URL,
                env.API_URL,
                env.EVENTS_BUCKET,
                env.ATHENA_WORKGROUP,
                env.GLUE_DATABASE,
                env.IMAGES_BUCKET,
                env.IMAGES_URL,
            ),
        ),
        FunctionSpec(
            "collect",
            # Verifying tokens needs the signing keys only: never the sites' secrets.
            (env.COUNTERS_TABLE, env.EVENTS_STREAM, env.SECRET),
            "Verifies the tag's measured events and writes them to the events stream",
        ),
        FunctionSpec(
            "affinity",
            # Scans profiles (keys and brand maps), publishes a config version, audited.
            (env.PROFILES_TABLE, env.CONFIG_TABLE, env.AUDIT_TABLE),
            "Counts brand affinity over the profile store nightly and publishes it with the config",
            # The brand-pair report of the last 30 days: the lifts referrals showed.
            optional_env=(env.EVENTS_BUCKET, env.ATHENA_WORKGROUP, env.GLUE_DATABASE),
        ),
        FunctionSpec(
            "conversions",
            (env.COUNTERS_TABLE, env.EVENTS_STREAM, env.SECRET, env.SITES_SECRET),
            "Records conversions a destination site's server signs with its secret",
        ),
    )
}


@dataclass(frozen=True)
class Route:
    method: str  # HTTP method, or ANY
    path: str  # API Gateway resource path; {proxy+} matches the rest
    function: str  # key into FUNCTIONS
    authorized: bool  # behind the Cognito authorizer in AWS
    browser: bool = True  # called by browsers (cross-origin: needs a CORS preflight)


API_ROUTES: tuple[Route, ...] = (
    Route("POST", "/v1/decide", "decide", authorized=False),
    Route("POST", "/v1/events", "collect", authorized=False),
    Route("POST", "/v1/conversions", "conversions", authorized=False, browser=False),  # the site's server
    Route("ANY", "/admin/v1/{proxy+}", "admin", authorized=True),
)
