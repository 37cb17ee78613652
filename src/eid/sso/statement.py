"""The statement the provider makes about a login, for one portal.

`make_statement` turns an `eid.auth.AuthResult` into a `Statement`: the subject identifier
the portal may know, when and how the person authenticated (``amr``, RFC 8176), the level of
assurance, the attributes the portal is registered for, an optional enterprise mandate and a
session index. The OIDC ID token and the SAML assertion are two encodings of one statement.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from eid.auth import AuthResult
from eid.errors import UsageError
from eid.identity import Address, Identity
from eid.sso.attributes import AttributeValue, collect_attributes, release
from eid.sso.levels import (
    LOA_URIS,
    AssuranceTable,
    Level,
    LoginKind,
    login_kind,
    require_level,
)
from eid.sso.mandates import Mandate, MandateSource, choose_mandate
from eid.sso.portals import Portal
from eid.sso.subjects import Subject, SubjectMinter

__all__ = ["METHODS", "Statement", "make_statement"]

METHODS: Mapping[LoginKind, tuple[str, ...]] = MappingProxyType(
    {
        "eid_card": ("sc", "hwk", "pin", "mfa"),
        "foreigner_card": ("sc", "hwk", "pin", "mfa"),
        "virtual_card": ("swk", "pin"),
        "token": ("hwk", "pin"),
        "tls_client_certificate": ("swk",),
    }
)
"""Authentication method references (RFC 8176) of each login kind."""


@dataclass(frozen=True)
class Statement:
    """What the provider says to one portal about one login.

    ``attributes`` are the released ones under canonical names; `rendered_attributes` gives
    them under the portal's profile.
    """

    portal: Portal
    subject: Subject
    authenticated_at: dt.datetime
    level: Level
    level_uri: str
    national_level: str
    methods: tuple[str, ...]
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)
    mandate: Mandate | None = None
    session_index: str = ""

    @property
    def audience(self) -> str:
        """The portal's id (OIDC client ID, SAML entity ID)."""
        return self.portal.id

    def rendered_attributes(self) -> dict[str, AttributeValue]:
        """The released attributes under the names of the portal's profile."""
        return self.portal.profile.render(self.attributes)


def make_statement(
    auth: AuthResult,
    portal: Portal,
    *,
    subjects: SubjectMinter,
    assurance: AssuranceTable | None = None,
    mandates: MandateSource | None = None,
    acting_for: str | None = None,
    identity: Identity | None = None,
    address: Address | None = None,
    language: str | None = None,
    transient: bool = False,
    session_index: str | None = None,
) -> Statement:
    """The statement about ``auth`` for ``portal``.

    Raises `AssuranceLevelTooLow` below the portal's minimum level, `MandateNotHeld` when
    ``acting_for`` names an enterprise the person has no mandate for, and `UsageError` when
    the portal may not receive mandates or no mandate source is configured. ``transient``
    asks for a one-time subject identifier (SAML portals).
    """
    table = assurance or AssuranceTable()
    login = login_kind(auth)
    level = table.levels[login]
    require_level(level, portal.minimum_level)
    kind = "transient" if transient else portal.subject_kind
    subject = subjects.subject_for(auth, kind=kind, sector=portal.sector_id)
    available = collect_attributes(
        auth, identity=identity, address=address, language=language, wanted=portal.attributes
    )
    available["person_identifier"] = f"BE/{portal.country}/{subject.value}"
    mandate = None
    if acting_for is not None:
        if not portal.may_receive_mandates:
            raise UsageError(f"portal {portal.id} is not registered to receive mandates")
        if mandates is None:
            raise UsageError("no mandate source is configured")
        mandate = choose_mandate(mandates, auth.validated.national_number, acting_for)
        available["legal_person_identifier"] = f"BE/{portal.country}/{mandate.enterprise}"
        available["legal_name"] = mandate.name
        available["mandate_role"] = mandate.role
    return Statement(
        portal=portal,
        subject=subject,
        authenticated_at=auth.authenticated_at,
        level=level,
        level_uri=LOA_URIS[level],
        national_level=table.national_name(level),
        methods=METHODS[login],
        attributes=MappingProxyType(release(available, portal.attributes)),
        mandate=mandate,
        session_index=session_index or "_" + secrets.token_hex(16),
    )
