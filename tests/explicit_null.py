"""Certificates as some national cards carry them: explicit NULL in the ECDSA AlgorithmIdentifier.

RFC 5758 (3.2) says the parameters of ecdsa-with-SHA* are absent; Finnish test cards, among
others, encode an explicit NULL. `cryptography` refuses such a certificate whole.
"""

from __future__ import annotations

from asn1crypto import algos, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

_HASHES = {"sha256_ecdsa": hashes.SHA256, "sha384_ecdsa": hashes.SHA384}


def with_explicit_null(certificate: x509.Certificate, issuer_key: object) -> bytes:
    """``certificate`` with NULL parameters in both signature AlgorithmIdentifiers, re-signed.

    The TBS gets the NULL in ``tbsCertificate.signature`` and is signed again with the
    issuer's EC key, so the signature stays valid; the outer ``signatureAlgorithm`` gets
    the same NULL. Everything else (the key, the names, the extensions) is unchanged.
    """
    assert isinstance(issuer_key, ec.EllipticCurvePrivateKey)
    parsed = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
    name = parsed["signature_algorithm"]["algorithm"].native
    algorithm = algos.SignedDigestAlgorithm({"algorithm": name, "parameters": core.Null()})
    tbs = parsed["tbs_certificate"].copy()
    tbs["signature"] = algorithm
    signature = issuer_key.sign(tbs.dump(force=True), ec.ECDSA(_HASHES[name]()))
    rebuilt = asn1_x509.Certificate(
        {"tbs_certificate": tbs, "signature_algorithm": algorithm, "signature_value": signature}
    )
    return bytes(rebuilt.dump(force=True))
