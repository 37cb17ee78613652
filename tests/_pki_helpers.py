"""Shared helpers of the trust and revocation tests: services on loopback, holders."""

from __future__ import annotations

from asn1crypto import x509 as asn1_x509

from eid.pki import RevocationPolicy, RevocationSettings, TrustStore
from eid.pki._keys import Drbg, deterministic_ec_key
from eid.pki.services import TestServices
from eid.pki.testpki import CardCredentials, Holder, TestPKI

ALICE = Holder("Alice Maria", "SPECIMEN", "71715100070")
BOB = Holder("Bob", "Vreemdeling", "85073003328", foreigner=True)
OFF = RevocationSettings(policy=RevocationPolicy.OFF)


def trust_of(services: TestServices) -> TrustStore:
    """The test root as anchor, the issuing CAs as intermediates."""
    pki = services.pki
    return TrustStore(
        [pki.root.cert_der()], [pki.citizen_ca.cert_der(), pki.foreigner_ca.cert_der()]
    )


# Card keys do not matter to these tests; one EC key saves an RSA prime search per card.
CARD_KEY = deterministic_ec_key(Drbg(b"eid pki tests", "card"))


def new_card(pki: TestPKI, holder: Holder = ALICE) -> CardCredentials:
    """A new card (new serial numbers) with the shared test key, issued by ``pki``'s CA."""
    return CardCredentials(
        authentication=pki.issue(holder, "authentication", key=CARD_KEY),
        signature=pki.issue(holder, "signature", key=CARD_KEY),
    )


def with_policy(der: bytes, oid: str) -> bytes:
    """The certificate with ``oid`` as its only certificate policy (its signature broken)."""
    parsed = asn1_x509.Certificate.load(der)
    for extension in parsed["tbs_certificate"]["extensions"]:
        if extension["extn_id"].native == "certificate_policies":
            extension["extn_value"] = asn1_x509.CertificatePolicies([{"policy_identifier": oid}])
    return bytes(parsed.dump(force=True))
