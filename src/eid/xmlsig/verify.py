"""Verification of an enveloped XML signature that returns only what the signature covers.

`verify_enveloped(element, keys=...)` checks the one ``ds:Signature`` child of ``element``
against the caller's keys (never a key or certificate from the message), and returns a
`Verified` that holds the canonical form the digest was computed on and gives the exact
element that was digested, either where it stands (for readers that only go down by child
tags) or as a document of its own parsed from that canonical form (nothing the signature
does not cover can be reached from it). Refused, each with its own error: no signature or
several; a Reference other than exactly one pointing at ``element`` by a unique ID (or
``""`` at the document element); transforms other than enveloped-signature and one
canonicalisation; comments in the signed content; SHA-1 unless allowed; an algorithm no
given key can verify.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property

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
from eid.xmlsig.algorithms import (
    C14N_11,
    C14N_EXCLUSIVE,
    CANONICALIZATIONS,
    DIGESTS,
    DSIG_NS,
    ENVELOPED_SIGNATURE,
    SIGNATURE_METHODS,
    SignatureMethod,
    digest_hash,
    signature_method,
)
from eid.xmlsig.c14n import canonicalize
from eid.xmlsig.parse import parse_xml
from eid.xmlsig.read import Children, children_by_tag

__all__ = ["PublicKey", "Verified", "public_keys", "verify_enveloped", "verify_value"]

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey
"""A key that can verify an XML signature."""

_DS = f"{{{DSIG_NS}}}"
_SIGNATURE = _DS + "Signature"
_SIGNED_INFO = _DS + "SignedInfo"
_XML_ATTRIBUTES = etree.XPath("boolean(//@xml:*)", regexp=False)
_INCLUSIVE = f"{{{C14N_EXCLUSIVE}}}InclusiveNamespaces"


@dataclass(frozen=True)
class Verified:
    """What a verified signature covers, and how it was signed.

    ``canonical`` is the canonical form the digest was computed on (without the signature,
    without comments: signed content holding any is refused). ``signed`` is the verified
    element where it stands in the caller's document, its ``ds:Signature`` child still in
    place: the cheap way to read it for code that only goes down by child tags, never to a
    parent and never into ``ds:Signature`` (as `eid.sso` reads SAML). ``element`` is the
    signed content in a document of its own, parsed from ``canonical`` on first use: it has
    no parent, siblings or signature, so nothing outside what was signed can be reached
    from it, whatever happens to the caller's document later. ``key`` is the caller's key
    that verified it.
    """

    signed: etree._Element
    canonical: bytes
    method: SignatureMethod
    digest: str
    key: PublicKey

    @cached_property
    def element(self) -> etree._Element:
        """The signed content as a document of its own (parsed from ``canonical`` once)."""
        return parse_xml(self.canonical, source="signed XML", max_size=len(self.canonical))


def public_keys(items: Iterable[x509.Certificate | PublicKey]) -> tuple[PublicKey, ...]:
    """The RSA and EC public keys of ``items`` (certificates or keys), parsed once."""
    keys: list[PublicKey] = []
    for item in items:
        key = item.public_key() if isinstance(item, x509.Certificate) else item
        if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
            raise UsageError(f"a {type(key).__name__} cannot verify XML signatures")
        keys.append(key)
    return tuple(keys)


def _one(children: Children, name: str, what: str) -> etree._Element:
    found = children.get(_DS + name, [])
    if len(found) != 1:
        raise SignatureReferenceInvalid(
            f"the {what} must hold exactly one {name}, not {len(found)}"
        )
    return found[0]


def _base64(element: etree._Element, what: str) -> bytes:
    text = "".join((element.text or "").split())
    try:
        return binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError):
        raise MalformedInput(f"{what} is not base64", field=what) from None


def _canonicalization(node: etree._Element) -> tuple[bool, tuple[str, ...]]:
    algorithm = node.get("Algorithm")
    if algorithm not in CANONICALIZATIONS:
        raise AlgorithmRefused(f"canonicalisation {algorithm!r} is not accepted")
    if algorithm == C14N_11 and _XML_ATTRIBUTES(node):
        raise AlgorithmRefused("Canonical XML 1.1 is accepted only without xml: attributes")
    inclusive = next(node.iterchildren(_INCLUSIVE), None)
    if inclusive is None:
        return CANONICALIZATIONS[algorithm], ()
    if not CANONICALIZATIONS[algorithm]:
        raise AlgorithmRefused("InclusiveNamespaces belongs to exclusive canonicalisation only")
    return True, tuple((inclusive.get("PrefixList") or "").split())


def _parameters(method: SignatureMethod) -> tuple[hashes.HashAlgorithm, padding.AsymmetricPadding]:
    algorithm = method.hash()
    if method.pss:
        return algorithm, padding.PSS(padding.MGF1(algorithm), algorithm.digest_size)
    return algorithm, padding.PKCS1v15()


_PARAMETERS = {uri: _parameters(method) for uri, method in SIGNATURE_METHODS.items()}
"""The hash and RSA padding of each signature method, made once (both are stateless)."""


_HASHLIB = {name: getattr(hashlib, name) for name in DIGESTS.values()}
"""The `hashlib` constructor of each digest (``hashlib.new`` looks the name up on each call)."""


@cache
def _key_type(kind: type) -> str:
    """The key type (``rsa`` or ``ec``) of a key class: one `isinstance` check per class."""
    return "rsa" if issubclass(kind, rsa.RSAPublicKey) else "ec"


def _check_value(method: SignatureMethod, key: PublicKey, value: bytes, data: bytes) -> bool:
    algorithm, pad = _PARAMETERS[method.uri]
    try:
        if isinstance(key, rsa.RSAPublicKey):
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
    candidates = [key for key in keys if _key_type(type(key)) == method.key_type]
    if not candidates:
        raise AlgorithmRefused(f"no key given can verify {method.uri}")
    for key in candidates:
        if _check_value(method, key, value, data):
            return key
    raise SignatureInvalid("the signature value does not match the signed info for any given key")


def verify_value(
    method_uri: str | None,
    keys: Sequence[PublicKey],
    value: bytes,
    data: bytes,
    *,
    allow_sha1: bool = False,
) -> PublicKey:
    """The key of ``keys`` whose signature ``value`` over ``data`` by ``method_uri`` verifies.

    For signatures outside a document, such as SAML's HTTP-Redirect binding (an XML-DSig
    method URI over the query string). Errors: `AlgorithmRefused` / `Sha1Refused`,
    `SignatureInvalid`.
    """
    return _verify_value(signature_method(method_uri, allow_sha1=allow_sha1), keys, value, data)


@cache
def _id_values(id_attributes: tuple[str, ...]) -> etree.XPath:
    """Every value of the ID attributes in the document, as plain strings."""
    path = " | ".join(f"//@{name}" for name in id_attributes)
    return etree.XPath(path, regexp=False, smart_strings=False)


def _referenced(element: etree._Element, uri: str | None, id_attributes: tuple[str, ...]) -> None:
    if uri == "":
        if element.getparent() is not None:
            raise SignatureReferenceInvalid('Reference URI "" signs the document, not this element')
        return
    if not uri or not uri.startswith("#") or "(" in uri:
        raise SignatureReferenceInvalid(f"Reference URI {uri!r} is not a same-document ID")
    identifier = uri[1:]
    if identifier not in [element.get(name) for name in id_attributes]:
        raise SignatureReferenceInvalid(f"Reference URI {uri!r} is not the signed element's ID")
    values: list[str] = _id_values(id_attributes)(element)
    if values.count(identifier) != 1:
        raise SignatureReferenceInvalid(f"the ID {identifier!r} is not unique in the document")


def _transforms(reference: Children) -> tuple[bool, tuple[str, ...]]:
    """Exclusive or not, and the inclusive prefixes, of the Reference's transforms."""
    transforms = reference.get(_DS + "Transforms", [])
    nodes = [n for n in transforms[0] if n.tag == _DS + "Transform"] if len(transforms) == 1 else []
    if len(transforms) > 1 or not nodes or nodes[0].get("Algorithm") != ENVELOPED_SIGNATURE:
        raise AlgorithmRefused("the Reference must start with the enveloped-signature transform")
    if len(nodes) > 2 or len(transforms[0]) != len(nodes):
        raise AlgorithmRefused("the Reference has transforms beyond one canonicalisation")
    if len(nodes) == 1:
        return False, ()  # a node-set becomes octets by inclusive canonicalisation
    return _canonicalization(nodes[1])


