"""Signers: a key that makes CMS signatures for pyHanko, on a token or in memory.

Both implement pyHanko's `Signer` (``async_sign_raw``). `TokenSigner` signs with
a key on a PKCS#11 token (a card's signature or authentication key, an HSM key)
through `eid.tokens.Token.sign`, which hashes the signed attributes in software
and sends only the digest where the key allows a raw mechanism, hands them to a
hash-and-sign mechanism where the key allows only those, and asks the PIN before
each signature when the key demands it. `SoftwareSigner` keeps a parsed private
key in memory (pyHanko's `SimpleSigner` parses its key again for every signature).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import cast

from asn1crypto import algos
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.sign.signers.pdf_cms import Signer, select_suitable_signing_md
from pyhanko_certvalidator.registry import SimpleCertificateStore

from eid.errors import MalformedInput, UsageError
from eid.hashing import hash_algorithm
from eid.sign.options import DIGESTS
from eid.tokens import Role, Token
from eid.tokens.token import readable_name

__all__ = ["EidSigner", "SoftwareSigner", "TokenSigner", "certificate_chain"]

# Hash objects made once, for the signing digests.
_HASHES: dict[str, hashes.HashAlgorithm] = {name: hash_algorithm(name) for name in DIGESTS}

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def certificate_chain(
    certificate: x509.Certificate, candidates: Iterable[x509.Certificate]
) -> list[x509.Certificate]:
    """The issuers of ``certificate`` found among ``candidates``, nearest first, up to a root.

    Matched by name (issuer to subject); the chain stops where no issuer is found.
    """
    pool = [c for c in candidates if c != certificate]
    chain: list[x509.Certificate] = []
    current = certificate
    while current.issuer != current.subject:
        issuer = next((c for c in pool if c.subject == current.issuer and c not in chain), None)
        if issuer is None:
            break
        chain.append(issuer)
        current = issuer
    return chain


class EidSigner(Signer):
    """What `TokenSigner` and `SoftwareSigner` share: certificates, digest and mechanism choice."""

    def __init__(
        self,
        certificate: x509.Certificate,
        chain: Sequence[x509.Certificate] = (),
        *,
        prefer_pss: bool = False,
    ) -> None:
        """Sign as ``certificate``, embedding ``chain`` (its CA certificates) in every signature."""
        public_key = certificate.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
            raise UsageError(f"only RSA and EC keys can sign, not {type(public_key).__name__}")
        self.certificate = certificate
        self.chain = list(chain)
        self.public_key: PublicKey = public_key
        super().__init__(
            prefer_pss=prefer_pss,
            signing_cert=_asn1(certificate),
            cert_registry=SimpleCertificateStore.from_certs([_asn1(c) for c in self.chain]),  # type: ignore[no-untyped-call]
        )

    @property
    def name(self) -> str:
        """The signer's name as its certificate gives it (the common name, else the whole DN)."""
        names = self.certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        return str(names[0].value) if names else readable_name(self.certificate.subject)

    def default_digest(self) -> str:
        """The digest that suits the key: SHA-256 up to RSA-2048 and P-256, SHA-384 for P-384."""
        assert self.signing_cert is not None
        digest = str(select_suitable_signing_md(self.signing_cert.public_key))
        return digest if digest in DIGESTS else "sha256"

    def get_signature_mechanism_for_digest(
        self, digest_algorithm: str | None
    ) -> algos.SignedDigestAlgorithm:
        """The CMS signature algorithm; RSASSA-PSS uses a salt as long as the digest."""
        if (
            self.prefer_pss
            and digest_algorithm is not None
            and isinstance(self.public_key, rsa.RSAPublicKey)
        ):
            digest = digest_algorithm
            params = algos.RSASSAPSSParams(
                {
                    "hash_algorithm": {"algorithm": digest},
                    "mask_gen_algorithm": {
                        "algorithm": "mgf1",
                        "parameters": {"algorithm": digest},
                    },
                    "salt_length": _HASHES[digest].digest_size,
                    "trailer_field": "trailer_field_bc",
                }
            )
            return algos.SignedDigestAlgorithm({"algorithm": "rsassa_pss", "parameters": params})
        return cast(
            algos.SignedDigestAlgorithm,
            super().get_signature_mechanism_for_digest(digest_algorithm),
        )

    def _placeholder(self) -> bytes:
        """Bytes as long as the longest signature the key can make (for size estimates)."""
        if isinstance(self.public_key, rsa.RSAPublicKey):
            return bytes((self.public_key.key_size + 7) // 8)
        size = (self.public_key.curve.key_size + 7) // 8
        return bytes(2 * (size + 3) + 3)

    def _check_digest(self, digest_algorithm: str) -> hashes.HashAlgorithm:
        algorithm = _HASHES.get(digest_algorithm)
        if algorithm is None:
            raise UsageError(
                f"digest must be one of {', '.join(DIGESTS)}, got {digest_algorithm!r}"
            )
        return algorithm


class TokenSigner(EidSigner):
    """Signs with a key on a PKCS#11 token: a card's signature or authentication key, an HSM key.

    The certificate beside the key is the signing certificate; the token's CA and
    root certificates (as on a Belgian eID) and ``extra_certificates`` make the chain.
    The PIN is asked by the token's `PinProvider` (or the pinpad), before each
    signature when the key needs it (``CKA_ALWAYS_AUTHENTICATE``, as the card's
    signature key does).
    """

    def __init__(
        self,
        token: Token,
        role: Role | str = Role.SIGNATURE,
        *,
        prefer_pss: bool = False,
        extra_certificates: Sequence[x509.Certificate] = (),
    ) -> None:
        """Sign with ``token``'s ``role`` key (default: the qualified signature key)."""
        self.token = token
        self.role = Role(role)
        if self.role not in (Role.SIGNATURE, Role.AUTHENTICATION, Role.OTHER):
            raise UsageError(f"a {self.role.value} certificate has no key to sign with")
        certificate = token.certificate(self.role).certificate
        pool = [c.certificate for c in token.certificates()] + list(extra_certificates)
        super().__init__(certificate, certificate_chain(certificate, pool), prefer_pss=prefer_pss)

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        """Sign ``data`` (the DER signed attributes) with ``digest_algorithm`` on the token."""
        self._check_digest(digest_algorithm)
        if dry_run:
            return self._placeholder()
        # The token call blocks (and may wait for a PIN or a pinpad): keep it off the event loop.
        return await asyncio.to_thread(
            self.token.sign,
            data,
            key=self.role,
            hash=digest_algorithm,  # type: ignore[arg-type]  # checked against DIGESTS
            padding="pss" if self.prefer_pss else "pkcs1v15",
        )


class SoftwareSigner(EidSigner):
    """Signs with a private key held in memory, parsed once (from PKCS#12 or PEM)."""

    def __init__(
        self,
        key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
        certificate: x509.Certificate,
        chain: Sequence[x509.Certificate] = (),
        *,
        prefer_pss: bool = False,
    ) -> None:
        """Sign with ``key``, whose certificate is ``certificate``; ``chain`` are its CAs."""
        if _spki(key.public_key()) != _spki(certificate.public_key()):
            raise UsageError("the private key does not belong to the certificate")
        self._key = key
        super().__init__(certificate, chain, prefer_pss=prefer_pss)

    @classmethod
    def from_pkcs12(
        cls,
        source: Path | str | bytes,
        password: bytes | str | None = None,
        *,
        prefer_pss: bool = False,
    ) -> SoftwareSigner:
        """Load a PKCS#12 file (or its bytes): the key, its certificate and the CA certificates."""
        data, name = _read(source)
        secret = password.encode() if isinstance(password, str) else password
        try:
            key, certificate, extra = pkcs12.load_key_and_certificates(data, secret)
        except ValueError as error:
            raise MalformedInput(
                f"not a PKCS#12 file, or a wrong password ({error})", source=name
            ) from error
        if certificate is None or not isinstance(
            key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
        ):
            raise MalformedInput("holds no RSA or EC key with its certificate", source=name)
        return cls(key, certificate, certificate_chain(certificate, extra), prefer_pss=prefer_pss)

    @classmethod
    def from_pem(
        cls,
        key: Path | str | bytes,
        certificate: Path | str | bytes,
        chain: Sequence[Path | str | bytes] = (),
        *,
        password: bytes | str | None = None,
        prefer_pss: bool = False,
    ) -> SoftwareSigner:
        """Load a PEM (or DER) private key, its certificate and CA certificates (files or bytes)."""
        key_data, key_name = _read(key)
        secret = password.encode() if isinstance(password, str) else password
        try:
            if b"-----BEGIN" in key_data:
                private = serialization.load_pem_private_key(key_data, secret)
            else:
                private = serialization.load_der_private_key(key_data, secret)
        except (ValueError, TypeError) as error:
            raise MalformedInput(
                f"not a private key, or a wrong password ({error})", source=key_name
            ) from error
        if not isinstance(private, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise MalformedInput("only RSA and EC keys can sign", source=key_name)
        signing = _certificates(certificate)
        pool = [c for item in chain for c in _certificates(item)] + signing[1:]
        return cls(private, signing[0], certificate_chain(signing[0], pool), prefer_pss=prefer_pss)

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        """Sign ``data`` (the DER signed attributes) hashed with ``digest_algorithm``."""
        algorithm = self._check_digest(digest_algorithm)
        if dry_run:
            return self._placeholder()
        hasher = hashes.Hash(algorithm)
        hasher.update(data)
        digest = hasher.finalize()
        prehashed = Prehashed(algorithm)
        if isinstance(self._key, ec.EllipticCurvePrivateKey):
            return self._key.sign(digest, ec.ECDSA(prehashed))
        if self.prefer_pss:
            pss = padding.PSS(
                mgf=padding.MGF1(_HASHES[digest_algorithm]),
                salt_length=_HASHES[digest_algorithm].digest_size,
            )
            return self._key.sign(digest, pss, prehashed)
        return self._key.sign(digest, padding.PKCS1v15(), prehashed)


def _spki(key: object) -> bytes:
    assert isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _read(source: Path | str | bytes) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        return source, "data"
    path = Path(os.fspath(source))
    try:
        return path.read_bytes(), str(path)
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror}") from error


def _certificates(source: Path | str | bytes) -> list[x509.Certificate]:
    data, name = _read(source)
    try:
        if b"-----BEGIN" in data:
            found = x509.load_pem_x509_certificates(data)
        else:
            found = [x509.load_der_x509_certificate(data)]
    except ValueError as error:
        raise MalformedInput(f"not a certificate ({error})", source=name) from error
    return found
