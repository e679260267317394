"""Domain exceptions. Handlers map them to HTTP in one place; nothing matches on messages."""

from __future__ import annotations


class XsellError(Exception):
    """Base of every domain error."""


class InvalidRequest(XsellError):
    """A caller sent something malformed. ``field`` names the offending part."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class BodyTooLarge(InvalidRequest):
    """A request body above what the endpoint accepts."""


class UnknownSite(XsellError):
    """The request names a site that the config does not know."""


class IdentityRejected(XsellError):
    """The customer identity is missing, malformed or not allowed for this site."""


class OriginRejected(XsellError):
    """A browser origin the site's allow-list does not name."""
