"""Whether the certificate that signed a card's files is the national register's (RRN).

A valid RRN signature proves only that the files were signed by the key of the
certificate found beside them (``CERT_RN_FILE``). Anyone can make such a pair, so the
certificate itself must be checked: it must chain to a trusted root, be issued by
that root directly (the RRN certificate is; citizens' certificates come from the
Citizen CA), and be an RRN certificate (the RRN policy ``<arc>.4``, or, beneath roots
without policy arcs, an organisation naming the RRN). The check is made at the card's
issuance (``validity_begin``), when the files were signed: an RRN certificate that has
expired since still vouches for them. Revocation is not checked.
"""

from __future__ import annotations

import datetime as dt

from cryptography.x509.oid import NameOID

from eid.errors import CertificateUntrusted, MalformedInput, WrongPurpose
from eid.pki import RevocationPolicy, RevocationSettings, TrustStore, ValidatedCertificate
from eid.pki import validate_certificate as validate
from eid.pki.policy_arcs import classify_policy
from eid.tokens.belpic.card import CardData
from eid.tokens.belpic.labels import CERT_RN_FILE

__all__ = ["validate_rrn_certificate"]

_NO_REVOCATION = RevocationSettings(policy=RevocationPolicy.OFF)


def _is_rrn(validated: ValidatedCertificate) -> bool:
    roles = {found[1] for p in validated.kind.policies if (found := classify_policy(p))}
    if roles:
        return roles == {"rrn"}
    certificate = validated.certificate.crypto
    if certificate is None:
        return False
    organisations = certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return any("RRN" in str(o.value).upper().split() for o in organisations)


def validate_rrn_certificate(card: CardData, trust: TrustStore) -> ValidatedCertificate:
    """Validate the card's RRN certificate against ``trust`` at the card's issuance.

    Raises `MalformedInput` when there is no RRN certificate, the `eid.errors`
    certificate errors for its chain, and `CertificateUntrusted` / `WrongPurpose`
    when it is not the national register's.
    """
    if card.rrn_certificate is None or CERT_RN_FILE not in card.files:
        raise MalformedInput("there is no RRN certificate to check", source=CERT_RN_FILE)
    issued = dt.datetime.combine(card.identity.validity_begin, dt.time(12), tzinfo=dt.UTC)
    validated = validate(
        card.files[CERT_RN_FILE], trust=trust, at=issued, revocation=_NO_REVOCATION
    )
    if validated.kind.usage == "ca":
        raise WrongPurpose("the RRN certificate is a CA certificate")
    if len(validated.chain) > 2:
        raise CertificateUntrusted(
            "the RRN certificate is not issued by a trusted root directly "
            f"(its issuer is {validated.chain[1].subject})"
        )
    if not _is_rrn(validated):
        raise WrongPurpose(
            f"{validated.certificate.subject} is not the national register's certificate"
        )
    return validated
