"""Errors of the service itself (bad forms, too many tries, expired flows), under `EidError`.

Each carries the HTTP status its page is served with; its ``code`` picks the
page's text and what to do (``error_<code>`` and ``error_<code>_action``).
"""

from __future__ import annotations

from eid.errors import EidError

__all__ = [
    "CsrfFailed",
    "FlowExpired",
    "InvalidRequest",
    "NoClientCertificate",
    "OAuthError",
    "PageNotFound",
    "RateLimited",
    "RequestReplayed",
    "WebError",
]


class WebError(EidError):
    """A request the service refuses, with the HTTP status of its error page."""

    code = "invalid_request"
    status = 400


class CsrfFailed(WebError):
    """A form came without this session's CSRF token (expired, or sent from another site)."""

    code = "csrf"
    status = 403


class RateLimited(WebError):
    """Too many PIN or login attempts from this session or address in the window."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def details(self) -> dict[str, object]:
        """How many seconds to wait."""
        return {"retry_after": self.retry_after}


class InvalidRequest(WebError):
    """A portal's request is malformed or asks for what it may not have."""

    code = "invalid_request"


class OAuthError(WebError):
    """An OAuth 2.0 / OIDC error answered to a portal as JSON (``error``, ``error_description``)."""

    code = "oauth_error"

    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.status = status

    def details(self) -> dict[str, object]:
        """The OAuth error code."""
        return {"error": self.error}


class RequestReplayed(WebError):
    """A portal's request (a SAML AuthnRequest ID) came a second time."""

    code = "request_replayed"


class FlowExpired(WebError):
    """The login flow the request belongs to is unknown, finished or expired."""

    code = "flow_expired"


class NoClientCertificate(WebError):
    """A TLS client certificate login without a certificate from a trusted proxy."""

    code = "no_certificate"


class PageNotFound(WebError):
    """No page at this address."""

    code = "not_found"
    status = 404
