"""Choosing a PKCS#11 signature mechanism and shaping what goes in and comes out.

Tokens differ: SoftHSM2 and Belgian EC cards offer raw mechanisms (``CKM_RSA_PKCS``,
``CKM_ECDSA``) where the caller hashes; others only hash-and-sign ones. A raw
mechanism is preferred when offered: the data is hashed here, so only a digest
crosses the PKCS#11 boundary, and a digest signed elsewhere can be signed too.
Every signature a token makes is checked against its certificate (`verifies`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric import padding as rsa_padding
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, encode_dss_signature
from pkcs11 import KeyType, Mechanism
from pkcs11.mechanisms import MGF

from eid.errors import MechanismUnsupported
from eid.hashing import hash_algorithm as shared_hash_algorithm
from eid.tokens.digestinfo import digest_info

__all__ = [
    "HashName",
    "Padding",
    "SignaturePlan",
    "ecdsa_raw_to_der",
    "hash_algorithm",
    "plan_signature",
    "verifies",
]

HashName = Literal["sha1", "sha224", "sha256", "sha384", "sha512"]
Padding = Literal["pkcs1v15", "pss"]

PKCS11_HASHES = ("sha1", "sha224", "sha256", "sha384", "sha512")
"""The hashes PKCS#11 signature mechanisms name."""

_HASH_MECHANISM = {
    "sha1": Mechanism.SHA_1,
    "sha224": Mechanism.SHA224,
    "sha256": Mechanism.SHA256,
    "sha384": Mechanism.SHA384,
    "sha512": Mechanism.SHA512,
}
_MGF = {
    "sha1": MGF.SHA1,
    "sha224": MGF.SHA224,
    "sha256": MGF.SHA256,
    "sha384": MGF.SHA384,
    "sha512": MGF.SHA512,
}
_RSA_PKCS = {
    "sha1": Mechanism.SHA1_RSA_PKCS,
    "sha224": Mechanism.SHA224_RSA_PKCS,
    "sha256": Mechanism.SHA256_RSA_PKCS,
    "sha384": Mechanism.SHA384_RSA_PKCS,
    "sha512": Mechanism.SHA512_RSA_PKCS,
}
_RSA_PSS = {
    "sha1": Mechanism.SHA1_RSA_PKCS_PSS,
    "sha224": Mechanism.SHA224_RSA_PKCS_PSS,
    "sha256": Mechanism.SHA256_RSA_PKCS_PSS,
    "sha384": Mechanism.SHA384_RSA_PKCS_PSS,
    "sha512": Mechanism.SHA512_RSA_PKCS_PSS,
}
_ECDSA = {
    "sha1": Mechanism.ECDSA_SHA1,
    "sha224": Mechanism.ECDSA_SHA224,
    "sha256": Mechanism.ECDSA_SHA256,
    "sha384": Mechanism.ECDSA_SHA384,
    "sha512": Mechanism.ECDSA_SHA512,
}


def hash_algorithm(name: str) -> hashes.HashAlgorithm:
    """The `cryptography` hash for a PKCS#11 hash name; `UsageError` for another."""
    return shared_hash_algorithm(name, PKCS11_HASHES)


@dataclass(frozen=True)
class SignaturePlan:
    """How to make one kind of signature with one token.

    ``raw`` plans take a digest (wrapped in a DigestInfo for RSA PKCS#1 v1.5);
    the others take the data itself.
    """

    mechanism: Mechanism
    param: tuple[Mechanism, MGF, int] | None
    raw: bool
    hash: HashName

    def prepare(self, digest: bytes) -> bytes:
        """The input of a raw mechanism for ``digest``."""
        if self.mechanism == Mechanism.RSA_PKCS:
            return digest_info(self.hash, digest)
        return digest


def plan_signature(
    key_type: KeyType, offered: frozenset[Mechanism], hash: HashName, padding: Padding
) -> SignaturePlan:
    """The mechanism to use for a key type, hash and padding among those the token offers."""
    pss_param = (_HASH_MECHANISM[hash], _MGF[hash], hash_algorithm(hash).digest_size)
    choices: list[tuple[Mechanism, tuple[Mechanism, MGF, int] | None, bool]]
    if key_type == KeyType.RSA and padding == "pkcs1v15":
        choices = [(Mechanism.RSA_PKCS, None, True), (_RSA_PKCS[hash], None, False)]
    elif key_type == KeyType.RSA:
        choices = [(Mechanism.RSA_PKCS_PSS, pss_param, True), (_RSA_PSS[hash], pss_param, False)]
    elif key_type == KeyType.EC:
        choices = [(Mechanism.ECDSA, None, True), (_ECDSA[hash], None, False)]
    else:
        raise MechanismUnsupported(f"signing with a {key_type.name} key is not supported")
    for mechanism, param, raw in choices:
        if mechanism in offered:
            return SignaturePlan(mechanism, param, raw, hash)
    wanted = " nor ".join(m.name for m, _, _ in choices)
    raise MechanismUnsupported(f"neither {wanted} is offered by the token for this key")


def ecdsa_raw_to_der(signature: bytes) -> bytes:
    """Convert a PKCS#11 ECDSA signature (r || s, IEEE P1363) into DER."""
    if not signature or len(signature) % 2:
        raise MechanismUnsupported("the token returned an ECDSA signature of odd length")
    half = len(signature) // 2
    r = int.from_bytes(signature[:half], "big")
    s = int.from_bytes(signature[half:], "big")
    return encode_dss_signature(r, s)


def verifies(
    public_key: object, signature: bytes, digest: bytes, hash: HashName, padding: Padding
) -> bool:
    """Whether ``signature`` (DER for ECDSA) over ``digest`` verifies with ``public_key``."""
    algorithm = Prehashed(hash_algorithm(hash))
    try:
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, digest, ec.ECDSA(algorithm))
        elif isinstance(public_key, rsa.RSAPublicKey):
            scheme = (
                rsa_padding.PSS(
                    rsa_padding.MGF1(hash_algorithm(hash)), hash_algorithm(hash).digest_size
                )
                if padding == "pss"
                else rsa_padding.PKCS1v15()
            )
            public_key.verify(signature, digest, scheme, algorithm)
        else:
            return False
    except InvalidSignature:
        return False
    return True
