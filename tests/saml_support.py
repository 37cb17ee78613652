"""SAML test pieces: the provider's key with a certificate, a SAML portal, issue and import."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from lxml import etree

from eid.auth import AuthResult
from eid.sso import EIDAS, Imported, MemoryReplayStore, Portal, ProviderKey, make_statement
from eid.sso.replay import ReplayStore
from eid.sso.saml_import import SamlIdentityProvider, import_saml_response
from eid.sso.saml_response import saml_response
from eid.sso.statement import Statement
from eid.xmlsig import sign_enveloped, software_signer
from tests.sso_support import login, minter
from tests.xmlsig_support import RSA_SHA256, certificate, private_key

IDP = "https://idp.example.test"
SP = "https://sp.example.test/metadata"
ACS = "https://sp.example.test/acs"
REQUEST = "_request-1"
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


@cache
def idp_key(kind: str = "rsa", label: str = "idp") -> ProviderKey:
    """The provider's key of ``kind`` (rsa, p256, p384) with a self-signed certificate."""
    key = private_key(kind, label)
    assert isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
    return ProviderKey.from_private_key(key, certificate(kind, label))


def sp_key() -> rsa.RSAPrivateKey:
    """The portal's decryption key."""
    key = private_key("rsa", "sp")
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def saml_portal(**changes: object) -> Portal:
    """A SAML portal under the eIDAS profile with the usual natural-person attributes."""
    base = Portal(
        id=SP,
        kind="saml",
        endpoints=(ACS,),
        attributes=frozenset({"person_identifier", "given_name", "family_name", "birthdate"}),
        profile=EIDAS,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@cache
def _login() -> AuthResult:
    return login()


def statement(portal: Portal | None = None) -> Statement:
    """The statement about Alice's login for ``portal`` (the default SAML portal)."""
    return make_statement(_login(), portal or saml_portal(), subjects=minter())


def issue(
    *,
    portal: Portal | None = None,
    kind: str = "rsa",
    now: dt.datetime = NOW,
    in_response_to: str | None = REQUEST,
    recipient: str = ACS,
    **options: object,
) -> bytes:
    """A SAML response for Alice, signed with ``idp_key(kind)``."""
    return saml_response(
        statement(portal),
        issuer=IDP,
        key=idp_key(kind),
        recipient=recipient,
        now=now,
        in_response_to=in_response_to,
        **options,  # type: ignore[arg-type]
    )


def idp(kind: str = "rsa", **changes: object) -> SamlIdentityProvider:
    """The portal's view of the provider: entity ID and pinned certificate."""
    return SamlIdentityProvider(IDP, (certificate(kind),), **changes)  # type: ignore[arg-type]


def do_import(
    message: str | bytes,
    *,
    kind: str = "rsa",
    provider: SamlIdentityProvider | None = None,
    replay: ReplayStore | None = None,
    **options: object,
) -> Imported:
    """Import ``message`` as the portal would, at NOW, answering REQUEST."""
    arguments: dict[str, object] = {
        "audience": SP,
        "recipient": ACS,
        "in_response_to": REQUEST,
        "at": NOW,
        "decryption_keys": [sp_key()],
    }
    arguments.update(options)
    return import_saml_response(
        message,
        idp=provider or idp(kind),
        replay=replay or MemoryReplayStore(),
        **arguments,  # type: ignore[arg-type]
    )


def sign_as_idp(
    element: etree._Element, method: str = RSA_SHA256, *, label: str = "idp", **options: object
) -> None:
    """Sign ``element`` (after its Issuer) with the provider's RSA key, or the one of ``label``."""
    sign_enveloped(
        element,
        signer=software_signer(private_key("rsa", label), method),
        method=method,
        index=1,
        **options,  # type: ignore[arg-type]
    )


def tree(message: bytes) -> etree._Element:
    """``message`` parsed (trusted test data)."""
    return etree.fromstring(message)


def issued_by_ca(
    not_before: dt.datetime, not_after: dt.datetime
) -> tuple[x509.Certificate, x509.Certificate]:
    """A test CA and an IdP certificate it issued for ``private_key("rsa", "pkix")``."""
    ca_key = private_key("p256", "ca")
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "SAML test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - dt.timedelta(days=365))
        .not_valid_after(NOW + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "SAML IdP")]))
        .issuer_name(ca_name)
        .public_key(private_key("rsa", "pkix").public_key())
        .serial_number(2)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return ca, leaf
