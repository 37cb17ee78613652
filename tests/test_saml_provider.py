"""The identity provider's SAML side end to end: issue, publish metadata, rotate keys, import."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT

from eid.errors import AssertionAlgorithmRefused, RedirectUriMismatch, UsageError
from eid.sso import KeySet, MemoryReplayStore, PortalRegistry
from eid.sso.portal import idp_from_metadata, import_saml_response
from eid.sso.provider import IdentityProvider
from eid.sso.saml import MD_NS
from tests.pysaml2_sp import key_pair, pysaml2_sp
from tests.saml_support import ACS, IDP, NOW, SP, idp_key, saml_portal
from tests.sso_support import login, minter, portal
from tests.xmlsig_support import xmlsec1

ENTITY = f"{MD_NS}:EntityDescriptor"


def provider(keys: KeySet, clock: list[dt.datetime]) -> IdentityProvider:
    registry = PortalRegistry([saml_portal(), portal(kind="oidc")])
    return IdentityProvider(IDP, keys, registry, subjects=minter(), clock=lambda: clock[0])


def test_issue_and_import_through_metadata() -> None:
    clock = [NOW]
    idp = provider(KeySet(idp_key()), clock)
    message = idp.issue_saml_response(login(), SP, in_response_to="_r")
    known = idp_from_metadata(idp.saml_metadata(), signer=idp_key().certificate)
    imported = import_saml_response(
        message,
        idp=known,
        audience=SP,
        recipient=ACS,
        in_response_to="_r",
        at=NOW,
        replay=MemoryReplayStore(),
    )
    assert imported.issuer == IDP
    assert imported.level == "low"


def test_recipient_must_be_registered_and_portal_saml() -> None:
    idp = provider(KeySet(idp_key()), [NOW])
    with pytest.raises(RedirectUriMismatch):
        idp.issue_saml_response(login(), SP, recipient="https://evil.example/acs")
    with pytest.raises(UsageError, match="OIDC"):
        idp.issue_saml_response(login(), "portal-a")


def test_key_rollover_end_to_end() -> None:
    """A response signed by the old key imports after rotation until it expires; the new key signs."""
    old, new = idp_key("rsa", "old"), idp_key("p256", "new")
    clock = [NOW]
    idp = provider(KeySet(old, next=new), clock)
    before = idp.issue_saml_response(login(), SP)
    metadata_before_rotation = idp_from_metadata(idp.saml_metadata())
    idp.rotate(None)
    clock[0] = NOW + dt.timedelta(minutes=1)
    after = idp.issue_saml_response(login(), SP)
    assert b"ecdsa-sha256" in after
    published = idp_from_metadata(idp.saml_metadata(), signer=new.certificate)
    assert published.certificates == (new.certificate, old.certificate)
    for message, known in (
        (before, published),
        (after, published),
        (after, metadata_before_rotation),
    ):
        imported = import_saml_response(
            message,
            idp=known,
            audience=SP,
            recipient=ACS,
            at=clock[0],
            replay=MemoryReplayStore(),
        )
        assert imported.subject
    pruned = idp.keys.prune(now=NOW + dt.timedelta(minutes=10), retention=dt.timedelta(minutes=5))
    only_new = idp_from_metadata(
        IdentityProvider(
            IDP, pruned, idp.portals, subjects=minter(), clock=lambda: NOW
        ).saml_metadata()
    )
    with pytest.raises(AssertionAlgorithmRefused, match="no key given"):  # no RSA key is left
        import_saml_response(
            before, idp=only_new, audience=SP, recipient=ACS, at=NOW, replay=MemoryReplayStore()
        )


def test_metadata_publishes_single_logout_for_a_third_party_sp(tmp_path: Path) -> None:
    """The library's metadata names the SLO endpoint (both bindings); pysaml2 reads it back."""
    idp = provider(KeySet(idp_key()), [dt.datetime.now(dt.UTC)])  # pysaml2 checks validUntil
    slo = IDP + "/saml/slo"
    metadata = idp.saml_metadata(slo_url=slo, want_requests_signed=True)
    assert b'WantAuthnRequestsSigned="true"' in metadata
    assert xmlsec1(tmp_path, metadata, idp_key().certificate, "--id-attr:ID", ENTITY) == 0
    tampered = metadata.replace(b"/saml/slo", b"/evil/slo")
    assert xmlsec1(tmp_path, tampered, idp_key().certificate, "--id-attr:ID", ENTITY) != 0
    key, cert, _ = key_pair(tmp_path, "sp")
    sp = pysaml2_sp(tmp_path, entity_id=SP, acs=ACS, idp_metadata=metadata, key=key, cert=cert)
    for binding in (BINDING_HTTP_REDIRECT, BINDING_HTTP_POST):
        found = sp.metadata.single_logout_service(IDP, binding, "idpsso")
        assert [s["location"] for s in found] == [slo]
    assert b"SingleLogoutService" not in idp.saml_metadata()  # none unless given
