"""The demo's admin logins: one group admin, one brand marketer per demo brand, one viewer.

All share one password, printed by ``make demo``: these accounts exist only in the local
emulator, which is gone when the demo stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from demo.brands import BRANDS
from xsell import roles

PASSWORD = "Demo-pass-2026!"  # noqa: S105 - local demo only; meets the pool's password policy
DOMAIN = "xsell.example"


class UserPool(Protocol):
    def create_user(self, email: str, password: str, role: str, brand: str | None = None) -> str: ...


@dataclass(frozen=True)
class DemoUser:
    email: str
    role: str
    brand: str | None = None


def demo_users() -> tuple[DemoUser, ...]:
    return (
        DemoUser(f"admin@{DOMAIN}", roles.GROUP_ADMIN),
        *(DemoUser(f"{b.brand_id}@{DOMAIN}", roles.BRAND_MARKETER, b.brand_id) for b in BRANDS),
        DemoUser(f"viewer@{DOMAIN}", roles.VIEWER),
    )


def create_demo_users(pool: UserPool) -> tuple[DemoUser, ...]:
    """Create (or reset) every demo user in ``pool``, e.g. a :class:`local.cognito.LocalUserPool`."""
    users = demo_users()
    for user in users:
        pool.create_user(user.email, PASSWORD, user.role, user.brand)
    return users
