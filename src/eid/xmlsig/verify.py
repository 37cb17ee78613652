"""Verification of an enveloped XML signature that returns only what the signature covers.

`verify_enveloped(element, keys=...)` checks the one ``ds:Signature`` child of ``element``
against the caller's keys (never a key or certificate from the message), and returns a
`Verified` whose ``element`` is a detached copy of the exact element that was digested:
text the signature does not cover (another assertion, a wrapper, a comment) cannot be
read through it. Refused, each with its own error: no signature or several; a Reference
other than exactly one pointing at ``element`` by a unique ID (or ``""`` at the document
element); transforms other than enveloped-signature and one canonicalisation; comments in
the signed content; SHA-1 unless allowed; an algorithm no given key can verify.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Collection, Iterable, Sequence
from copy import copy
from dataclasses import dataclass
from functools import cache

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from lxml import etree

from eid.errors import (
    AlgorithmRefused,
    MalformedInput,
    SignatureInvalid,
    SignatureMissing,
    SignatureReferenceInvalid,
    SignedCommentRefused,
    UsageError,
)
from eid.hashing import HASHES
from eid.xmlsig.algorithms import (
    C14N_11,
    C14N_EXCLUSIVE,
    CANONICALIZATIONS,
    DSIG_NS,
    ENVELOPED_SIGNATURE,
    SignatureMethod,
    digest_hash,
    signature_method,
)
from eid.xmlsig.c14n import canonicalize, detached

__all__ = ["PublicKey", "Verified", "public_keys", "verify_enveloped"]

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey
"""A key that can verify an XML signature."""

_DS = f"{{{DSIG_NS}}}"
_COMMENTS = etree.XPath("boolean(descendant::comment())")
_XML_ATTRIBUTES = etree.XPath("boolean(//@xml:*)")
_INCLUSIVE = f"{{{C14N_EXCLUSIVE}}}InclusiveNamespaces"


@dataclass(frozen=True)
class Verified:
    """What a verified signature covers, and how it was signed.

    ``element`` is a copy, in a document of its own, of the exact element whose canonical
    form ``canonical`` the digest was computed on, without its signature: nothing outside
    the signed content can be reached from it (no parent, no siblings) and it holds no
    comment. ``key`` is the caller's key that verified it.
    """

    element: etree._Element
    canonical: bytes
    method: SignatureMethod
    digest: str
    key: PublicKey


def public_keys(items: Iterable[x509.Certificate | PublicKey]) -> tuple[PublicKey, ...]:
    """The RSA and EC public keys of ``items`` (certificates or keys), parsed once."""
    keys: list[PublicKey] = []
    for item in items:
        key = item.public_key() if isinstance(item, x509.Certificate) else item
        if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
            raise UsageError(f"a {type(key).__name__} cannot verify XML signatures")
        keys.append(key)
    return tuple(keys)


def _one(parent: etree._Element, tag: str, what: str) -> etree._Element:
    found = list(parent.iterchildren(_DS + tag))
    if len(found) != 1:
        raise SignatureReferenceInvalid(f"the {what} must hold exactly one {tag}, not {len(found)}")
    return found[0]


def _base64(element: etree._Element, what: str) -> bytes:
    text = "".join((element.text or "").split())
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedInput(f"{what} is not base64", field=what) from None


def _canonicalization(node: etree._Element) -> tuple[bool, tuple[str, ...]]:
    algorithm = node.get("Algorithm")
    if algorithm not in CANONICALIZATIONS:
        raise AlgorithmRefused(f"canonicalisation {algorithm!r} is not accepted")
    if algorithm == C14N_11 and _XML_ATTRIBUTES(node):
        raise AlgorithmRefused("Canonical XML 1.1 is accepted only without xml: attributes")
    inclusive = node.find(_INCLUSIVE)
    if inclusive is None:
        return CANONICALIZATIONS[algorithm], ()
    if not CANONICALIZATIONS[algorithm]:
        raise AlgorithmRefused("InclusiveNamespaces belongs to exclusive canonicalisation only")
    return True, tuple((inclusive.get("PrefixList") or "").split())


def _check_value(method: SignatureMethod, key: PublicKey, value: bytes, data: bytes) -> bool:
    algorithm = method.hash()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            pad: padding.AsymmetricPadding = (
                padding.PSS(padding.MGF1(algorithm), algorithm.digest_size)
                if method.pss
                else padding.PKCS1v15()
            )
            key.verify(value, data, pad, algorithm)
        else:
            size = (key.curve.key_size + 7) // 8
            if len(value) != 2 * size:
                return False
            r = int.from_bytes(value[:size], "big")
            s = int.from_bytes(value[size:], "big")
            key.verify(encode_dss_signature(r, s), data, ec.ECDSA(algorithm))
    except InvalidSignature:
        return False
    return True


def _verify_value(
    method: SignatureMethod, keys: Sequence[PublicKey], value: bytes, data: bytes
) -> PublicKey:
    kind = rsa.RSAPublicKey if method.key_type == "rsa" else ec.EllipticCurvePublicKey
    candidates = [key for key in keys if isinstance(key, kind)]
    if not candidates:
        raise AlgorithmRefused(f"no key given can verify {method.uri}")
    for key in candidates:
        if _check_value(method, key, value, data):
            return key
    raise SignatureInvalid("the signature value does not match the signed info for any given key")


@cache
def _id_count(id_attributes: tuple[str, ...]) -> etree.XPath:
    return etree.XPath("count(" + " | ".join(f"//@{name}[.=$id]" for name in id_attributes) + ")")


def _referenced(element: etree._Element, uri: str | None, id_attributes: Collection[str]) -> None:
    if uri == "":
        if element.getparent() is not None:
            raise SignatureReferenceInvalid('Reference URI "" signs the document, not this element')
        return
    if not uri or not uri.startswith("#") or "(" in uri:
        raise SignatureReferenceInvalid(f"Reference URI {uri!r} is not a same-document ID")
    identifier = uri[1:]
    if not any(element.get(name) == identifier for name in id_attributes):
        raise SignatureReferenceInvalid(f"Reference URI {uri!r} is not the signed element's ID")
    if _id_count(tuple(id_attributes))(element, id=identifier) != 1:
        raise SignatureReferenceInvalid(f"the ID {identifier!r} is not unique in the document")


def _transforms(reference: etree._Element) -> tuple[bool, tuple[str, ...]]:
    """Exclusive or not, and the inclusive prefixes, of the Reference's transforms."""
    transforms = reference.findall(_DS + "Transforms")
    nodes = transforms[0].findall(_DS + "Transform") if len(transforms) == 1 else []
    if len(transforms) > 1 or not nodes or nodes[0].get("Algorithm") != ENVELOPED_SIGNATURE:
        raise AlgorithmRefused("the Reference must start with the enveloped-signature transform")
    if len(nodes) > 2 or len(transforms[0]) != len(nodes):
        raise AlgorithmRefused("the Reference has transforms beyond one canonicalisation")
    if len(nodes) == 1:
        return False, ()  # a node-set becomes octets by inclusive canonicalisation
    return _canonicalization(nodes[1])


