"""The kinds of config document a marketer edits, and what each must satisfy.

A draft is saved only when it validates on its own (every error names its field); whether
it fits the rest of the config (the sites a campaign names, the creatives it uses) is checked
again when a version is published, because the rest may change in between.

Creatives are a library: a campaign's draft lists ``{"creative_id", "weight"}`` references,
and publishing inlines each creative's template and fields into the campaign (the form decide
reads, see docs/campaigns.md). So a creative changed later reaches customers only when the
campaigns using it are published again, and a cross-brand campaign only after re-approval.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from xsell.decisioning import catalog
from xsell.errors import InvalidRequest
from xsell.importing import mappings
from xsell.importing.datasets import DATASETS
from xsell.vocabulary import PARTNER_ID_PATTERN

SITE, CREATIVE, CAMPAIGN, GROUP, PARTNER = "site", "creative", "campaign", "group", "partner"
KINDS = (SITE, CREATIVE, CAMPAIGN, GROUP, PARTNER)  # what marketers draft and publish
# Documents the system computes and publishes itself (xsell.admin.configs.publish_computed): never
# drafted, carried by every publish like the rest of the live version.
AFFINITY = catalog.AFFINITY_KIND  # brand affinity, xsell.reporting.affinity
COMPUTED_KINDS = (AFFINITY,)
PARTNER_ID = re.compile(PARTNER_ID_PATTERN)

# The one definition of each template's fields: required or not, and the most characters
# (code points) each may have. The texts' limits are what fits a slot's reserved box at phone
# width; image_text leaves its texts less room beside the image. The admin API holds a creative
# to them when it is saved and again when it is published. Decide itself accepts any field of
# up to catalog.MAX_FIELD_CHARS, so a config published before a limit was lowered keeps serving,
# and the tag contains whatever text it gets within the slot. The admin page's form counters
# (admin_spa/src/templates.js) state the same limits: tests/unit/test_template_limits.py.
URL_CHARS = catalog.MAX_FIELD_CHARS
TEMPLATE_LIMITS: dict[str, dict[str, tuple[bool, int]]] = {
    "image_banner": {"image_url": (True, URL_CHARS), "link_url": (True, URL_CHARS), "alt": (True, 100)},
    "text_card": {
        "title": (True, 40),
        "link_url": (True, URL_CHARS),
        "body": (False, 120),
        "cta": (False, 20),
    },
    "image_text": {
        "title": (True, 30),
        "image_url": (True, URL_CHARS),
        "link_url": (True, URL_CHARS),
        "body": (False, 80),
        "cta": (False, 16),
        "alt": (False, 100),
    },
}
_CREATIVE_KEYS = {"creative_id", "brand", "name", "template", "fields"}
_REFERENCE_KEYS = {"creative_id", "weight"}


@dataclass(frozen=True)
class Context:
    """What a document is checked against: the config as it would be published."""

    sites: Mapping[str, Mapping[str, Any]]
    creatives: Mapping[str, Mapping[str, Any]]
    group: Mapping[str, Any]
    # Where images uploaded from the admin page are served (xsell.admin.images): an image_url,
    # never a link, may point there too.
    image_hosts: frozenset[str] = frozenset()

    @property
    def brands(self) -> frozenset[str]:
        return frozenset(str(s["brand"]) for s in self.sites.values() if s.get("brand"))

    @property
    def domains(self) -> frozenset[str]:
        """Hosts links and images may point at: every site's origin host and ``group.domains``."""
        hosts = {
            (urlsplit(origin).hostname or "").lower()
            for site in self.sites.values()
            for origin in site.get("origins", ())
        }
        hosts |= {str(d).lower() for d in self.group.get("domains", ())}
        return frozenset(h for h in hosts if h)


def _on_group_domain(url: str, path: str, domains: Collection[str]) -> None:
    if not catalog.on_group_domain(url, domains):  # the rule decide applies to referral links
        raise InvalidRequest(
            f"{path} must point at one of the group's domains ({', '.join(sorted(domains)) or 'none set'})",
            path,
        )


# --- creatives --------------------------------------------------------------------------------


