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


def parse_groups(value: str | list[str] | None) -> tuple[str, ...]:
    """The group names in a ``cognito:groups`` claim, however it was serialised."""
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(str(v).strip() for v in value if str(v).strip())
    text = value.strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = text[1:-1].split(",") if text.endswith("]") else [text]
        if isinstance(parsed, list):
            return tuple(str(v).strip() for v in parsed if str(v).strip())
    return tuple(part for part in text.replace(",", " ").split() if part)
