"""The signature-value primitive of verification: one signature, one key, one algorithm.

`verify_signature_value` is what `eid.sign.verify` uses for every CMS signer info (and
every timestamp token): RSASSA-PKCS1-v1_5, RSASSA-PSS (parameters from the algorithm
identifier), DSA (FIPS 186, a DER ``Dss-Sig-Value``; EU DSS accepts it, and so does the
crypto policy, by key size), ECDSA with a DER ``Ecdsa-Sig-Value`` and plain ECDSA (BSI TR-03111
``ecdsa-plain-*``, ``0.4.0.127.0.7.1.1.4.1.x``: r || s, each as long as the curve order),
and EdDSA (RFC 8419: Ed25519 with SHA-512, Ed448 with SHAKE256 of 512 bits as the CMS
digest; the signature is over the data itself, never over a digest). `digest_name` reads a
CMS digest algorithm identifier: SHAKE256 of 512 bits is id-shake256, or id-shake256-len
whose parameter (the output length in bits) must be 512.
Verification is strict: a DER signature must be DER (no BER, no padding), a plain one
exactly 2 x the order's length, a PKCS#1 DigestInfo exactly the DER one (with its NULL
parameters); SHA-1 and MD5 are not accepted for signatures, unless the caller names them
in ``legacy_digests`` because it judges them by date (`eid.pki.CryptoPolicy`).
"""

from __future__ import annotations

from typing import Any

from asn1crypto import algos, core, keys
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, encode_dss_signature

from eid.errors import MalformedInput
from eid.hashing import HASHES
from eid.sign.report import brief

__all__ = ["PLAIN_ECDSA_OIDS", "digest_name", "verify_signature_value"]

_VERIFY_HASHES = ("sha224", "sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512")
"""The digests accepted in a verified signature (SHA-1 is not)."""

PLAIN_ECDSA_OIDS: dict[str, str] = {
    "0.4.0.127.0.7.1.1.4.1.2": "sha224",
    "0.4.0.127.0.7.1.1.4.1.3": "sha256",
    "0.4.0.127.0.7.1.1.4.1.4": "sha384",
    "0.4.0.127.0.7.1.1.4.1.5": "sha512",
    "0.4.0.127.0.7.1.1.4.1.8": "sha3_256",
    "0.4.0.127.0.7.1.1.4.1.9": "sha3_384",
    "0.4.0.127.0.7.1.1.4.1.10": "sha3_512",
}
"""BSI TR-03111 ``ecdsa-plain-<hash>`` algorithm OIDs and their digests."""

_RSA_PKCS1: dict[str, str] = {
    "1.2.840.113549.1.1.5": "sha1",
    "1.2.840.113549.1.1.14": "sha224",
    "1.2.840.113549.1.1.11": "sha256",
    "1.2.840.113549.1.1.12": "sha384",
    "1.2.840.113549.1.1.13": "sha512",
    "2.16.840.1.101.3.4.3.14": "sha3_256",
    "2.16.840.1.101.3.4.3.15": "sha3_384",
    "2.16.840.1.101.3.4.3.16": "sha3_512",
}
_ECDSA_DER: dict[str, str] = {
    "1.2.840.10045.4.1": "sha1",
    "1.2.840.10045.4.3.1": "sha224",
    "1.2.840.10045.4.3.2": "sha256",
    "1.2.840.10045.4.3.3": "sha384",
    "1.2.840.10045.4.3.4": "sha512",
    "2.16.840.1.101.3.4.3.10": "sha3_256",
    "2.16.840.1.101.3.4.3.11": "sha3_384",
    "2.16.840.1.101.3.4.3.12": "sha3_512",
}
_DSA: dict[str, str] = {
    "1.2.840.10040.4.3": "sha1",
    "2.16.840.1.101.3.4.3.1": "sha224",
    "2.16.840.1.101.3.4.3.2": "sha256",
    "2.16.840.1.101.3.4.3.3": "sha384",
    "2.16.840.1.101.3.4.3.4": "sha512",
    "2.16.840.1.101.3.4.3.6": "sha3_256",
    "2.16.840.1.101.3.4.3.7": "sha3_384",
    "2.16.840.1.101.3.4.3.8": "sha3_512",
}
_ID_DSA = "1.2.840.10040.4.1"  # as a CMS signature algorithm: DSA with the digest
_RSA_ENCRYPTION = (
    "1.2.840.113549.1.1.1"  # as a CMS signature algorithm: PKCS#1 v1.5 with the digest
)
_EC_PUBLIC_KEY = "1.2.840.10045.2.1"  # as a CMS signature algorithm: ECDSA with the digest
_PSS = "1.2.840.113549.1.1.10"
_EDDSA: dict[str, tuple[type[ed25519.Ed25519PublicKey | ed448.Ed448PublicKey], str]] = {
    "1.3.101.112": (ed25519.Ed25519PublicKey, "sha512"),
    "1.3.101.113": (ed448.Ed448PublicKey, "shake256"),
}
"""Ed25519 and Ed448 (RFC 8410) with the CMS digest RFC 8419 3.1 requires of each."""