def validate_creative(doc: Any, context: Context | None = None, *, path: str = "creative") -> dict[str, Any]:
    """A library creative: its template's fields, text lengths, https links on the group's domains."""
    creative = catalog.check_object(doc, path, _CREATIVE_KEYS)
    catalog.check_name(doc.get("creative_id"), f"{path}.creative_id")
    brand = catalog.check_name(doc.get("brand"), f"{path}.brand")
    if context is not None and brand not in context.brands:
        raise InvalidRequest(f"{path}.brand {brand!r} is not a configured brand", f"{path}.brand")
    if "name" in doc and (not isinstance(doc["name"], str) or len(doc["name"]) > 200):
        raise InvalidRequest(f"{path}.name must be a text of at most 200 characters", f"{path}.name")
    template = catalog.check_choice(doc.get("template"), f"{path}.template", tuple(TEMPLATE_LIMITS))
    limits = TEMPLATE_LIMITS[template]
    fields = catalog.check_object(doc.get("fields"), f"{path}.fields", set(limits))
    for key in sorted(k for k, (required, _) in limits.items() if required):
        if not isinstance(fields.get(key), str) or not fields[key].strip():
            raise InvalidRequest(f"{path}.fields.{key} is required for {template}", f"{path}.fields.{key}")
    for key, text in fields.items():
        at, most = f"{path}.fields.{key}", limits[key][1]
        if not isinstance(text, str):
            raise InvalidRequest(f"{at} must be a text of at most {most} characters", at)
        if len(text) > most:
            raise InvalidRequest(
                f"{at} has {len(text)} characters: {template} allows at most {most} (what fits the slot)", at
            )
        if key.endswith("_url"):
            catalog.safe_url(text, at)
            if context is not None:
                hosts = context.domains | context.image_hosts if key == "image_url" else context.domains
                _on_group_domain(text, at, hosts)
    return creative


# --- campaigns --------------------------------------------------------------------------------


