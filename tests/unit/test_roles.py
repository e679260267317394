"""Role names and the cognito:groups claim, in every form API Gateway and tokens carry it."""

from __future__ import annotations

import pytest

from xsell import roles


@pytest.mark.parametrize(
    ("value", "groups"),
    [
        (None, ()),
        ("", ()),
        ("   ", ()),
        ("[]", ()),
        ("group-admin", ("group-admin",)),
        (" viewer ", ("viewer",)),
        ("group-admin,viewer", ("group-admin", "viewer")),  # REST API Cognito authorizer
        ("group-admin, viewer", ("group-admin", "viewer")),
        ("group-admin viewer", ("group-admin", "viewer")),
        ("[group-admin viewer]", ("group-admin", "viewer")),  # HTTP API JWT authorizer
        ("[group-admin, viewer]", ("group-admin", "viewer")),
        ('["group-admin","viewer"]', ("group-admin", "viewer")),  # JSON text
        ('["group-admin", "viewer"]', ("group-admin", "viewer")),
        ("[brand-marketer]", ("brand-marketer",)),
        (["brand-marketer", "viewer"], ("brand-marketer", "viewer")),  # a decoded token's list
        (("viewer",), ("viewer",)),
        (["viewer", " ", ""], ("viewer",)),
        ("viewer,viewer", ("viewer",)),  # once each, first order kept
    ],
)
def test_parse_groups(value, groups) -> None:
    assert roles.parse_groups(value) == groups


def test_role_groups_are_ordered_by_precedence() -> None:
    assert list(roles.ROLE_GROUPS) == [roles.GROUP_ADMIN, roles.BRAND_MARKETER, roles.VIEWER]
    precedences = [precedence for precedence, _ in roles.ROLE_GROUPS.values()]
    assert precedences == sorted(precedences)


def test_the_brand_is_readable_but_not_writable_by_the_spa() -> None:
    assert roles.BRAND_CLAIM == "custom:brand"
    assert roles.BRAND_CLAIM in roles.SPA_READ_ATTRIBUTES
    assert roles.BRAND_CLAIM not in roles.SPA_WRITE_ATTRIBUTES
