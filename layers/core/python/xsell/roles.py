"""Admin roles: the user pool's group names, shared by CDK, the local pool and the admin function.

API Gateway's Cognito authorizer hands every claim over as a string; ``cognito:groups`` may
arrive as ``"group-admin"``, ``"[group-admin, viewer]"``, ``'["group-admin","viewer"]'`` or
``"group-admin,viewer"``. :func:`parse_groups` reads all of them.
"""

from __future__ import annotations

import json

GROUP_ADMIN = "group-admin"
BRAND_MARKETER = "brand-marketer"
VIEWER = "viewer"
# Group name -> (precedence, description); a lower precedence wins when a user is in several.
ROLE_GROUPS: dict[str, tuple[int, str]] = {
    GROUP_ADMIN: (0, "Everything, across all brands"),
    BRAND_MARKETER: (10, "Campaigns whose source or destination is the user's custom:brand"),
    VIEWER: (20, "Read-only access to reports and configuration"),
}
BRAND_ATTRIBUTE = "brand"
BRAND_CLAIM = f"custom:{BRAND_ATTRIBUTE}"
# What the SPA's app client may read and write (CDK and the local pool build it from these).
# The brand is only ever set by a group admin: a marketer who could write custom:brand could
# widen their own access to another brand's campaigns.
SPA_READ_ATTRIBUTES = ("email", "email_verified", BRAND_CLAIM)
SPA_WRITE_ATTRIBUTES = ("email",)


def parse_groups(value: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """The group names in a ``cognito:groups`` claim, however it was serialised.

    API Gateway's REST authorizer joins a list with commas, its HTTP API JWT authorizer writes
    ``[a b]``, a token decoded by hand gives a real list. Group names never contain whitespace
    (Cognito refuses it), so commas, spaces and brackets can all separate them.
    """
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        items = [str(v) for v in value]
    else:
        text = value.strip()
        items = _bracketed(text) if text.startswith("[") and text.endswith("]") else _split(text)
    return tuple(dict.fromkeys(item.strip() for item in items if item.strip()))


def _bracketed(text: str) -> list[str]:
    try:
        parsed = json.loads(text)
    except ValueError:
        return _split(text[1:-1])
    return [str(v) for v in parsed] if isinstance(parsed, list) else _split(text[1:-1])


def _split(text: str) -> list[str]:
    return text.replace(",", " ").split()