def _references(value: Any, path: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not 1 <= len(value) <= catalog.MAX_CREATIVES:
        raise InvalidRequest(f"{path} must list 1-{catalog.MAX_CREATIVES} creatives", path)
    seen = set()
    for n, ref in enumerate(value):
        at = f"{path}[{n}]"
        catalog.check_object(ref, at, _REFERENCE_KEYS)
        creative_id = catalog.check_name(ref.get("creative_id"), f"{at}.creative_id")
        if creative_id in seen:
            raise InvalidRequest(f"{at}.creative_id {creative_id!r} is used twice", f"{at}.creative_id")
        seen.add(creative_id)
        catalog.check_int(ref.get("weight", 1), f"{at}.weight", 0, 1000)
    if not any(ref.get("weight", 1) > 0 for ref in value):
        raise InvalidRequest(f"{path} needs at least one creative with weight above 0", path)
    return value


def materialize(doc: Mapping[str, Any], creatives: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The campaign as decide reads it: each creative reference replaced by the creative."""
    path = "campaign"
    refs = _references(doc.get("creatives"), f"{path}.creatives")
    inline = []
    for n, ref in enumerate(refs):
        creative = creatives.get(ref["creative_id"])
        if creative is None:
            at = f"{path}.creatives[{n}].creative_id"
            raise InvalidRequest(f"{at} {ref['creative_id']!r} is not in the creative library", at)
        inline.append(
            {
                "creative_id": ref["creative_id"],
                "template": creative["template"],
                "fields": dict(creative["fields"]),
                "weight": ref.get("weight", 1),
            }
        )
    return {**doc, "creatives": inline}


def validate_campaign(doc: Any, context: Context | None = None, *, path: str = "campaign") -> dict[str, Any]:
    """A campaign draft: its own fields always; its sites, brands and creatives given ``context``."""
    if not isinstance(doc, dict):
        raise InvalidRequest(f"{path} must be an object", path)
    _references(doc.get("creatives"), f"{path}.creatives")
    if context is None:
        placeholder = {"template": "text_card", "fields": {"title": "-", "link_url": "https://x.invalid"}}
        catalog.validate_campaign(materialize(doc, dict.fromkeys(_ids(doc), placeholder)), path=path)
        return doc
    inline = materialize(doc, context.creatives)
    catalog.validate_campaign(
        inline,
        sites=context.sites,
        brands=context.brands,
        rank_scales=context.group.get("rank_scales", {}),
        path=path,
    )
    touched = campaign_brands(doc, context.sites)
    for n, ref in enumerate(doc["creatives"]):
        owner = context.creatives[ref["creative_id"]].get("brand")
        if owner not in touched:
            at = f"{path}.creatives[{n}].creative_id"
            raise InvalidRequest(f"{at}: creative of brand {owner!r}, which this campaign does not touch", at)
    return doc


def _ids(doc: Mapping[str, Any]) -> list[str]:
    return [str(ref.get("creative_id")) for ref in doc.get("creatives", ())]


def campaign_brands(doc: Mapping[str, Any], sites: Mapping[str, Mapping[str, Any]]) -> frozenset[str]:
    """Brands a campaign touches: its destination and the brand of every source site."""
    brands = {str(doc.get("destination_brand"))}
    brands |= {str(sites[s]["brand"]) for s in doc.get("source_sites", ()) if s in sites}
    return frozenset(brands)


# --- the rest ---------------------------------------------------------------------------------


def validate_group(doc: Any, context: Context | None = None, *, path: str = "group") -> dict[str, Any]:
    return catalog.validate_group(doc, brands=context.brands if context is not None else None, path=path)


def validate_site(doc: Any, context: Context | None = None, *, path: str = "site") -> dict[str, Any]:
    return catalog.validate_site(doc, path=path)


def validate_partner(doc: Any, context: Context | None = None, *, path: str = "partner") -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise InvalidRequest(f"{path} must be an object", path)
    try:
        settings = mappings.from_document("partner", doc, set(DATASETS))
    except Exception as exc:  # InvalidSettings says what is wrong in words
        raise InvalidRequest(f"{path}: {exc}", path) from exc
    if context is not None and settings.brands is not None:
        unknown = sorted(settings.brands - context.brands)
        if unknown:
            raise InvalidRequest(f"{path}.brands {unknown[0]!r} is not a configured brand", f"{path}.brands")
    return doc


@dataclass(frozen=True)
class Kind:
    name: str
    id_field: str | None  # the field of the document that must equal its id (None: none)
    validate: Callable[..., dict[str, Any]]
    id_pattern: re.Pattern[str] = catalog.NAME


KIND_SPECS: dict[str, Kind] = {
    SITE: Kind(SITE, "site_id", validate_site),
    CREATIVE: Kind(CREATIVE, "creative_id", validate_creative),
    CAMPAIGN: Kind(CAMPAIGN, "campaign_id", validate_campaign),
    GROUP: Kind(GROUP, None, validate_group, re.compile(f"^{catalog.GROUP_ID}$")),
    PARTNER: Kind(PARTNER, None, validate_partner, PARTNER_ID),
}


def spec(kind: str) -> Kind:
    found = KIND_SPECS.get(kind)
    if found is None:
        raise InvalidRequest(f"kind must be one of {', '.join(KINDS)}", "kind")
    return found


def check_id(kind: str, doc_id: str) -> None:
    if not spec(kind).id_pattern.fullmatch(doc_id):
        raise InvalidRequest(f"{kind} id {doc_id!r} is not valid", "id")


def brands_of(
    kind: str, doc: Mapping[str, Any], sites: Mapping[str, Mapping[str, Any]]
) -> frozenset[str] | None:
    """The brands a document belongs to; None for group-wide documents (group admins only)."""
    if kind in (SITE, CREATIVE):
        return frozenset({str(doc.get("brand"))})
    if kind == CAMPAIGN:
        return campaign_brands(doc, sites)
    if kind == PARTNER and doc.get("brands"):
        return frozenset(str(b) for b in doc["brands"])
    return None


def fingerprint(doc: Mapping[str, Any] | None) -> str:
    """A stable digest of a document: an approval holds for exactly the content it saw."""
    text = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]
