"""XML-DSig and XML-Enc algorithm identifiers, and what each means for `cryptography`.

One table per kind of algorithm. A URI not in a table is refused where it is met; SHA-1
(digest or signature) is in the tables but refused unless the caller allows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cryptography.hazmat.primitives import hashes

from eid.errors import AlgorithmRefused, Sha1Refused
from eid.hashing import HASHES

__all__ = [
    "C14N_11",
    "C14N_EXCLUSIVE",
    "C14N_INCLUSIVE",
    "CANONICALIZATIONS",
    "DIGESTS",
    "DSIG_NS",
    "ENVELOPED_SIGNATURE",
    "SIGNATURE_METHODS",
    "XENC11_NS",
    "XENC_NS",
    "SignatureMethod",
    "digest_hash",
    "signature_method",
]

DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
"""The XML-DSig namespace."""
XENC_NS = "http://www.w3.org/2001/04/xmlenc#"
"""The XML-Enc namespace."""
XENC11_NS = "http://www.w3.org/2009/xmlenc11#"
"""The XML-Enc 1.1 namespace (AES-GCM, RSA-OAEP with a chosen MGF)."""

C14N_EXCLUSIVE = "http://www.w3.org/2001/10/xml-exc-c14n#"
"""Exclusive canonicalisation 1.0 without comments: what `eid` signs with."""
C14N_INCLUSIVE = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
"""Inclusive canonicalisation 1.0 without comments: accepted when verifying others' documents."""
C14N_11 = "http://www.w3.org/2006/12/xml-c14n11"
"""Canonical XML 1.1 without comments: the same output as 1.0 unless ``xml:`` attributes
are inherited, so it is accepted only for documents without any (`eid.xmlsig.verify`)."""
CANONICALIZATIONS: dict[str, bool] = {C14N_EXCLUSIVE: True, C14N_INCLUSIVE: False, C14N_11: False}
"""The accepted canonicalisations, each mapped to whether it is exclusive. The
``#WithComments`` variants are refused: signed content carries no comments."""
ENVELOPED_SIGNATURE = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
"""The transform that removes the signature from the element it signs."""

DIGESTS: dict[str, str] = {
    "http://www.w3.org/2000/09/xmldsig#sha1": "sha1",
    "http://www.w3.org/2001/04/xmlenc#sha256": "sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384": "sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
}
"""Digest method URIs and their `eid.hashing` names."""


@dataclass(frozen=True)
class SignatureMethod:
    """One XML-DSig signature method: its URI, key type, digest and padding."""

    uri: str
    key_type: Literal["rsa", "ec"]
    hash_name: str
    pss: bool = False

    def hash(self) -> hashes.HashAlgorithm:
        """A fresh `cryptography` hash object for this method's digest."""
        return HASHES[self.hash_name]()


def _methods(*methods: SignatureMethod) -> dict[str, SignatureMethod]:
    return {method.uri: method for method in methods}


_MORE = "http://www.w3.org/2001/04/xmldsig-more#"
_MGF1 = "http://www.w3.org/2007/05/xmldsig-more#"
SIGNATURE_METHODS: dict[str, SignatureMethod] = _methods(
    SignatureMethod("http://www.w3.org/2000/09/xmldsig#rsa-sha1", "rsa", "sha1"),
    SignatureMethod(_MORE + "rsa-sha256", "rsa", "sha256"),
    SignatureMethod(_MORE + "rsa-sha384", "rsa", "sha384"),
    SignatureMethod(_MORE + "rsa-sha512", "rsa", "sha512"),
    SignatureMethod(_MGF1 + "sha256-rsa-MGF1", "rsa", "sha256", pss=True),
    SignatureMethod(_MGF1 + "sha384-rsa-MGF1", "rsa", "sha384", pss=True),
    SignatureMethod(_MGF1 + "sha512-rsa-MGF1", "rsa", "sha512", pss=True),
    SignatureMethod(_MORE + "ecdsa-sha1", "ec", "sha1"),
    SignatureMethod(_MORE + "ecdsa-sha256", "ec", "sha256"),
    SignatureMethod(_MORE + "ecdsa-sha384", "ec", "sha384"),
    SignatureMethod(_MORE + "ecdsa-sha512", "ec", "sha512"),
)
"""Signature methods by URI (RSASSA-PSS as RFC 6931's ``*-rsa-MGF1``, salt = digest length).
HMAC methods are absent on purpose: a public key is never used as an HMAC secret."""


def _refuse_sha1(name: str, what: str, allow_sha1: bool) -> None:
    if name == "sha1" and not allow_sha1:
        raise Sha1Refused(f"the {what} uses SHA-1, which is not allowed for this signer")


def signature_method(uri: str | None, *, allow_sha1: bool = False) -> SignatureMethod:
    """The signature method called ``uri``; `AlgorithmRefused` (or `Sha1Refused`) otherwise."""
    method = SIGNATURE_METHODS.get(uri or "")
    if method is None:
        raise AlgorithmRefused(f"signature method {uri!r} is not accepted")
    _refuse_sha1(method.hash_name, "signature method", allow_sha1)
    return method


def digest_hash(uri: str | None, *, allow_sha1: bool = False) -> str:
    """The `eid.hashing` name of digest method ``uri``; refused like `signature_method`."""
    name = DIGESTS.get(uri or "")
    if name is None:
        raise AlgorithmRefused(f"digest method {uri!r} is not accepted")
    _refuse_sha1(name, "digest method", allow_sha1)
    return name
