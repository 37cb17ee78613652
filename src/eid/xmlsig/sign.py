"""Enveloped XML signatures made through a signer callable.

A `Signer` takes the canonical ``SignedInfo`` bytes and returns the XML-DSig signature
value: PKCS#1 v1.5 or PSS for RSA, raw ``r || s`` for ECDSA. `software_signer` makes one
from a `cryptography` key; a PKCS#11 key fits as well (``CKM_ECDSA`` already returns
``r || s``). Exclusive canonicalisation without comments, enveloped-signature transform.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Collection, Sequence
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from lxml import etree

from eid.errors import UsageError
from eid.hashing import HASHES
from eid.xmlsig import writer
from eid.xmlsig.algorithms import (
    C14N_EXCLUSIVE,
    DIGESTS,
    DSIG_NS,
    ENVELOPED_SIGNATURE,
    SignatureMethod,
    signature_method,
)
from eid.xmlsig.c14n import canonicalize

__all__ = ["SHA256", "Signer", "enveloped_signature", "sign_enveloped", "software_signer"]

Signer = Callable[[bytes], bytes]
"""Signs the canonical SignedInfo bytes; returns the XML-DSig SignatureValue bytes."""

SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
"""The digest method `eid` uses by default."""


def _ecdsa_raw(signature: bytes, curve: ec.EllipticCurve) -> bytes:
    size = (curve.key_size + 7) // 8
    r, s = decode_dss_signature(signature)
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def software_signer(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, method_uri: str) -> Signer:
    """A `Signer` over a `cryptography` private key for the signature method ``method_uri``."""
    method = signature_method(method_uri, allow_sha1=True)
    algorithm = method.hash()
    if isinstance(key, rsa.RSAPrivateKey) and method.key_type == "rsa":
        rsa_key = key
        pad: padding.AsymmetricPadding = (
            padding.PSS(padding.MGF1(algorithm), algorithm.digest_size)
            if method.pss
            else padding.PKCS1v15()
        )
        return lambda data: rsa_key.sign(data, pad, algorithm)
    if isinstance(key, ec.EllipticCurvePrivateKey) and method.key_type == "ec":
        ec_key = key
        ecdsa = ec.ECDSA(algorithm)
        return lambda data: _ecdsa_raw(ec_key.sign(data, ecdsa), ec_key.curve)
    raise UsageError(f"a {type(key).__name__} cannot sign with {method_uri}")


def _digest_name(uri: str) -> str:
    name = DIGESTS.get(uri)
    if name is None:
        raise UsageError(f"unknown digest method {uri!r}")
    return name


def _digest(data: bytes, name: str) -> str:
    digest = hashes.Hash(HASHES[name]())
    digest.update(data)
    return base64.b64encode(digest.finalize()).decode("ascii")


@cache
def _signed_info_parts(method: str, digest: str, prefixes: tuple[str, ...]) -> tuple[str, str, str]:
    """The canonical SignedInfo around its reference ID and digest value (made once)."""
    signature_method(method, allow_sha1=True)
    exclusive = (
        writer.element(
            "ec:InclusiveNamespaces",
            {"PrefixList": " ".join(prefixes)},
            namespaces={"ec": C14N_EXCLUSIVE},
        )
        if prefixes
        else ""
    )
    marker = "\x00"
    whole = writer.element(
        "ds:SignedInfo",
        content=(
            writer.element("ds:CanonicalizationMethod", {"Algorithm": C14N_EXCLUSIVE}),
            writer.element("ds:SignatureMethod", {"Algorithm": method}),
            f'<ds:Reference URI="#{marker}">',
            writer.element(
                "ds:Transforms",
                content=(
                    writer.element("ds:Transform", {"Algorithm": ENVELOPED_SIGNATURE}),
                    writer.element("ds:Transform", {"Algorithm": C14N_EXCLUSIVE}, exclusive),
                ),
            ),
            writer.element("ds:DigestMethod", {"Algorithm": digest}),
            "<ds:DigestValue>" + marker + "</ds:DigestValue></ds:Reference>",
        ),
        namespaces={"ds": DSIG_NS},
    )
    head, middle, tail = whole.split(marker)
    return head, middle, tail


@cache
def _key_info(certificates: tuple[x509.Certificate, ...]) -> str:
    """``ds:KeyInfo`` with the certificates (made once per set of certificates)."""
    ders = (c.public_bytes(serialization.Encoding.DER) for c in certificates)
    return writer.element(
        "ds:KeyInfo",
        content=writer.element(
            "ds:X509Data",
            content=(
                writer.element("ds:X509Certificate", content=base64.b64encode(der).decode())
                for der in ders
            ),
        ),
    )


def enveloped_signature(
    canonical: bytes,
    *,
    reference_id: str,
    signer: Signer,
    method: str | SignatureMethod,
    digest: str = SHA256,
    certificates: Sequence[x509.Certificate] = (),
    inclusive_prefixes: Collection[str] = (),
) -> bytes:
    """The ``ds:Signature`` (XML bytes) of an enveloped signature of one element.

    ``canonical`` is the element's exclusive canonical form without the signature (with
    ``inclusive_prefixes`` as InclusiveNamespaces), ``reference_id`` its ID. The caller puts
    the signature inside the element; removing it again gives back ``canonical``.
    """
    method_uri = method.uri if isinstance(method, SignatureMethod) else method
    if not reference_id:
        raise UsageError("the element to sign has no ID")
    head, middle, tail = _signed_info_parts(method_uri, digest, tuple(inclusive_prefixes))
    signed_info = "".join(
        (
            head,
            writer.attribute_value(reference_id),
            middle,
            _digest(canonical, _digest_name(digest)),
            tail,
        )
    ).encode()
    value = base64.b64encode(signer(signed_info)).decode("ascii")
    key_info = _key_info(tuple(certificates)) if certificates else ""
    return b"".join(
        (
            f'<ds:Signature xmlns:ds="{DSIG_NS}">'.encode(),
            signed_info,
            f"<ds:SignatureValue>{value}</ds:SignatureValue>{key_info}</ds:Signature>".encode(),
        )
    )


def sign_enveloped(
    element: etree._Element,
    *,
    signer: Signer,
    method: str | SignatureMethod,
    digest: str = SHA256,
    certificates: Sequence[x509.Certificate] = (),
    id_attribute: str = "ID",
    index: int = 0,
    inclusive_prefixes: Collection[str] = (),
) -> etree._Element:
    """Sign ``element`` with an enveloped signature inserted as its child number ``index``.

    The Reference points at ``#`` + the element's ``id_attribute``; ``certificates`` go into
    ``KeyInfo/X509Data`` (for the reader's convenience: `eid` never verifies with them).
    Returns the ``ds:Signature`` element.
    """
    signature = etree.fromstring(
        enveloped_signature(
            canonicalize(element, inclusive_prefixes=inclusive_prefixes),
            reference_id=element.get(id_attribute) or "",
            signer=signer,
            method=method,
            digest=digest,
            certificates=certificates,
            inclusive_prefixes=inclusive_prefixes,
        )
    )
    element.insert(index, signature)
    return signature