_SHAKE256_LEN = "2.16.840.1.101.3.4.2.18"  # id-shake256-len (RFC 8702): ShakeOutputLen in bits
_SHAKE256_512 = core.Integer(512).dump()
_NO_PARAMETERS = (b"", core.Null().dump())


def digest_name(algorithm: algos.DigestAlgorithm) -> str:
    """The `eid.hashing` name of a CMS digest algorithm identifier, its parameters checked.

    A fixed-length digest takes no parameters, or NULL (RFC 5754 2; anything else is a
    second encoding). id-shake256-len is SHAKE256 with its output length in bits as the
    parameter: RFC 8419 2.3 has Ed448 use 512 (DER INTEGER 512), named ``shake256`` here
    as id-shake256 is; any other length, or none, is refused. Raises `MalformedInput`.
    """
    try:
        oid = str(algorithm["algorithm"].dotted)
        name = str(algorithm["algorithm"].native)
        parameters = algorithm["parameters"].dump()
    except (ValueError, TypeError, KeyError) as error:
        raise MalformedInput(
            f"unreadable digest algorithm ({brief(error)})", field="digestAlgorithm"
        ) from error
    if oid != _SHAKE256_LEN:
        if parameters not in _NO_PARAMETERS:
            raise MalformedInput(
                "the digest algorithm has parameters (it takes none, or NULL)",
                field="digestAlgorithm",
            )
        return name
    if parameters == _SHAKE256_512:
        return "shake256"
    raise MalformedInput(
        f"id-shake256-len {_output_length(parameters)}: RFC 8419 accepts only a 512-bit "
        "output (the DER INTEGER 512)",
        field="digestAlgorithm",
    )


def _output_length(parameters: bytes) -> str:
    """Id-shake256-len's parameters in words, for a refusal."""
    if not parameters:
        return "without its output length"
    try:
        bits = int(core.Integer.load(parameters, strict=True).native)
    except (ValueError, TypeError):
        bits = None
    if bits is None or core.Integer(bits).dump() != parameters:
        return "whose output length is not a DER INTEGER"
    return f"with a {bits}-bit output"


PublicKey = (
    rsa.RSAPublicKey
    | dsa.DSAPublicKey
    | ec.EllipticCurvePublicKey
    | ed25519.Ed25519PublicKey
    | ed448.Ed448PublicKey
)


def _hash(
    name: str | None, what: str, legacy: frozenset[str] = frozenset()
) -> hashes.HashAlgorithm:
    if name is None or (name not in _VERIFY_HASHES and name not in legacy):
        raise MalformedInput(f"digest {name!r} is not accepted", field=what)
    return HASHES[name]()


