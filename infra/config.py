"""Typed stage configuration, read from the ``xsell:stages`` context in cdk.json.

``xsell:stage`` names the stage to build (override with ``-c xsell:stage=prod``);
``xsell:stages.<name>`` holds its settings. Every key is validated here, once, so
the stacks can trust what they get and a typo fails synth with a clear message
instead of deploying something half-configured.
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
    "brands",
    "alarm_email",
    "log_retention_days",
    "events_retention_days",
    "domains",
)
_OPTIONAL = ("account", "waf_rate_limit", "api_throttle", "admin_email")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
_ORIGIN = re.compile(r"^https://[A-Za-z0-9.-]+(:\d+)?$")


class ConfigError(ValueError):
    """The stage configuration in cdk.json is missing, unknown or malformed."""


@dataclass(frozen=True)
class Site:
    id: str
    origin: str  # https://host[:port], no path: the tag calls the API from here


@dataclass(frozen=True)
class Brand:
    id: str
    name: str
    sites: tuple[Site, ...]


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
    brands: tuple[Brand, ...]
    alarm_email: str
    admin_email: str  # the first group admin, invited by e-mail on the first deploy
    log_retention_days: int
    events_retention_days: int
    domains: Domains
    waf_rate_limit: int  # requests per client IP per 5-minute window
    api_throttle: ApiThrottle

    @property
    def allowed_origins(self) -> tuple[str, ...]:
        """Every site origin of every brand, sorted: who may call the public API from a browser."""
        return tuple(sorted({site.origin for brand in self.brands for site in brand.sites}))


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

    waf_rate_limit = int(raw.get("waf_rate_limit", 2000))
    if waf_rate_limit < 10:
        raise ConfigError(f"{where}.waf_rate_limit: AWS WAF needs a limit of at least 10 per 5 minutes")

    throttle_raw = raw.get("api_throttle", {"rate_limit": 200, "burst_limit": 400})
    if not isinstance(throttle_raw, Mapping):
        raise ConfigError(f"{where}.api_throttle: expected an object with rate_limit and burst_limit")
    throttle = ApiThrottle(
        _int(throttle_raw, "rate_limit", f"{where}.api_throttle"),
        _int(throttle_raw, "burst_limit", f"{where}.api_throttle"),
    )

    return StageConfig(
        name=name,
        account=str(account) if account is not None else None,
        region=_str(raw, "region", where),
        prod_like=prod_like,
        brands=_brands(raw["brands"], where),
        alarm_email=email,
        admin_email=admin_email,
        log_retention_days=log_days,
        events_retention_days=events_days,
        domains=_domains(raw["domains"], where),
        waf_rate_limit=waf_rate_limit,
        api_throttle=throttle,
    )


def _brands(raw: Any, where: str) -> tuple[Brand, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{where}.brands: expected a non-empty list of brands")
    brands, seen = [], set()
    for i, b in enumerate(raw):
        at = f"{where}.brands[{i}]"
        if not isinstance(b, Mapping):
            raise ConfigError(f"{at}: expected an object with id, name, sites")
        brand_id = _str(b, "id", at)
        if not _ID.match(brand_id) or brand_id in seen:
            raise ConfigError(f"{at}.id: {brand_id!r} must be a unique lower-case id")
        seen.add(brand_id)
        sites_raw = b.get("sites")
        if not isinstance(sites_raw, list) or not sites_raw:
            raise ConfigError(f"{at}.sites: expected a non-empty list of sites")
        sites = []
        for j, s in enumerate(sites_raw):
            sat = f"{at}.sites[{j}]"
            if not isinstance(s, Mapping):
                raise ConfigError(f"{sat}: expected an object with id and origin")
            origin = _str(s, "origin", sat)
            if not _ORIGIN.match(origin):
                raise ConfigError(f"{sat}.origin: {origin!r} must be https://host[:port] without a path")
            sites.append(Site(_str(s, "id", sat), origin))
        brands.append(Brand(brand_id, _str(b, "name", at), tuple(sites)))
    return tuple(brands)


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
