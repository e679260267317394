"""Per-partner settings: how one partner's files are read.

Stored as one JSON document per partner (``xsell.dal.partners``)::

    {
      "encoding": "cp932",                      # auto (default) | utf-8 | cp932 / shift_jis
      "datasets": {
        "profiles": {
          "columns": {"会員番号": "customer_id", "ランク": "group_rank", "備考": null},
          "keep_unknown_columns": true           # profiles only: other columns become attributes
        }
      },
      "brands": ["hana"],                        # brands this partner may report for
      "brand_aliases": {"花コスメ": "hana"},     # the partner's names for brands
      "allowed_datasets": ["profiles", "optouts"]  # what it may import (default: the unprivileged)
    }

Only a registered partner (one with a published settings document) imports, and only the
datasets it is allowed: by default every dataset but the privileged ones (:data:`PRIVILEGED`),
which a group admin grants by listing them in ``allowed_datasets``. The importer applies this to
every file, however it reached the bucket (:func:`permit`).

A column mapped to ``null`` is ignored even when its name is a default alias.
The defaults (field names and the aliases in :mod:`xsell.importing.datasets`)
apply to every partner; settings only add to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from xsell.importing import encodings
from xsell.importing.errors import DatasetNotAllowed, InvalidSettings, UnknownPartner

KNOWN_KEYS = frozenset({"encoding", "datasets", "brands", "brand_aliases", "allowed_datasets"})
# Datasets that delete data (erasure) or stop referrals (optouts): only a partner whose settings
# list them may import them.
PRIVILEGED = frozenset({"erasure", "optouts"})
DATASET_KEYS = frozenset({"columns", "keep_unknown_columns"})


@dataclass(frozen=True)
class DatasetSettings:
    columns: Mapping[str, str | None] = field(default_factory=dict)  # header -> field (None: ignore)
    keep_unknown_columns: bool = False


@dataclass(frozen=True)
class PartnerSettings:
    partner: str
    encoding: str = encodings.AUTO
    datasets: Mapping[str, DatasetSettings] = field(default_factory=dict)
    brands: frozenset[str] | None = None  # None: any brand the group has configured
    brand_aliases: Mapping[str, str] = field(default_factory=dict)
    allowed_datasets: frozenset[str] | None = None  # None: every dataset but the privileged ones

    def allows(self, dataset: str) -> bool:
        """Whether this partner may import files of ``dataset``."""
        if self.allowed_datasets is None:
            return dataset not in PRIVILEGED
        return dataset in self.allowed_datasets

    def for_dataset(self, dataset: str) -> DatasetSettings:
        return self.datasets.get(dataset, DatasetSettings())

    def to_document(self) -> dict[str, Any]:
        """The JSON form (stored on the job, so every chunk reads the file the same way)."""
        return {
            "encoding": self.encoding,
            "datasets": {
                name: {"columns": dict(d.columns), "keep_unknown_columns": d.keep_unknown_columns}
                for name, d in self.datasets.items()
            },
            "brands": sorted(self.brands) if self.brands is not None else None,
            "brand_aliases": dict(self.brand_aliases),
            "allowed_datasets": sorted(self.allowed_datasets) if self.allowed_datasets is not None else None,
        }


def _fail(partner: str, problem: str) -> InvalidSettings:
    return InvalidSettings(f"the settings of partner {partner!r} are invalid: {problem}")


def _string_map(partner: str, where: str, value: Any, allow_null: bool) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(partner, f"{where} must be an object")
    out: dict[str, Any] = {}
    for key, target in value.items():
        if not isinstance(key, str) or not key.strip():
            raise _fail(partner, f"{where} has an empty name")
        if target is None and allow_null:
            out[key] = None
        elif isinstance(target, str) and target.strip():
            out[key] = target.strip()
        else:
            raise _fail(partner, f"{where}[{key!r}] must be a name{' or null' if allow_null else ''}")
    return out


def from_document(
    partner: str, document: Mapping[str, Any] | None, dataset_names: set[str]
) -> PartnerSettings:
    """Validate a stored settings document; None means defaults."""
    if document is None:
        return PartnerSettings(partner)
    if not isinstance(document, Mapping):
        raise _fail(partner, "the document must be an object")
    unknown = set(document) - KNOWN_KEYS
    if unknown:
        raise _fail(partner, f"unknown setting(s) {', '.join(sorted(unknown))}")
    try:
        encoding = encodings.canonical(str(document.get("encoding") or encodings.AUTO))
    except encodings.UnknownEncoding as exc:
        raise _fail(partner, str(exc)) from exc
    datasets: dict[str, DatasetSettings] = {}
    raw_datasets = document.get("datasets") or {}
    if not isinstance(raw_datasets, Mapping):
        raise _fail(partner, "datasets must be an object")
    for name, raw in raw_datasets.items():
        if name not in dataset_names:
            raise _fail(partner, f"unknown dataset {name!r}")
        if not isinstance(raw, Mapping) or set(raw) - DATASET_KEYS:
            raise _fail(partner, f"datasets.{name} may only have {', '.join(sorted(DATASET_KEYS))}")
        keep = raw.get("keep_unknown_columns", False)
        if not isinstance(keep, bool):
            raise _fail(partner, f"datasets.{name}.keep_unknown_columns must be true or false")
        columns = _string_map(partner, f"datasets.{name}.columns", raw.get("columns") or {}, allow_null=True)
        datasets[name] = DatasetSettings(columns, keep)
    brands = document.get("brands")
    if brands is not None and (
        not isinstance(brands, list) or not all(isinstance(b, str) and b.strip() for b in brands)
    ):
        raise _fail(partner, "brands must be a list of brand ids")
    aliases = _string_map(partner, "brand_aliases", document.get("brand_aliases") or {}, allow_null=False)
    allowed = document.get("allowed_datasets")
    if allowed is not None:
        if not isinstance(allowed, list) or not all(isinstance(d, str) for d in allowed):
            raise _fail(partner, "allowed_datasets must be a list of dataset names")
        unknown_datasets = sorted(set(allowed) - dataset_names)
        if unknown_datasets:
            raise _fail(partner, f"allowed_datasets names unknown dataset(s) {', '.join(unknown_datasets)}")
    return PartnerSettings(
        partner,
        encoding,
        datasets,
        frozenset(b.strip() for b in brands) if brands is not None else None,
        aliases,
        frozenset(allowed) if allowed is not None else None,
    )


def permit(partner: str, dataset: str, document: Mapping[str, Any] | None, dataset_names: set[str]) -> None:
    """Refuse a file of ``dataset`` from ``partner``, whose published settings are ``document``
    (None: it has none), unless the partner is registered and allowed that dataset."""
    if document is None:
        raise UnknownPartner(
            f"partner {partner!r} is not registered: a group admin publishes its partner settings first"
        )
    settings = from_document(partner, document, dataset_names)
    if not settings.allows(dataset):
        allowed = sorted(d for d in dataset_names if settings.allows(d))
        raise DatasetNotAllowed(
            f"partner {partner!r} may not import {dataset} files"
            + (
                " (a privileged dataset: its settings must list it in allowed_datasets)"
                if dataset in PRIVILEGED
                else ""
            )
            + f"; it may import: {', '.join(allowed) or 'nothing'}"
        )
