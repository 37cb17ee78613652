"""SAML 2.0 names shared by issuance, import and metadata: namespaces, formats, times, indexes.

Also a service provider's single logout endpoints (`LogoutEndpoint`) and the one logout
messages go to (`logout_endpoint`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from eid.errors import AssertionMalformed, UsageError

__all__ = [
    "BEARER",
    "LOGOUT_BINDINGS",
    "MD_NS",
    "NAMEID_FORMATS",
    "NAMEID_PERSISTENT",
    "NAMEID_TRANSIENT",
    "NAMEID_UNSPECIFIED",
    "POST_BINDING",
    "REDIRECT_BINDING",
    "SAMLP_NS",
    "SAML_NS",
    "STATUS_SUCCESS",
    "LogoutEndpoint",
    "logout_endpoint",
    "parse_index",
    "parse_instant",
    "saml_instant",
]

SAMLP_NS = "urn:oasis:names:tc:SAML:2.0:protocol"
"""The SAML 2.0 protocol namespace (Response, Status)."""
SAML_NS = "urn:oasis:names:tc:SAML:2.0:assertion"
"""The SAML 2.0 assertion namespace."""
MD_NS = "urn:oasis:names:tc:SAML:2.0:metadata"
"""The SAML 2.0 metadata namespace."""
STATUS_SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
"""The top-level status code of a successful response."""
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
"""The bearer subject confirmation method (Web browser SSO)."""
POST_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
"""The HTTP-POST binding."""
REDIRECT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
"""The HTTP-Redirect binding."""
NAMEID_PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
"""A pairwise, stable subject identifier."""
NAMEID_TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
"""A one-time subject identifier."""
NAMEID_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
"""The format of the national number as a subject (for portals registered for it)."""
_INDEX = re.compile(r"\+?0*([0-9]{1,5})")
NAMEID_FORMATS = {
    "pairwise": NAMEID_PERSISTENT,
    "transient": NAMEID_TRANSIENT,
    "national_number": NAMEID_UNSPECIFIED,
}
"""The NameID format of each subject kind (`eid.sso.subjects.SubjectKind`)."""
LOGOUT_BINDINGS = (REDIRECT_BINDING, POST_BINDING)
"""The bindings logout messages are sent by, the preferred first."""


@dataclass(frozen=True)
class LogoutEndpoint:
    """A service provider's SingleLogoutService (SAML metadata 2.2.2).

    Logout messages go to it by ``binding`` (one of `LOGOUT_BINDINGS`): LogoutRequests to
    ``location``, LogoutResponses to ``response_location`` when it has one.
    """

    binding: str
    location: str
    response_location: str | None = None

    def __post_init__(self) -> None:
        if self.binding not in LOGOUT_BINDINGS:
            raise UsageError(f"logout messages are not sent by the binding {self.binding!r}")
        if not self.location or self.response_location == "":
            raise UsageError("a single logout endpoint needs a URL")

    @property
    def response_url(self) -> str:
        """Where a LogoutResponse goes: ``response_location``, else ``location``."""
        return self.response_location or self.location


def logout_endpoint(endpoints: Iterable[LogoutEndpoint]) -> LogoutEndpoint | None:
    """The endpoint logout messages go to: the first by Redirect, else the first by POST.

    None without either.
    """
    listed = list(endpoints)
    return next((e for binding in LOGOUT_BINDINGS for e in listed if e.binding == binding), None)


def saml_instant(moment: dt.datetime) -> str:
    """``moment`` as a SAML ``xs:dateTime`` in UTC with a ``Z`` (whole seconds)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_instant(text: str | None, field: str) -> dt.datetime:
    """A SAML ``xs:dateTime`` with a time zone; `AssertionMalformed` otherwise."""
    try:
        moment = dt.datetime.fromisoformat(text or "")
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise AssertionMalformed("not a time with a time zone", source="SAML", field=field)
    return moment


def parse_index(text: str | None) -> int | None:
    """An endpoint index (``xs:unsignedShort``: 0 to 65535), None if ``text`` is not one.

    Its lexical form: ASCII digits, an optional ``+`` and leading zeros, surrounding
    whitespace (collapsed away, as XML Schema does).
    """
    found = _INDEX.fullmatch((text or "").strip(" \t\r\n"))
    if found is None or int(found.group(1)) > 0xFFFF:
        return None
    return int(found.group(1))
