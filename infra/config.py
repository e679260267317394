"""Typed stage configuration, read from the ``xsell:stages`` context in cdk.json.

``xsell:stage`` names the stage to build (override with ``-c xsell:stage=prod``);
``xsell:stages.<name>`` holds its settings. Every key is validated here, once, so
the stacks can trust what they get and a typo fails synth with a clear message
instead of deploying something half-configured.

Brands, their sites and the sites' origins are not stage settings: they are config documents,
edited on the admin page and published as config versions, and decide checks every browser call
(and answers every preflight) against the published ones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from constructs import Node

STAGE_KEY = "xsell:stage"
STAGES_KEY = "xsell:stages"

# CloudWatch Logs accepts only these retention periods.
VALID_LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

_REQUIRED = (
    "region",
    "prod_like",
    "alarm_email",
    "log_retention_days",
    "events_retention_days",
    "domains",
)
_OPTIONAL = (
    "account",
    "waf_rate_limit",
    "waf_decide_rate_limit",
    "waf_site_rate_limit",
    "api_throttle",
    "admin_api_throttle",
    "reserved_concurrency",
    "customer_managed_key",
    "admin_email",
)
# Functions behind the public API whose concurrency is reserved (and so capped): a flood of
# page views cannot take the account's unreserved concurrency the importer and admin run on.
RESERVED_FUNCTIONS = ("collect", "decide")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")


class ConfigError(ValueError):
    """The stage configuration in cdk.json is missing, unknown or malformed."""


@dataclass(frozen=True)
class Domains:
    cdn: str | None  # custom domain for the CloudFront distribution
    cdn_certificate_arn: str | None  # ACM certificate in us-east-1 for that domain


@dataclass(frozen=True)
class ApiThrottle:
    rate_limit: int  # steady-state requests per second for the API stage
    burst_limit: int


@dataclass(frozen=True)
class StageConfig:
    name: str
    account: str | None
    region: str
    prod_like: bool  # retain data on delete, deletion protection, longer-lived everything
    alarm_email: str
    admin_email: str  # the first group admin, invited by e-mail on the first deploy
    log_retention_days: int
    events_retention_days: int
    domains: Domains
    waf_rate_limit: int  # requests per viewer IP per 5-minute window, whole API
    api_throttle: ApiThrottle  # the public API (/v1/*)
    waf_decide_rate_limit: int = 600  # POST /v1/decide per viewer IP per 5 minutes
    waf_site_rate_limit: int = 100_000  # POST /v1/decide per calling site (Origin) per 5 minutes
    admin_api_throttle: ApiThrottle = ApiThrottle(20, 40)  # the admin API (/admin/v1/*)
    reserved_concurrency: tuple[tuple[str, int], ...] = ()  # (function, reserved executions)
    customer_managed_key: bool = False  # one KMS key of the stage for tables, buckets, stream, logs


def load_stage(node: Node) -> StageConfig:
    """The configuration of the stage selected by the ``xsell:stage`` context."""
    name = node.try_get_context(STAGE_KEY)
    stages = node.try_get_context(STAGES_KEY)
    if not isinstance(stages, Mapping) or not stages:
        raise ConfigError(f"cdk.json context has no '{STAGES_KEY}' mapping of stage name -> settings")
    if not name:
        raise ConfigError(f"no stage selected: set '{STAGE_KEY}' in cdk.json or pass -c {STAGE_KEY}=<name>")
    if name not in stages:
        raise ConfigError(f"unknown stage {name!r}; cdk.json defines: {', '.join(sorted(stages))}")
    return parse_stage(name, stages[name])


def parse_stage(name: str, raw: Any) -> StageConfig:
    """Validate one stage's settings; every problem names the stage and the key."""
    where = f"{STAGES_KEY}.{name}"
    if not _ID.match(name):
        raise ConfigError(f"{where}: stage names are lower-case letters, digits and '-' (max 32)")
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: expected an object, got {type(raw).__name__}")
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise ConfigError(f"{where}: missing required key(s): {', '.join(missing)}")
    unknown = sorted(set(raw) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s): {', '.join(unknown)}")

    log_days = _int(raw, "log_retention_days", where)
    if log_days not in VALID_LOG_RETENTION_DAYS:
        raise ConfigError(
            f"{where}.log_retention_days: {log_days} is not a CloudWatch Logs retention period "
            f"(one of {', '.join(map(str, VALID_LOG_RETENTION_DAYS))})"
        )
    events_days = _int(raw, "events_retention_days", where)
    if events_days < 1:
        raise ConfigError(f"{where}.events_retention_days: must be at least 1")

    email = _str(raw, "alarm_email", where)
    if "@" not in email:
        raise ConfigError(f"{where}.alarm_email: {email!r} is not an e-mail address")

    admin_email = _str(raw, "admin_email", where) if "admin_email" in raw else email
    if "@" not in admin_email:
        raise ConfigError(f"{where}.admin_email: {admin_email!r} is not an e-mail address")

    prod_like = raw["prod_like"]
    if not isinstance(prod_like, bool):
        raise ConfigError(f"{where}.prod_like: expected true or false")

    account = raw.get("account")
    if account is not None and not re.fullmatch(r"\d{12}", str(account)):
        raise ConfigError(f"{where}.account: expected a 12-digit AWS account id or null")

    waf_rate_limit = _waf_limit(raw, "waf_rate_limit", 2000, where)
    throttle = _throttle(raw, "api_throttle", ApiThrottle(200, 400), where)
    admin_throttle = _throttle(raw, "admin_api_throttle", ApiThrottle(20, 40), where)
    reserved = _reserved(raw.get("reserved_concurrency", {}), where)
    cmk = raw.get("customer_managed_key", False)
    if not isinstance(cmk, bool):
        raise ConfigError(f"{where}.customer_managed_key: expected true or false")

    return StageConfig(
        name=name,
        account=str(account) if account is not None else None,
        region=_str(raw, "region", where),
        prod_like=prod_like,
        alarm_email=email,
        admin_email=admin_email,
        log_retention_days=log_days,
        events_retention_days=events_days,
        domains=_domains(raw["domains"], where),
        waf_rate_limit=waf_rate_limit,
        api_throttle=throttle,
        waf_decide_rate_limit=_waf_limit(raw, "waf_decide_rate_limit", 600, where),
        waf_site_rate_limit=_waf_limit(raw, "waf_site_rate_limit", 100_000, where),
        admin_api_throttle=admin_throttle,
        reserved_concurrency=reserved,
        customer_managed_key=cmk,
    )


