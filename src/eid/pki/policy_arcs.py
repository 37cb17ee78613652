"""Certificate-policy arcs of the Belgian eID PKI, as data, and the arc of the test PKI.

Every Belgian root up to CA4 has its own arc, and the policies beneath it follow one pattern
(Belgian CP/CPS documents; jtrust's ``BelgianTrustValidatorFactory``)::

    <arc>.2  Citizen CA     <arc>.2.1  citizen signature    <arc>.2.2  citizen authentication
    <arc>.7  Foreigner CA   <arc>.7.1  foreigner signature  <arc>.7.2  foreigner authentication
    <arc>.4  RRN (the national register; signs the identity and address files)

Belgium Root CA6 (EC P-384, applet 1.8 cards) publishes no arc in its CA certificates: the root
has no certificatePolicies extension and its Citizen and Foreigner CAs (202002, 202001) assert
only anyPolicy with the CPS ``https://repository.eidpki.belgium.be/eid``. It is therefore not in
`PRODUCTION_POLICY_ARCS`; see `ROOT_CA6_NAME` and `ROOT_CA6_CPS`.

The test PKI (`eid.pki.testpki`) uses the same pattern under `TEST_POLICY_ARC`, a UUID arc
(ITU-T X.667 / RFC 4122: ``2.25.<UUID as integer>``) that needs no registration and cannot
collide with any assigned OID, production Belgian arcs included. Its UUID is
7a0dd2f1-3604-478d-a938-70e0f9d35736. Caveat: its second-level arc is 128 bits long; Python
(cryptography, asn1crypto), OpenSSL and Java parse it, some older parsers (Go before 1.22) do not.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

from cryptography.x509 import ObjectIdentifier
from cryptography.x509.oid import CertificatePoliciesOID

__all__ = [
    "POLICY_SUFFIXES",
    "PRODUCTION_POLICY_ARCS",
    "ROOT_CA6_CA_POLICY",
    "ROOT_CA6_CPS",
    "ROOT_CA6_NAME",
    "TEST_POLICY_ARC",
    "TEST_ROOT_NAME",
    "PolicyRole",
    "classify_policy",
    "policy_oid",
]

PolicyRole = Literal[
    "citizen_ca",
    "citizen_signature",
    "citizen_authentication",
    "foreigner_ca",
    "foreigner_signature",
    "foreigner_authentication",
    "rrn",
]
"""What a policy beneath a root arc stands for."""

POLICY_SUFFIXES: Mapping[PolicyRole, str] = MappingProxyType(
    {
        "citizen_ca": "2",
        "citizen_signature": "2.1",
        "citizen_authentication": "2.2",
        "foreigner_ca": "7",
        "foreigner_signature": "7.1",
        "foreigner_authentication": "7.2",
        "rrn": "4",
    }
)
"""The dotted suffix beneath a root arc for each policy role."""

PRODUCTION_POLICY_ARCS: Mapping[str, ObjectIdentifier] = MappingProxyType(
    {
        "Belgium Root CA": ObjectIdentifier("2.16.56.1.1.1"),
        "Belgium Root CA2": ObjectIdentifier("2.16.56.9.1.1"),
        "Belgium Root CA3": ObjectIdentifier("2.16.56.10.1.1"),
        "Belgium Root CA4": ObjectIdentifier("2.16.56.12.1.1"),
    }
)
"""Production root common name -> its policy arc (Root CA6 has none; see the module text)."""

ROOT_CA6_NAME = "Belgium Root CA6"
"""Common name of the EC root of applet 1.8 cards."""

ROOT_CA6_CA_POLICY = CertificatePoliciesOID.ANY_POLICY
"""The only policy the Root CA6 Citizen and Foreigner CA certificates assert (anyPolicy)."""

ROOT_CA6_CPS = "https://repository.eidpki.belgium.be/eid"
"""The CPS qualifier of the Root CA6 Citizen and Foreigner CA certificates."""

TEST_POLICY_ARC = ObjectIdentifier("2.25.162237593761641986176765657241709926198")
"""Root arc of the test PKI: ``2.25`` + UUID 7a0dd2f1-3604-478d-a938-70e0f9d35736."""

TEST_ROOT_NAME = "Belgium Test Root CA"
"""Common name of the test PKI's root."""


def policy_oid(arc: ObjectIdentifier, role: PolicyRole) -> ObjectIdentifier:
    """Return the policy OID for ``role`` beneath ``arc`` (CA4 + citizen_signature: ...2.1)."""
    return ObjectIdentifier(f"{arc.dotted_string}.{POLICY_SUFFIXES[role]}")


def classify_policy(
    oid: ObjectIdentifier | str, arcs: Mapping[str, ObjectIdentifier] | None = None
) -> tuple[str, PolicyRole] | None:
    """Return the (root name, role) a policy OID stands for, or None if it is none of them.

    ``oid`` may be dotted text as read from a certificate: it is compared as text, so an
    OID that `ObjectIdentifier` cannot hold (an arc of 2^128 or more) is simply none of
    them. ``arcs`` defaults to the production arcs plus the test arc (under `TEST_ROOT_NAME`).
    """
    if arcs is None:
        arcs = {**PRODUCTION_POLICY_ARCS, TEST_ROOT_NAME: TEST_POLICY_ARC}
    dotted = oid if isinstance(oid, str) else oid.dotted_string
    for name, arc in arcs.items():
        for role, suffix in POLICY_SUFFIXES.items():
            if dotted == f"{arc.dotted_string}.{suffix}":
                return name, role
    return None
