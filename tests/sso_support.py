"""Shared pieces of the single-sign-on tests: logins from the test PKI, portals, keys."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from functools import cache

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from eid.auth import AuthResult, authenticate_client_certificate
from eid.pki import RevocationPolicy, RevocationSettings, TrustStore
from eid.pki.policy_arcs import PRODUCTION_POLICY_ARCS
from eid.pki.testpki import Holder, TestPKI
from eid.sso import Portal, ProviderKey, SubjectMinter

ALICE = Holder("Alice Maria", "SPECIMEN", "71715100070")
BOB = Holder("Bob", "Vreemdeling", "85073003328", foreigner=True)
OFF = RevocationSettings(policy=RevocationPolicy.OFF)
SECRET = b"s" * 32
ISSUER = "https://idp.example.test"


@cache
def sso_pki() -> TestPKI:
    """One EC test PKI for every SSO test (deterministic)."""
    return TestPKI.create(key_kind="ec", seed=b"sso tests")


def login(holder: Holder = ALICE, *, method: str = "webeid") -> AuthResult:
    """A login by ``holder``'s test card (revocation off), with ``method``."""
    pki = sso_pki()
    trust = TrustStore(
        [pki.root.cert_der()], [pki.citizen_ca.cert_der(), pki.foreigner_ca.cert_der()]
    )
    card = pki.issue_card(holder)
    auth = authenticate_client_certificate(
        card.authentication.certificate,
        trust=trust,
        revocation=OFF,
        at=pki.now + dt.timedelta(days=1),
    )
    return replace(auth, method=method)  # type: ignore[arg-type]


def as_production_card(auth: AuthResult) -> AuthResult:
    """The same login as if the certificate carried the production Root CA4 policy."""
    kind = auth.validated.kind
    arc = PRODUCTION_POLICY_ARCS["Belgium Root CA4"].dotted_string
    suffix = "7.2" if kind.holder == "foreigner" else "2.2"
    validated = replace(auth.validated, kind=replace(kind, policies=(f"{arc}.{suffix}",)))
    return replace(auth, validated=validated)


def portal(**changes: object) -> Portal:
    """An OIDC portal with a redirect URI and the usual name attributes."""
    base = Portal(
        id="portal-a",
        kind="oidc",
        endpoints=("https://portal-a.example.test/callback",),
        attributes=frozenset({"given_name", "family_name", "birthdate"}),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def minter() -> SubjectMinter:
    return SubjectMinter(SECRET)


@cache
def rsa_key(label: str = "a") -> ProviderKey:
    return ProviderKey.from_private_key(rsa.generate_private_key(65537, 2048))


@cache
def ec_key(label: str = "a", curve: str = "P-256") -> ProviderKey:
    curves = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1(), "P-521": ec.SECP521R1()}
    return ProviderKey.from_private_key(ec.generate_private_key(curves[curve]))
