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


class SignatureInvalid(XsellError):
    """A server-to-server request not signed with the named site's secret."""


class SignatureExpired(XsellError):
    """A server-to-server request whose signed timestamp is too far from the server's clock."""


class OriginRejected(XsellError):
    """A browser origin the site's allow-list does not name."""


class NotAllowed(XsellError):
    """The signed-in user's role or brand does not allow this; nothing was changed."""


class NotFound(XsellError):
    """The named document, job or version does not exist (or is not visible to the user)."""


class Conflict(XsellError):
    """A write lost a race or breaks a rule of state; ``current`` is what is stored now."""

    def __init__(self, message: str, current: object = None, code: str = "conflict") -> None:
        super().__init__(message)
        self.current = current
        self.code = code


class NotSignedIn(XsellError):
    """The request carries no verified identity (the gateway's authorizer let nothing through)."""