def _digest_name(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.lower().replace("-", "")
    return str(value["algorithm"].native).lower()


def _public_key(public_key_info: Any) -> PublicKey:
    try:
        der = public_key_info if isinstance(public_key_info, bytes) else public_key_info.dump()
        key = serialization.load_der_public_key(der)
    except (ValueError, UnsupportedAlgorithm, TypeError) as error:
        raise MalformedInput(
            f"unusable public key ({error})", field="subjectPublicKeyInfo"
        ) from error
    if not isinstance(key, PublicKey):
        raise MalformedInput(
            f"{type(key).__name__} keys are not accepted", field="subjectPublicKeyInfo"
        )
    return key


def _pss(parameters: Any, key: rsa.RSAPublicKey) -> tuple[hashes.HashAlgorithm, padding.PSS]:
    """The hash and padding of RSASSA-PSS parameters, checked against RFC 8017 and the key.

    The parameters are not covered by the signature, so they are input like any other:
    a known hash, MGF1 with a known hash, trailer field 1, and a salt that fits the key
    (0 <= sLen <= emLen - hLen - 2, emLen the encoded message length of the modulus).
    """
    try:
        params = parameters if isinstance(parameters, algos.RSASSAPSSParams) else None
        if params is None:
            params = algos.RSASSAPSSParams.load(parameters.dump())
        digest = _hash(str(params["hash_algorithm"]["algorithm"].native), "RSASSA-PSS hash")
        mgf = params["mask_gen_algorithm"]
        if mgf["algorithm"].native != "mgf1":
            raise MalformedInput("only MGF1 is accepted", field="RSASSA-PSS maskGenAlgorithm")
        mgf_hash = _hash(str(mgf["parameters"]["algorithm"].native), "RSASSA-PSS MGF1 hash")
        salt = params["salt_length"].native
        trailer = params["trailer_field"].native
    except (ValueError, TypeError, KeyError) as error:
        raise MalformedInput(
            f"bad RSASSA-PSS parameters ({error})", field="signatureAlgorithm"
        ) from error
    if trailer not in ("trailer_field_bc", 1):
        raise MalformedInput("trailer field must be 1", field="RSASSA-PSS trailerField")
    encoded_length = (key.key_size - 1 + 7) // 8
    largest = encoded_length - digest.digest_size - 2
    if not isinstance(salt, int) or not 0 <= salt <= largest:
        raise MalformedInput(
            f"salt length must be between 0 and {largest} for this key and hash",
            field="RSASSA-PSS saltLength",
        )
    return digest, padding.PSS(mgf=padding.MGF1(mgf_hash), salt_length=salt)


def _algorithm_oid(algorithm: Any) -> tuple[str, Any]:
    if isinstance(algorithm, str):
        return algorithm, None
    try:
        return str(algorithm["algorithm"].dotted), algorithm["parameters"]
    except (ValueError, TypeError, KeyError) as error:
        raise MalformedInput(
            f"unreadable algorithm ({error})", field="signatureAlgorithm"
        ) from error


def verify_signature_value(
    public_key_info: keys.PublicKeyInfo | bytes,
    algorithm: algos.SignedDigestAlgorithm | str,
    signature: bytes,
    data: bytes,
    *,
    digest_algorithm: algos.DigestAlgorithm | str | None = None,
    legacy_digests: frozenset[str] = frozenset(),
    prehashed: bool = False,
) -> bool:
    """Whether ``signature`` is a valid signature over ``data`` by the key, with ``algorithm``.

    ``public_key_info`` is a SubjectPublicKeyInfo (asn1crypto or DER); ``algorithm`` a
    signature AlgorithmIdentifier (asn1crypto) or its dotted OID. ``digest_algorithm`` is
    used where the algorithm names no digest (CMS signer infos that say only
    ``rsaEncryption`` or ``id-ecPublicKey``). Returns False for a signature that does not
    verify; raises `MalformedInput` for a key or an algorithm that cannot be used (unknown,
    unsupported, SHA-1, parameters that make no sense, key type not matching).
    ``legacy_digests`` (such as ``{"sha1"}``) are verified too, for a caller that judges
    them by the date the signature is proven to have existed. ``prehashed``: ``data`` is
    already the ``digest_algorithm`` digest of the signed data (a CMS signer info without
    signed attributes signs its content directly); the algorithm's digest must be that one.
    """
    key = _public_key(public_key_info)
    oid, parameters = _algorithm_oid(algorithm)
    fallback = _digest_name(digest_algorithm)

    def over(digest: hashes.HashAlgorithm) -> hashes.HashAlgorithm | Prehashed:
        if not prehashed:
            return digest
        if (
            fallback is None
            or fallback not in HASHES
            or not isinstance(digest, type(HASHES[fallback]()))
        ):
            raise MalformedInput(
                f"the signature algorithm's digest is not the signer's {fallback!r}",
                field="signatureAlgorithm",
            )
        if len(data) != digest.digest_size:
            raise InvalidSignature
        return Prehashed(digest)

    try:
        if oid in _RSA_PKCS1 or oid in (_RSA_ENCRYPTION, _PSS):
            if not isinstance(key, rsa.RSAPublicKey):
                raise MalformedInput(
                    "an RSA algorithm with a non-RSA key", field="signatureAlgorithm"
                )
            if oid == _PSS:
                digest, pss = _pss(parameters, key)
                key.verify(signature, data, pss, over(digest))
            else:
                digest = _hash(_RSA_PKCS1.get(oid, fallback), "signatureAlgorithm", legacy_digests)
                key.verify(signature, data, padding.PKCS1v15(), over(digest))
            return True
        if oid in _ECDSA_DER or oid == _EC_PUBLIC_KEY or oid in PLAIN_ECDSA_OIDS:
            if not isinstance(key, ec.EllipticCurvePublicKey):
                raise MalformedInput(
                    "an ECDSA algorithm with a non-EC key", field="signatureAlgorithm"
                )
            if oid in PLAIN_ECDSA_OIDS:
                signature = _plain_to_der(signature, key)
                if not signature:
                    return False
                digest = _hash(PLAIN_ECDSA_OIDS[oid], "signatureAlgorithm")
            else:
                digest = _hash(_ECDSA_DER.get(oid, fallback), "signatureAlgorithm", legacy_digests)
            key.verify(signature, data, ec.ECDSA(over(digest)))
            return True
        if oid in _DSA or oid == _ID_DSA:
            if not isinstance(key, dsa.DSAPublicKey):
                raise MalformedInput(
                    "a DSA algorithm with a non-DSA key", field="signatureAlgorithm"
                )
            digest = _hash(_DSA.get(oid, fallback), "signatureAlgorithm", legacy_digests)
            key.verify(signature, data, over(digest))
            return True
        if oid in _EDDSA:
            _eddsa_key(oid, key, fallback, prehashed).verify(signature, data)
            return True
    except InvalidSignature:
        return False
    raise MalformedInput(
        f"signature algorithm {brief(oid, 80)} is not accepted", field="signatureAlgorithm"
    )


def _eddsa_key(
    oid: str, key: PublicKey, digest: str | None, prehashed: bool
) -> ed25519.Ed25519PublicKey | ed448.Ed448PublicKey:
    """``key``, if EdDSA ``oid`` fits it, the CMS digest and the data; else `MalformedInput`."""
    kind, required = _EDDSA[oid]
    if not isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey) or not isinstance(
        key, kind
    ):
        raise MalformedInput("an EdDSA algorithm with another key", field="signatureAlgorithm")
    if digest is not None and digest != required:
        raise MalformedInput(
            f"{brief(oid, 80)} requires the digest {required} (RFC 8419), not {digest!r}",
            field="digestAlgorithm",
        )
    if prehashed:
        raise MalformedInput(
            "EdDSA signs the content itself: a signature without signed attributes "
            "cannot be checked from the content's digest",
            field="signatureAlgorithm",
        )
    return key


def _plain_to_der(signature: bytes, key: ec.EllipticCurvePublicKey) -> bytes:
    """R || s as DER, or b"" when the length is not exactly twice the order's."""
    size = (key.curve.key_size + 7) // 8
    if len(signature) != 2 * size:
        return b""
    r = int.from_bytes(signature[:size], "big")
    s = int.from_bytes(signature[size:], "big")
    return encode_dss_signature(r, s)