def verify_enveloped(
    element: etree._Element,
    *,
    keys: Sequence[PublicKey],
    allow_sha1: bool = False,
    methods: Collection[str] | None = None,
    id_attributes: Collection[str] = ("ID",),
) -> Verified:
    """Verify the enveloped signature of ``element`` with ``keys``; only signed content returns.

    ``keys`` come from the caller (metadata, configuration, a pinned certificate); a
    ``KeyInfo`` in the message is ignored. ``methods`` is an allow-list of signature method
    URIs (None: every method of `SIGNATURE_METHODS` that fits a key). Errors: `SignatureMissing`,
    `SignatureReferenceInvalid`, `AlgorithmRefused` / `Sha1Refused`,
    `SignedCommentRefused`, `SignatureInvalid`, `MalformedInput`.
    """
    signatures = list(element.iterchildren(_DS + "Signature"))
    if not signatures:
        raise SignatureMissing(f"{etree.QName(element).localname} is not signed")
    if len(signatures) > 1:
        raise SignatureReferenceInvalid("the element holds more than one signature")
    signature: etree._Element = signatures[0]
    signed_info = _one(signature, "SignedInfo", "Signature")
    if signature[0] is not signed_info:
        raise SignatureReferenceInvalid("SignedInfo must be the signature's first element")
    exclusive, prefixes = _canonicalization(
        _one(signed_info, "CanonicalizationMethod", "SignedInfo")
    )
    method = signature_method(
        _one(signed_info, "SignatureMethod", "SignedInfo").get("Algorithm"), allow_sha1=allow_sha1
    )
    if methods is not None and method.uri not in methods:
        raise AlgorithmRefused(f"signature method {method.uri} is not accepted here")
    reference = _one(signed_info, "Reference", "SignedInfo")
    digest_name = digest_hash(
        _one(reference, "DigestMethod", "Reference").get("Algorithm"), allow_sha1=allow_sha1
    )
    expected = _base64(_one(reference, "DigestValue", "Reference"), "DigestValue")
    value = _base64(_one(signature, "SignatureValue", "Signature"), "SignatureValue")
    _referenced(element, reference.get("URI"), id_attributes)
    ref_exclusive, ref_prefixes = _transforms(reference)

    key = _verify_value(
        method,
        keys,
        value,
        canonicalize(signed_info, exclusive=exclusive, inclusive_prefixes=prefixes),
    )
    with detached(signature):
        if _COMMENTS(element):
            raise SignedCommentRefused("the signed content holds an XML comment")
        canonical = canonicalize(element, exclusive=ref_exclusive, inclusive_prefixes=ref_prefixes)
        digest = hashes.Hash(HASHES[digest_name]())
        digest.update(canonical)
        if not hmac.compare_digest(digest.finalize(), expected):
            raise SignatureInvalid("the digest of the signed element does not match its Reference")
        covered = copy(element)  # lxml copies the whole subtree, into a document of its own
    return Verified(covered, canonical, method, digest_name, key)
