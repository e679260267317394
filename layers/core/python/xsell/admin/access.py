"""Who is asking, and what their role lets them do. Every rule lives here, never in the page.

- group admin: everything.
- brand marketer: reads and writes what touches their brand (a campaign whose source or
  destination is their brand, their brand's sites and creatives, partners reporting for it).
- viewer: reads everything, writes nothing.

A user in no known group, or a brand marketer without a brand, may do nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from xsell import roles
from xsell.errors import NotAllowed, NotSignedIn


@dataclass(frozen=True)
class Principal:
    user: str  # the user pool's username (stable; the e-mail may change)
    email: str
    role: str | None  # the most powerful of the user's groups
    brand: str | None
    source_ip: str | None = None
    user_agent: str | None = None

    @classmethod
    def from_claims(
        cls, claims: Mapping[str, str] | None, source_ip: str | None = None, user_agent: str | None = None
    ) -> Principal:
        if not claims or not (claims.get("cognito:username") or claims.get("sub")):
            raise NotSignedIn("sign in first")
        groups = roles.parse_groups(claims.get("cognito:groups"))
        role = next((r for r in roles.ROLE_GROUPS if r in groups), None)  # ordered by precedence
        return cls(
            user=claims.get("cognito:username") or claims["sub"],
            email=claims.get("email", ""),
            role=role,
            brand=claims.get(roles.BRAND_CLAIM) or None,
            source_ip=source_ip,
            user_agent=user_agent,
        )

    @property
    def is_admin(self) -> bool:
        return self.role == roles.GROUP_ADMIN

    @property
    def can_write(self) -> bool:
        return self.is_admin or (self.role == roles.BRAND_MARKETER and self.brand is not None)

    def _known(self) -> None:
        if self.role is None or (self.role == roles.BRAND_MARKETER and not self.brand):
            raise NotAllowed("your account has no role (or no brand) in xsell; ask a group admin")

    def covers(self, brands: Collection[str] | None) -> bool:
        """True when the user may see something belonging to ``brands`` (None: group-wide)."""
        if self.role in (roles.GROUP_ADMIN, roles.VIEWER):
            return True
        if self.role == roles.BRAND_MARKETER and self.brand:
            return brands is None or self.brand in brands
        return False

    def require_read(self, brands: Collection[str] | None = None, what: str = "this") -> None:
        self._known()
        if self.role == roles.BRAND_MARKETER and brands is not None and self.brand not in brands:
            raise NotAllowed(f"{what} does not involve your brand {self.brand!r}")

    def require_write(self, brands: Collection[str] | None, what: str = "this") -> None:
        """Writes need a writing role; group-wide things (``brands`` None) need a group admin."""
        self._known()
        if not self.can_write:
            raise NotAllowed("your role can only read")
        if self.is_admin:
            return
        if brands is None:
            raise NotAllowed(f"only a group admin can change {what}")
        if self.brand not in brands:
            raise NotAllowed(f"{what} does not involve your brand {self.brand!r}")

    def require_admin(self, what: str = "this") -> None:
        self._known()
        if not self.is_admin:
            raise NotAllowed(f"only a group admin can {what}")


def principal_of(event: Mapping[str, object]) -> Principal:
    """The signed-in user of an API Gateway proxy event, from the claims its authorizer verified."""
    context = event.get("requestContext") or {}
    assert isinstance(context, Mapping)
    authorizer = context.get("authorizer") or {}
    claims = authorizer.get("claims") if isinstance(authorizer, Mapping) else None
    identity = context.get("identity") or {}
    assert isinstance(identity, Mapping)
    return Principal.from_claims(
        claims if isinstance(claims, Mapping) else None,
        source_ip=str(identity.get("sourceIp") or "") or None,
        user_agent=str(identity.get("userAgent") or "") or None,
    )
