"""Sites, campaigns and group settings: validated when saved, compiled once per config version.

The documents are described in docs/campaigns.md. ``validate_*`` raise
:class:`~xsell.errors.InvalidRequest` naming the field at fault (the admin API answers 400
with it); :func:`compile_snapshot` turns stored documents into the immutable
:class:`~xsell.decisioning.engine.Snapshot` the decide function reads. A stored document
that no longer validates (a brand was removed, say) is left out of the snapshot rather than
failing every decision.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from xsell.decisioning import conditions
from xsell.decisioning.engine import (
    Campaign,
    Cap,
    Creative,
    FrequencyCap,
    Predicate,
    Reciprocity,
    Site,
    Snapshot,
    build_index,
)
from xsell.decisioning.facts import Facts
from xsell.decisioning.schedule import parse_schedule
from xsell.errors import InvalidRequest
from xsell.vocabulary import DEFAULT_TZ, TEMPLATES

log = logging.getLogger(__name__)

NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
STATUSES = ("draft", "active", "paused")
PERIODS = ("day", "week", "month", "total")
METRICS = ("served", "clicks")
MAX_CREATIVES = 10
MAX_CAPS = 8
MAX_FIELD_CHARS = 2048
GROUP_ID = "default"  # the one ``group`` item holding group-wide settings

_CAMPAIGN_KEYS = {
    "campaign_id", "name", "status", "source_sites", "slots", "destination_brand", "priority", "weight",
    "schedule", "targeting", "only_new_to_destination", "creatives", "holdout_pct", "caps", "frequency",
    "guard", "notes", "weight_by_affinity",
}  # fmt: skip
_SITE_KEYS = {"site_id", "brand", "name", "origins", "slots", "allow_raw_id"}
_GROUP_KEYS = {"rank_scales", "reciprocity", "destination_caps", "guards", "domains", "two_person_approval"}
_GROUP_KEYS |= {"settlement"}  # prices between brands (xsell.reporting.settlement)
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")


# --- small checkers (check_* are shared with the admin documents) ---------------------------


def check_object(value: Any, path: str, allowed: Collection[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidRequest(f"{path} must be an object", path)
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise InvalidRequest(
            f"{path} has unknown field {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})",
            f"{path}.{unknown[0]}",
        )
    return value


def check_name(value: Any, path: str) -> str:
    if not isinstance(value, str) or not NAME.fullmatch(value):
        raise InvalidRequest(f"{path} must be 1-64 letters, digits, _ or -", path)
    return value


def _names(value: Any, path: str, *, known: Collection[str] | None = None) -> list[str]:
    if not isinstance(value, list) or not value or len(value) > 100:
        raise InvalidRequest(f"{path} must be a list of 1-100 names", path)
    for n, item in enumerate(value):
        check_name(item, f"{path}[{n}]")
        if known is not None and item not in known:
            raise InvalidRequest(f"{path}[{n}] {item!r} is not configured", f"{path}[{n}]")
    return list(value)


def check_int(value: Any, path: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidRequest(f"{path} must be a whole number from {low} to {high}", path)
    return value


def _number(value: Any, path: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise InvalidRequest(f"{path} must be a number from {low:g} to {high:g}", path)
    return float(value)


def check_choice(value: Any, path: str, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise InvalidRequest(f"{path} must be one of {', '.join(allowed)}", path)
    return str(value)


def _brand(value: Any, path: str, brands: Collection[str] | None) -> str:
    check_name(value, path)
    if brands is not None and value not in brands:
        raise InvalidRequest(f"{path} {value!r} is not a configured brand", path)
    return str(value)


def safe_url(value: Any, path: str) -> str:
    """An https URL (plain http only for loopback hosts, so the local demo works)."""
    if not isinstance(value, str) or len(value) > MAX_FIELD_CHARS:
        raise InvalidRequest(f"{path} must be a URL of at most {MAX_FIELD_CHARS} characters", path)
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
    except ValueError as exc:
        raise InvalidRequest(f"{path} is not a valid URL", path) from exc
    if parts.scheme == "https" and host:
        return value
    if parts.scheme == "http" and _loopback(host):
        return value
    raise InvalidRequest(f"{path} must be an https:// URL", path)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _origin(value: Any, path: str) -> str:
    url = safe_url(value, path)
    parts = urlsplit(url)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise InvalidRequest(f"{path} must be an origin such as https://www.example.jp (no path)", path)
    return f"{parts.scheme}://{parts.netloc}".lower()


# --- sites ---------------------------------------------------------------------------------


def validate_site(doc: Any, *, path: str = "site") -> dict[str, Any]:
    site = check_object(doc, path, _SITE_KEYS)
    check_name(doc.get("site_id"), f"{path}.site_id")
    check_name(doc.get("brand"), f"{path}.brand")
    if "origins" in doc:
        if not isinstance(doc["origins"], list) or len(doc["origins"]) > 20:
            raise InvalidRequest(f"{path}.origins must be a list of at most 20 origins", f"{path}.origins")
        for n, origin in enumerate(doc["origins"]):
            _origin(origin, f"{path}.origins[{n}]")
    if "slots" in doc:
        _names(doc["slots"], f"{path}.slots")
    if not isinstance(doc.get("allow_raw_id", False), bool):
        raise InvalidRequest(f"{path}.allow_raw_id must be true or false", f"{path}.allow_raw_id")
    return site


def compile_site(doc: Mapping[str, Any]) -> Site:
    return Site(
        doc["site_id"],
        doc["brand"],
        bool(doc.get("allow_raw_id")),
        tuple(_origin(o, "origin") for o in doc.get("origins", ())),
    )


# --- group settings ------------------------------------------------------------------------


def _caps(value: Any, path: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or len(value) > MAX_CAPS:
        raise InvalidRequest(f"{path} must be a list of at most {MAX_CAPS} caps", path)
    seen = set()
    for n, cap in enumerate(value):
        at = f"{path}[{n}]"
        check_object(cap, at, {"metric", "period", "limit"})
        metric = check_choice(cap.get("metric", "served"), f"{at}.metric", METRICS)
        period = check_choice(cap.get("period"), f"{at}.period", PERIODS)
        check_int(cap.get("limit"), f"{at}.limit", 1, 10**12)
        if (metric, period) in seen:
            raise InvalidRequest(f"{at} repeats the {metric}/{period} cap", at)
        seen.add((metric, period))
    return value


def _guard(value: Any, path: str) -> dict[str, Any]:
    guard = check_object(value, path, {"rank_at_least", "ltv_at_least"})
    if not value:
        raise InvalidRequest(f"{path} needs rank_at_least or ltv_at_least", path)
    if "rank_at_least" in value and (
        not isinstance(value["rank_at_least"], str) or not value["rank_at_least"]
    ):
        raise InvalidRequest(f"{path}.rank_at_least must be a rank name", f"{path}.rank_at_least")
    if "ltv_at_least" in value:
        check_int(value["ltv_at_least"], f"{path}.ltv_at_least", 0, 10**12)
    return guard


def _ratio_allowance(value: Any, path: str) -> None:
    check_object(value, path, {"ratio", "allowance"})
    _number(value.get("ratio", 1), f"{path}.ratio", 0, 1000)
    check_int(value.get("allowance", 0), f"{path}.allowance", 0, 10**9)


def _reciprocity(value: Any, path: str, brands: Collection[str] | None) -> None:
    check_object(value, path, {"default", "pairs", "period", "timezone"})
    check_choice(value.get("period", "day"), f"{path}.period", PERIODS)
    parse_schedule({"timezone": value.get("timezone", DEFAULT_TZ)}, field=path)
    if value.get("default") is not None:
        _ratio_allowance(value["default"], f"{path}.default")
    pairs = value.get("pairs", {})
    if not isinstance(pairs, dict):
        raise InvalidRequest(f"{path}.pairs must be an object of 'from>to' pairs", f"{path}.pairs")
    for key, pair in pairs.items():
        at = f"{path}.pairs.{key}"
        source, arrow, destination = str(key).partition(">")
        if not arrow or source == destination:
            raise InvalidRequest(f"{at}: a pair is written 'from>to' with two different brands", at)
        _brand(source, at, brands)
        _brand(destination, at, brands)
        if pair is not None:  # null: this pair is not restricted even when a default is set
            _ratio_allowance(pair, at)


def validate_group(doc: Any, *, brands: Collection[str] | None = None, path: str = "group") -> dict[str, Any]:
    group = check_object(doc, path, _GROUP_KEYS)
    scales = doc.get("rank_scales", {})
    if not isinstance(scales, dict):
        raise InvalidRequest(f"{path}.rank_scales must be an object of rank lists", f"{path}.rank_scales")
    for key, ranks in scales.items():
        at = f"{path}.rank_scales.{key}"
        if key not in ("group", "brand"):
            _brand(key, at, brands)
        if (
            not isinstance(ranks, list)
            or not ranks
            or not all(isinstance(r, str) and r for r in ranks)
            or len(set(ranks)) != len(ranks)
        ):
            raise InvalidRequest(f"{at} must list distinct rank names, lowest first", at)
    if "reciprocity" in doc:
        _reciprocity(doc["reciprocity"], f"{path}.reciprocity", brands)
    destination_caps = doc.get("destination_caps", {})
    if not isinstance(destination_caps, dict):
        raise InvalidRequest(
            f"{path}.destination_caps must be an object per brand", f"{path}.destination_caps"
        )
    for brand, caps in destination_caps.items():
        _brand(brand, f"{path}.destination_caps.{brand}", brands)
        _caps(caps, f"{path}.destination_caps.{brand}")
    if "domains" in doc:
        _domains(doc["domains"], f"{path}.domains")
    if "settlement" in doc:  # prices between brands: the monthly settlement report
        from xsell.reporting import settlement

        settlement.validate(doc["settlement"], f"{path}.settlement", brands)
    if not isinstance(doc.get("two_person_approval", True), bool):
        at = f"{path}.two_person_approval"
        raise InvalidRequest(f"{at} must be true or false", at)
    guards = doc.get("guards", {})
    if not isinstance(guards, dict):
        raise InvalidRequest(f"{path}.guards must be an object per source brand", f"{path}.guards")
    for brand, guard in guards.items():
        _brand(brand, f"{path}.guards.{brand}", brands)
        _guard(guard, f"{path}.guards.{brand}")
    return group


def _domains(value: Any, path: str) -> list[str]:
    """Host names creatives may link to (besides the sites' own origins)."""
    if not isinstance(value, list) or len(value) > 50:
        raise InvalidRequest(f"{path} must be a list of at most 50 host names", path)
    for n, host in enumerate(value):
        if not isinstance(host, str) or not _HOST.fullmatch(host.lower()):
            raise InvalidRequest(f"{path}[{n}] must be a host name such as example.jp", f"{path}[{n}]")
    return value


def group_hosts(sites: Iterable[Site], domains: Iterable[str]) -> frozenset[str]:
    """Hosts creatives may point at: every site's origin host and the group's ``domains``."""
    hosts = {(urlsplit(origin).hostname or "").lower() for site in sites for origin in site.origins}
    hosts |= {str(d).lower() for d in domains}
    return frozenset(h for h in hosts if h)


def on_group_domain(url: str, hosts: Collection[str]) -> bool:
    """Whether ``url``'s host is one of ``hosts`` or a subdomain of one."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    return bool(host) and any(host == h or host.endswith("." + h) for h in hosts)


def _rank_at_least(scale: Sequence[str], threshold: str) -> Callable[[str | None], bool]:
    position = {rank: n for n, rank in enumerate(scale)}
    floor = position.get(threshold)
    if floor is None:
        return lambda rank: False
    return lambda rank: rank is not None and position.get(rank, -1) >= floor


def kept_home(guard: Mapping[str, Any] | None, rank_scales: Mapping[str, Sequence[str]]) -> Predicate:
    """Cannibalisation guard: true for customers the source brand must not send away.

    The source brand's own rank scale applies (``rank_scales[<brand>]``, else ``brand``).
    """
    if not guard:
        return lambda facts: False
    ltv_floor = guard.get("ltv_at_least")
    threshold = guard.get("rank_at_least")
    rank_ok = {
        key: _rank_at_least(scale, threshold)
        for key, scale in rank_scales.items()
        if threshold and key != "group"
    }
    default = rank_ok.get("brand")

    def predicate(facts: Facts) -> bool:
        usage = facts.brands.get(facts.source_brand)
        if usage is None:
            return False
        if ltv_floor is not None and usage.ltv is not None and usage.ltv >= ltv_floor:
            return True
        check = rank_ok.get(facts.source_brand, default)
        return check is not None and check(usage.rank)

    return predicate


# --- campaigns -----------------------------------------------------------------------------


def _creatives(value: Any, path: str) -> None:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_CREATIVES:
        raise InvalidRequest(f"{path} must list 1-{MAX_CREATIVES} creatives", path)
    ids = set()
    for n, creative in enumerate(value):
        at = f"{path}[{n}]"
        check_object(creative, at, {"creative_id", "template", "fields", "weight", "name"})
        creative_id = check_name(creative.get("creative_id"), f"{at}.creative_id")
        if creative_id in ids:
            raise InvalidRequest(f"{at}.creative_id {creative_id!r} is used twice", f"{at}.creative_id")
        ids.add(creative_id)
        template = check_choice(creative.get("template"), f"{at}.template", TEMPLATES)
        check_int(creative.get("weight", 1), f"{at}.weight", 0, 1000)
        fields = creative.get("fields")
        if not isinstance(fields, dict):
            raise InvalidRequest(f"{at}.fields must be an object of texts", f"{at}.fields")
        for key, text in fields.items():
            if not isinstance(text, str) or len(text) > MAX_FIELD_CHARS:
                raise InvalidRequest(
                    f"{at}.fields.{key} must be a text of at most {MAX_FIELD_CHARS} characters",
                    f"{at}.fields.{key}",
                )
            if key.endswith("_url"):
                safe_url(text, f"{at}.fields.{key}")
        if "link_url" not in fields:
            raise InvalidRequest(f"{at}.fields.link_url is required", f"{at}.fields.link_url")
        if template != "text_card" and "image_url" not in fields:
            raise InvalidRequest(
                f"{at}.fields.image_url is required for {template}", f"{at}.fields.image_url"
            )
    if not any(c.get("weight", 1) > 0 for c in value):
        raise InvalidRequest(f"{path} needs at least one creative with weight above 0", path)


def validate_campaign(
    doc: Any,
    *,
    sites: Mapping[str, Mapping[str, Any]] | None = None,
    brands: Collection[str] | None = None,
    rank_scales: Mapping[str, Sequence[str]] | None = None,
    path: str = "campaign",
) -> dict[str, Any]:
    """Check a campaign document; ``sites``/``brands`` (when given) must know what it names."""
    campaign = check_object(doc, path, _CAMPAIGN_KEYS)
    check_name(doc.get("campaign_id"), f"{path}.campaign_id")
    if "name" in doc and (not isinstance(doc["name"], str) or len(doc["name"]) > 200):
        raise InvalidRequest(f"{path}.name must be a text of at most 200 characters", f"{path}.name")
    check_choice(doc.get("status", "draft"), f"{path}.status", STATUSES)
    source_sites = _names(doc.get("source_sites"), f"{path}.source_sites", known=sites)
    _names(doc.get("slots"), f"{path}.slots")
    destination = _brand(doc.get("destination_brand"), f"{path}.destination_brand", brands)
    if sites is not None and all(sites[s].get("brand") == destination for s in source_sites):
        raise InvalidRequest(
            f"{path}.destination_brand {destination!r} is the brand of every source site",
            f"{path}.destination_brand",
        )
    check_int(doc.get("priority", 0), f"{path}.priority", 0, 1000)
    check_int(doc.get("weight", 1), f"{path}.weight", 1, 1000)
    parse_schedule(doc.get("schedule"), field=f"{path}.schedule")
    if doc.get("targeting") is not None:
        conditions.validate(doc["targeting"], brands=brands)
        if rank_scales is not None:  # rank names are checked against the group's scales
            conditions.compile_targeting(doc["targeting"], rank_scales=rank_scales)
    if not isinstance(doc.get("weight_by_affinity", False), bool):
        raise InvalidRequest(f"{path}.weight_by_affinity must be true or false", f"{path}.weight_by_affinity")
    if not isinstance(doc.get("only_new_to_destination", True), bool):
        raise InvalidRequest(
            f"{path}.only_new_to_destination must be true or false", f"{path}.only_new_to_destination"
        )
    _creatives(doc.get("creatives"), f"{path}.creatives")
    _number(doc.get("holdout_pct", 0), f"{path}.holdout_pct", 0, 50)
    _caps(doc.get("caps", []), f"{path}.caps")
    frequency = doc.get("frequency", [])
    if not isinstance(frequency, list) or len(frequency) > len(PERIODS):
        raise InvalidRequest(f"{path}.frequency must be a list of per-period limits", f"{path}.frequency")
    periods = set()
    for n, cap in enumerate(frequency):
        at = f"{path}.frequency[{n}]"
        check_object(cap, at, {"period", "limit"})
        period = check_choice(cap.get("period"), f"{at}.period", PERIODS)
        if period in periods:
            raise InvalidRequest(f"{at} repeats the {period} limit", at)
        periods.add(period)
        check_int(cap.get("limit"), f"{at}.limit", 1, 10**6)
    if doc.get("guard") is not None:
        _guard(doc["guard"], f"{path}.guard")
    return campaign


def _compiled_caps(scope: str, subject: str, caps: Iterable[Mapping[str, Any]]) -> tuple[Cap, ...]:
    return tuple(Cap(scope, subject, c.get("metric", "served"), c["period"], int(c["limit"])) for c in caps)


def _by_source(per_brand: Mapping[str, Predicate]) -> Predicate:
    if not per_brand:
        return lambda facts: False
    return lambda facts: per_brand[facts.source_brand](facts) if facts.source_brand in per_brand else False


def compile_campaign(
    doc: Mapping[str, Any],
    sites: Mapping[str, Site],
    *,
    rank_scales: Mapping[str, Sequence[str]],
    guards: Mapping[str, Mapping[str, Any]],
    hosts: Collection[str],
) -> Campaign:
    """The compiled campaign. A creative whose link leaves ``hosts`` (possible in a config
    published before the admin checked domains, or written around it) is still served, but
    never with a referral token: the token must not reach a third party."""
    home: Predicate
    if doc.get("guard") is not None:
        home = kept_home(doc["guard"], rank_scales)
    else:
        source_brands = {sites[s].brand for s in doc["source_sites"] if s in sites}
        per_brand = {b: kept_home(guards[b], rank_scales) for b in source_brands if guards.get(b)}
        home = _by_source(per_brand)
    return Campaign(
        campaign_id=doc["campaign_id"],
        destination_brand=doc["destination_brand"],
        source_sites=frozenset(doc["source_sites"]),
        slots=frozenset(doc["slots"]),
        creatives=tuple(
            Creative(
                c["creative_id"],
                c["template"],
                dict(c["fields"]),
                int(c.get("weight", 1)),
                _referable(doc["campaign_id"], c, hosts),
            )
            for c in doc["creatives"]
            if int(c.get("weight", 1)) > 0
        ),
        priority=int(doc.get("priority", 0)),
        weight=int(doc.get("weight", 1)),
        status=doc.get("status", "draft"),
        only_new_to_destination=bool(doc.get("only_new_to_destination", True)),
        weight_by_affinity=bool(doc.get("weight_by_affinity", False)),
        schedule=parse_schedule(doc.get("schedule")),
        targeting=conditions.compile_targeting(doc.get("targeting"), rank_scales=rank_scales),
        kept_home=home,
        holdout_pct=float(doc.get("holdout_pct", 0)),
        caps=_compiled_caps("campaign", doc["campaign_id"], doc.get("caps", ())),
        frequency=tuple(FrequencyCap(f["period"], int(f["limit"])) for f in doc.get("frequency", ())),
    )


def _referable(campaign_id: str, creative: Mapping[str, Any], hosts: Collection[str]) -> bool:
    if on_group_domain(creative["fields"]["link_url"], hosts):
        return True
    log.warning(
        "creative %r of campaign %r links outside the group's domains: served without a referral token",
        creative["creative_id"],
        campaign_id,
    )
    return False


def _reciprocity_pairs(
    doc: Mapping[str, Any] | None, brands: Collection[str]
) -> dict[tuple[str, str], Reciprocity]:
    """Restricted ordered pairs: every pair of configured brands when a default is set, plus
    the listed pairs (``null`` lifts a pair's restriction)."""
    if not doc:
        return {}
    period = doc.get("period", "day")
    timezone = doc.get("timezone", DEFAULT_TZ)

    def rule(value: Mapping[str, Any]) -> Reciprocity:
        return Reciprocity(float(value.get("ratio", 1)), int(value.get("allowance", 0)), period, timezone)

    pairs: dict[tuple[str, str], Reciprocity] = {}
    if doc.get("default") is not None:
        default = rule(doc["default"])
        pairs = {(a, b): default for a in brands for b in brands if a != b}
    for key, pair in (doc.get("pairs") or {}).items():
        source, _, destination = key.partition(">")
        if pair is None:
            pairs.pop((source, destination), None)
        else:
            pairs[(source, destination)] = rule(pair)
    return pairs


def compile_snapshot(
    version: int,
    sites: Iterable[Mapping[str, Any]],
    campaigns: Iterable[Mapping[str, Any]],
    group: Mapping[str, Any] | None = None,
    affinity: Mapping[str, Any] | None = None,
) -> Snapshot:
    """The immutable snapshot decide reads; invalid stored documents are logged and skipped."""
    compiled_sites: dict[str, Site] = {}
    for doc in sites:
        try:
            validate_site(doc)
        except InvalidRequest as exc:
            log.warning("site left out of the snapshot: %s (%s)", exc, exc.field)
            continue
        compiled_sites[doc["site_id"]] = compile_site(doc)
    brands = {s.brand for s in compiled_sites.values()}
    settings: Mapping[str, Any] = group or {}
    try:
        validate_group(settings, brands=None)
    except InvalidRequest as exc:
        log.warning("group settings ignored: %s (%s)", exc, exc.field)
        settings = {}
    rank_scales = settings.get("rank_scales", {})
    hosts = group_hosts(compiled_sites.values(), settings.get("domains", ()))
    compiled: dict[str, Campaign] = {}
    for doc in campaigns:
        try:
            validate_campaign(doc, brands=None)
            campaign = compile_campaign(
                doc, compiled_sites, rank_scales=rank_scales, guards=settings.get("guards", {}), hosts=hosts
            )
        except InvalidRequest as exc:
            log.warning(
                "campaign %r left out of the snapshot: %s (%s)", doc.get("campaign_id"), exc, exc.field
            )
            continue
        compiled[campaign.campaign_id] = campaign
    return Snapshot(
        version=version,
        sites=compiled_sites,
        campaigns=compiled,
        index=build_index(list(compiled.values())),
        reciprocity=_reciprocity_pairs(settings.get("reciprocity"), brands),
        destination_caps={
            brand: _compiled_caps("destination", brand, caps)
            for brand, caps in settings.get("destination_caps", {}).items()
        },
        affinity=compile_affinity(affinity),
    )


# The one brand affinity document of a config version (xsell.reporting.affinity publishes it).
AFFINITY_KIND, AFFINITY_ID = "affinity", "brands"


def compile_affinity(doc: Mapping[str, Any] | None) -> dict[tuple[str, str], float]:
    """(source brand, destination brand) -> lift, from the published affinity document
    (``{"pairs": [{"source_brand", "destination_brand", "lift"}]}``, xsell.reporting.affinity);
    pairs without a usable lift are left out (decide then weighs them as 1)."""
    pairs: dict[tuple[str, str], float] = {}
    for pair in (doc or {}).get("pairs") or ():
        if not isinstance(pair, Mapping):
            continue
        lift: Any  # a number when ``usable`` says so
        source, destination, lift = pair.get("source_brand"), pair.get("destination_brand"), pair.get("lift")
        usable = isinstance(lift, int | float | Decimal) and not isinstance(lift, bool) and lift >= 0
        if usable and isinstance(source, str) and isinstance(destination, str):
            pairs[(source, destination)] = float(lift)
    return pairs