def _enveloped(
    element: etree._Element, signature: etree._Element, exclusive: bool, prefixes: Sequence[str]
) -> bytes:
    """The canonical form of ``element`` without its ``signature`` child; no comment in it.

    This is the enveloped-signature transform: only the signature leaves, the text after
    it stays where it was. The signature and the text are put back after.
    """
    index = element.index(signature)
    tail = signature.tail
    previous = signature.getprevious()
    before = previous.tail if previous is not None else element.text
    signature.tail = None
    element.remove(signature)
    if tail:
        if previous is not None:
            previous.tail = (before or "") + tail
        else:
            element.text = (before or "") + tail
    try:
        if next(element.iter(etree.Comment), None) is not None:
            raise SignedCommentRefused("the signed content holds an XML comment")
        return canonicalize(element, exclusive=exclusive, inclusive_prefixes=prefixes)
    finally:
        if previous is not None:
            previous.tail = before
        else:
            element.text = before
        element.insert(index, signature)
        signature.tail = tail


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
    signatures = list(element.iterchildren(_SIGNATURE))
    if not signatures:
        raise SignatureMissing(f"{etree.QName(element).localname} is not signed")
    if len(signatures) > 1:
        raise SignatureReferenceInvalid("the element holds more than one signature")
    signature: etree._Element = signatures[0]
    parts = children_by_tag(signature)
    signed_info = _one(parts, "SignedInfo", "Signature")
    if signature[0] is not signed_info:
        raise SignatureReferenceInvalid("SignedInfo must be the signature's first element")
    info = children_by_tag(signed_info)
    exclusive, prefixes = _canonicalization(_one(info, "CanonicalizationMethod", "SignedInfo"))
    method = signature_method(
        _one(info, "SignatureMethod", "SignedInfo").get("Algorithm"), allow_sha1=allow_sha1
    )
    if methods is not None and method.uri not in methods:
        raise AlgorithmRefused(f"signature method {method.uri} is not accepted here")
    reference = _one(info, "Reference", "SignedInfo")
    references = children_by_tag(reference)
    digest_name = digest_hash(
        _one(references, "DigestMethod", "Reference").get("Algorithm"), allow_sha1=allow_sha1
    )
    expected = _base64(_one(references, "DigestValue", "Reference"), "DigestValue")
    value = _base64(_one(parts, "SignatureValue", "Signature"), "SignatureValue")
    _referenced(element, reference.get("URI"), tuple(id_attributes))
    ref_exclusive, ref_prefixes = _transforms(references)

    key = _verify_value(
        method,
        keys,
        value,
        canonicalize(signed_info, exclusive=exclusive, inclusive_prefixes=prefixes),
    )
    canonical = _enveloped(element, signature, ref_exclusive, ref_prefixes)
    if not hmac.compare_digest(_HASHLIB[digest_name](canonical).digest(), expected):
        raise SignatureInvalid("the digest of the signed element does not match its Reference")
    return Verified(element, canonical, method, digest_name, key)
