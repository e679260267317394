"""Which partner may import which dataset: registered partners only, privileged datasets only when listed."""

from __future__ import annotations

from typing import Any

import pytest

from xsell.importing import mappings
from xsell.importing.datasets import DATASETS
from xsell.importing.errors import DatasetNotAllowed, InvalidSettings, UnknownPartner

NAMES = set(DATASETS)


def test_an_unregistered_partner_may_import_nothing() -> None:
    with pytest.raises(UnknownPartner, match="partner 'acme' is not registered") as refused:
        mappings.permit("acme", "profiles", None, NAMES)
    assert refused.value.code == "unknown_partner"


@pytest.mark.parametrize("dataset", ["profiles", "brand_usage"])
def test_by_default_a_partner_may_import_the_unprivileged_datasets(dataset: str) -> None:
    mappings.permit("acme", dataset, {}, NAMES)


@pytest.mark.parametrize("dataset", sorted(mappings.PRIVILEGED))
def test_privileged_datasets_need_to_be_listed(dataset: str) -> None:
    with pytest.raises(DatasetNotAllowed, match="a privileged dataset") as refused:
        mappings.permit("acme", dataset, {"brands": ["hana"]}, NAMES)
    assert refused.value.code == "dataset_not_allowed"
    mappings.permit("acme", dataset, {"allowed_datasets": [dataset]}, NAMES)


def test_a_listed_set_is_all_the_partner_may_import() -> None:
    settings = {"allowed_datasets": ["optouts"]}
    mappings.permit("acme", "optouts", settings, NAMES)
    with pytest.raises(DatasetNotAllowed, match="may not import profiles files; it may import: optouts"):
        mappings.permit("acme", "profiles", settings, NAMES)
    with pytest.raises(DatasetNotAllowed, match="it may import: nothing"):
        mappings.permit("acme", "profiles", {"allowed_datasets": []}, NAMES)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("profiles", "allowed_datasets must be a list of dataset names"),
        ([1], "allowed_datasets must be a list of dataset names"),
        (["orders", "profiles"], r"allowed_datasets names unknown dataset\(s\) orders"),
    ],
)
def test_bad_allowed_datasets_are_invalid_settings(value: Any, message: str) -> None:
    with pytest.raises(InvalidSettings, match=message):
        mappings.permit("acme", "profiles", {"allowed_datasets": value}, NAMES)


def test_the_setting_survives_the_jobs_copy_of_the_settings() -> None:
    settings = mappings.from_document("acme", {"allowed_datasets": ["profiles", "erasure"]}, NAMES)
    again = mappings.from_document("acme", settings.to_document(), NAMES)
    assert again.allowed_datasets == frozenset({"profiles", "erasure"})
    assert mappings.from_document("acme", mappings.PartnerSettings("acme").to_document(), NAMES).allows(
        "profiles"
    )
