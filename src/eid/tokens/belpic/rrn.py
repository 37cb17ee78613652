"""The national register's (RRN) signatures over the identity and address files, and the photo hash.

As the card defines them: the identity signature covers the identity file's bytes; the
address signature covers the address file with its trailing 0x00 removed, followed by the
identity signature file's bytes. RSA keys sign with PKCS#1 v1.5 (SHA-1 on old cards,
SHA-256 later); EC P-384 keys (applet 1.8) with ECDSA SHA-384, the signature file holding a
DER signature padded with 0x00 (its real length is 2 + its second byte; the padding must be
zeros). Identity tag 0x11
is the photo's SHA-1, SHA-256 or SHA-384, told apart by length.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from eid.errors import MalformedInput, SignatureInvalid
from eid.tokens.belpic.labels import (
    ADDRESS_FILE,
    CERT_RN_FILE,
    DATA_FILE,
    PHOTO_FILE,
    SIGN_ADDRESS_FILE,
    SIGN_DATA_FILE,
)
from eid.tokens.digestinfo import digest_info

EC_SIGNATURE_FILE_SIZE = 104
"""Size of an EC signature file written by :func:`sign_card_files`: the longest DER encoding
of a P-384 ECDSA signature, so every signature fits and shorter ones are 0x00-padded."""

# Old cards sign with SHA-1: verifying them needs it.
_RSA_HASHES = ("sha256", "sha1")
_PHOTO_HASHES = {20: "sha1", 32: "sha256", 48: "sha384"}


def load_rrn_certificate(data: bytes) -> x509.Certificate:
    """Parse the RRN certificate (``CERT_RN_FILE``, DER) and check that its key is usable.

    Raises MalformedInput for anything else than a DER certificate with an RSA or EC key.
    """
    try:
        certificate = x509.load_der_x509_certificate(data)
    except (ValueError, x509.InvalidVersion) as error:
        raise MalformedInput(f"not a DER certificate: {error}", source=CERT_RN_FILE) from None
    _public_key(certificate)
    return certificate


def _public_key(certificate: x509.Certificate) -> rsa.RSAPublicKey | ec.EllipticCurvePublicKey:
    """The certificate's RSA or EC key; MalformedInput for an unknown or unreadable one."""
    try:
        key = certificate.public_key()
    except (ValueError, UnsupportedAlgorithm) as error:
        raise MalformedInput(f"unreadable public key: {error}", source=CERT_RN_FILE) from None
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise MalformedInput("the RRN key is neither RSA nor EC", source=CERT_RN_FILE)
    return key


def verify_identity_signature(
    identity_file: bytes, signature_file: bytes, certificate: x509.Certificate
) -> str:
    """Check ``SIGN_DATA_FILE`` over the identity file; return the hash used (``sha256``…).

    Raises SignatureInvalid naming ``DATA_FILE`` when it does not match.
    """
    return _verify(
        certificate,
        signature_file,
        identity_file,
        SignatureInvalid(f"the RRN signature {SIGN_DATA_FILE} does not match", source=DATA_FILE),
    )


def verify_address_signature(
    address_file: bytes,
    signature_file: bytes,
    identity_signature_file: bytes,
    certificate: x509.Certificate,
) -> str:
    """Check ``SIGN_ADDRESS_FILE`` over the address and the identity signature; return the hash.

    Raises SignatureInvalid naming ``ADDRESS_FILE`` when it does not match.
    """
    return _verify(
        certificate,
        signature_file,
        _address_signed_data(address_file, identity_signature_file),
        SignatureInvalid(
            f"the RRN signature {SIGN_ADDRESS_FILE} does not match the address file "
            f"followed by {SIGN_DATA_FILE}",
            source=ADDRESS_FILE,
        ),
    )


def verify_photo_hash(photo: bytes, photo_hash: bytes) -> str:
    """Check the photo against identity tag 0x11; return the hash used (by its length).

    Raises SignatureInvalid naming ``PHOTO_FILE`` when it does not match.
    """
    name = _PHOTO_HASHES.get(len(photo_hash))
    if name is None:
        raise MalformedInput(
            f"a photo hash of {len(photo_hash)} bytes (expected 20, 32 or 48)",
            source=DATA_FILE,
            field="0x11",
        )
    if hashlib.new(name, photo).digest() != photo_hash:
        raise SignatureInvalid(
            f"the photo's {name} does not match photo_hash (identity tag 0x11)", source=PHOTO_FILE
        )
    return name


def sign_card_files(
    identity_file: bytes,
    address_file: bytes,
    rrn_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
) -> tuple[bytes, bytes]:
    """Make ``(SIGN_DATA_FILE, SIGN_ADDRESS_FILE)`` for a test card, as the RRN would.

    An RSA key signs with SHA-256 and PKCS#1 v1.5; an EC P-384 key with ECDSA SHA-384, each
    DER signature padded with 0x00 to :data:`EC_SIGNATURE_FILE_SIZE` bytes.
    """
    identity_signature = _sign(rrn_key, identity_file)
    return identity_signature, _sign(
        rrn_key, _address_signed_data(address_file, identity_signature)
    )


def _address_signed_data(address_file: bytes, identity_signature_file: bytes) -> bytes:
    return address_file.rstrip(b"\x00") + identity_signature_file


def _sign(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP384R1):
        return key.sign(data, ec.ECDSA(hashes.SHA384())).ljust(EC_SIGNATURE_FILE_SIZE, b"\x00")
    raise TypeError("the RRN key must be RSA or EC P-384")


def _verify(
    certificate: x509.Certificate, signature: bytes, data: bytes, failure: SignatureInvalid
) -> str:
    key = _public_key(certificate)
    if isinstance(key, rsa.RSAPublicKey):
        if len(signature) != (key.key_size + 7) // 8:
            raise failure
        # One RSA operation recovers the DigestInfo; it must equal, byte for byte, the
        # encoding of the data's digest under one of the hashes cards use.
        try:
            recovered = key.recover_data_from_signature(signature, padding.PKCS1v15(), None)
        except InvalidSignature:
            raise failure from None
        for name in _RSA_HASHES:
            if hmac.compare_digest(recovered, digest_info(name, hashlib.new(name, data).digest())):
                return name
        raise failure
    # The DER signature (a SEQUENCE of short definite length: P-384 needs at most 102
    # bytes) and nothing but zeros after it: another padding would be another file
    # with the same signature.
    if signature[:1] != b"\x30" or len(signature) < 2 or signature[1] >= 0x80:
        raise failure
    end = 2 + signature[1]
    if len(signature) < end or signature[end:].strip(b"\x00"):
        raise failure
    try:
        key.verify(signature[:end], data, ec.ECDSA(hashes.SHA384()))
    except InvalidSignature:
        raise failure from None
    return "sha384"
