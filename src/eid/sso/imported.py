"""What a portal holds after importing an ID token or a SAML response."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

from eid.sso.attributes import AttributeValue
from eid.sso.levels import Level
from eid.sso.mandates import Mandate

__all__ = ["Imported"]


class Imported(NamedTuple):
    """An imported statement whose every check passed.

    ``attributes`` are the identity attributes under the names they arrived with (OIDC
    claims or SAML attribute names); ``level`` is the eIDAS level named by ``level_uri``
    (``acr`` or ``AuthnContextClassRef``), None when it names none; ``identifier`` is the
    ``jti`` or assertion ID that the replay store recorded.
    """

    subject: str
    issuer: str
    audience: tuple[str, ...]
    expires_at: dt.datetime
    level: Level | None = None
    level_uri: str | None = None
    authenticated_at: dt.datetime | None = None
    methods: tuple[str, ...] = ()
    attributes: Mapping[str, AttributeValue] = MappingProxyType({})
    mandate: Mandate | None = None
    session_index: str | None = None
    identifier: str | None = None
    format: str = "oidc"

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (times ISO 8601)."""
        return {
            "format": self.format,
            "subject": self.subject,
            "issuer": self.issuer,
            "audience": list(self.audience),
            "expires_at": self.expires_at.isoformat(),
            "level": self.level,
            "level_uri": self.level_uri,
            "authenticated_at": self.authenticated_at.isoformat()
            if self.authenticated_at
            else None,
            "methods": list(self.methods),
            "attributes": {
                k: v if isinstance(v, str) else dict(v) for k, v in self.attributes.items()
            },
            "mandate": self.mandate.to_dict() if self.mandate else None,
            "session_index": self.session_index,
            "identifier": self.identifier,
        }
