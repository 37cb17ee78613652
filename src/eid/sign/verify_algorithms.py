"""A signature's algorithms judged by the `CryptoPolicy` at the time it is proven to have existed.

The digest of the signer info and the signer's key (kind and size) each need a rule of
the policy that still accepts them at the signature's proof of existence: its earliest
valid signature timestamp, else the earliest valid archive or document timestamp over it,
else the validation time (EN 319 102-1, cryptographic constraints with POE). A timestamp
token's own algorithms are judged the same way: at the time of a valid later archive or
document timestamp that covers it, else at the validation time. A rule that has run out
before then is INDETERMINATE / CRYPTO_CONSTRAINTS_FAILURE_NO_POE (a timestamp from before
might still save it); an algorithm the policy does not know at all, or a digest identifier
that names none (`eid.sign.verify_crypto.digest_name`), is INDETERMINATE /
CRYPTO_CONSTRAINTS_FAILURE.
The rules applied are listed in the report (``algorithm_rules``).
"""

from __future__ import annotations

import datetime as dt

from asn1crypto import cms

from eid.errors import AlgorithmNotAccepted, MalformedInput
from eid.hashing import HASHES
from eid.pki import CryptoPolicy, LoadedCertificate
from eid.sign.report import Check, Indication, SignatureReport, SubIndication
from eid.sign.verify_crypto import digest_name

__all__ = ["judge_algorithms", "legacy_digests"]

_KEY_KINDS = {"rsa": "rsa", "rsassa_pss": "rsa", "ec": "ecdsa", "dsa": "dsa"}
_EDDSA = ("ed25519", "ed448")  # asn1crypto has no bit size for these keys; one size each


def legacy_digests(policy: CryptoPolicy) -> frozenset[str]:
    """The digests ``policy`` has a rule for: verified, then judged by date (SHA-1 by default)."""
    return frozenset(r.algorithm for r in policy.rules if r.algorithm in HASHES)


def _uses(signer: cms.SignerInfo, certificate: LoadedCertificate) -> list[tuple[str, str, int]]:
    """(what, algorithm, key bits) for the digest and the key of a signer info."""
    key = certificate.asn1.public_key
    kind = str(key.algorithm)
    bits = 0 if kind in _EDDSA else int(key.bit_size)
    return [
        ("the signature's digest", digest_name(signer["digest_algorithm"]), 0),
        ("the signer's key", _KEY_KINDS.get(kind, kind), bits),
    ]


def judge_algorithms(
    report: SignatureReport,
    signer: cms.SignerInfo,
    certificate: LoadedCertificate,
    policy: CryptoPolicy,
    moment: dt.datetime,
) -> None:
    """Judge the signer info's digest and key at ``moment``; confirm or fail ``report``."""
    try:
        uses = _uses(signer, certificate)
    except MalformedInput as error:  # a digest algorithm identifier that names no digest
        report.fail(
            Indication.INDETERMINATE, SubIndication.CRYPTO_CONSTRAINTS_FAILURE, error.message
        )
        return
    rules: list[str] = []
    for what, algorithm, bits in uses:
        known = policy.rule_for(algorithm, bits) is not None
        try:
            rules.append(str(policy.check(algorithm, moment, what, bits)))
        except AlgorithmNotAccepted as error:
            report.fail(
                Indication.INDETERMINATE,
                SubIndication.CRYPTO_CONSTRAINTS_FAILURE_NO_POE
                if known
                else SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
                error.message,
            )
            return
    report.algorithm_rules = rules
    report.confirm(Check.ALGORITHMS)
