"""Calling the admin API over HTTP through the local gateway, signed in with an ID token."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable
from typing import Any


def call(
    system: Any, token: str, method: str, path: str, body: Any = None, timeout: float = 30
) -> tuple[int, bytes]:
    """``(status, raw body)`` of ``method /admin/v1<path>``; HTTP errors are answers too."""
    request = urllib.request.Request(
        f"{system.gateway.url}/admin/v1{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def sign_in_users(system: Any, prefix: str, users: Iterable[tuple[str, str, str | None]]) -> dict[str, str]:
    """ID tokens of new users of the local pool, by name: ``(name, role, brand)`` each, with a
    unique e-mail under ``prefix`` so that tests never share a user."""
    from demo.users import PASSWORD

    pool, tag = system.user_pool, uuid.uuid4().hex[:6]
    tokens = {}
    for name, role, brand in users:
        email = f"{prefix}-{name}-{tag}@xsell.example"
        pool.create_user(email, PASSWORD, role, brand)
        tokens[name] = pool.sign_in(email, PASSWORD)["id_token"]
    return tokens