def _waf_limit(raw: Mapping[str, Any], key: str, default: int, where: str) -> int:
    value = raw.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not 10 <= value <= 2_000_000_000:
        raise ConfigError(f"{where}.{key}: AWS WAF needs a whole number from 10 to 2000000000 per 5 minutes")
    return value


def _throttle(raw: Mapping[str, Any], key: str, default: ApiThrottle, where: str) -> ApiThrottle:
    if key not in raw:
        return default
    value = raw[key]
    if not isinstance(value, Mapping) or set(value) != {"rate_limit", "burst_limit"}:
        raise ConfigError(f"{where}.{key}: expected an object with exactly rate_limit and burst_limit")
    throttle = ApiThrottle(
        _int(value, "rate_limit", f"{where}.{key}"), _int(value, "burst_limit", f"{where}.{key}")
    )
    if throttle.rate_limit < 1 or throttle.burst_limit < throttle.rate_limit:
        raise ConfigError(f"{where}.{key}: rate_limit must be at least 1 and burst_limit at least rate_limit")
    return throttle


def _reserved(raw: Any, where: str) -> tuple[tuple[str, int], ...]:
    at = f"{where}.reserved_concurrency"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{at}: expected an object of function name -> reserved executions")
    unknown = sorted(set(raw) - set(RESERVED_FUNCTIONS))
    if unknown:
        raise ConfigError(
            f"{at}: unknown function(s) {', '.join(unknown)}; only {', '.join(RESERVED_FUNCTIONS)}"
        )
    for name in sorted(raw):
        _int(raw, name, at)
        if raw[name] < 1:
            raise ConfigError(f"{at}.{name}: reserve at least 1 execution (0 would stop the function)")
    return tuple((name, raw[name]) for name in sorted(raw))


def _domains(raw: Any, where: str) -> Domains:
    if raw is None:
        return Domains(None, None)
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}.domains: expected an object with cdn and cdn_certificate_arn, or null")
    unknown = sorted(set(raw) - {"cdn", "cdn_certificate_arn"})
    if unknown:
        raise ConfigError(f"{where}.domains: unknown key(s): {', '.join(unknown)}")
    cdn, cert = raw.get("cdn"), raw.get("cdn_certificate_arn")
    if bool(cdn) != bool(cert):
        raise ConfigError(f"{where}.domains: cdn and cdn_certificate_arn go together (both set or both null)")
    if cert and not str(cert).startswith("arn:aws:acm:us-east-1:"):
        raise ConfigError(
            f"{where}.domains.cdn_certificate_arn: CloudFront needs an ACM certificate in us-east-1"
        )
    return Domains(cdn or None, cert or None)


def _str(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}.{key}: expected a non-empty string")
    return value


def _int(raw: Mapping[str, Any], key: str, where: str) -> int:
    value = raw.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigError(f"{where}.{key}: expected an integer")
    return value
