"""Enveloped XML signatures made through a signer callable.

A `Signer` takes the canonical ``SignedInfo`` bytes and returns the XML-DSig signature
value: PKCS#1 v1.5 or PSS for RSA, raw ``r || s`` for ECDSA. `software_signer` makes one
from a `cryptography` key; a PKCS#11 key fits as well (``CKM_ECDSA`` already returns
``r || s``). Exclusive canonicalisation without comments, enveloped-signature transform.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Collection, Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from lxml import etree

from eid.errors import UsageError
from eid.hashing import HASHES
from eid.xmlsig.algorithms import (
    C14N_EXCLUSIVE,
    DIGESTS,
    DSIG_NS,
    ENVELOPED_SIGNATURE,
    SignatureMethod,
    signature_method,
)
from eid.xmlsig.c14n import canonicalize

__all__ = ["SHA256", "Signer", "sign_enveloped", "software_signer"]

Signer = Callable[[bytes], bytes]
"""Signs the canonical SignedInfo bytes; returns the XML-DSig SignatureValue bytes."""

SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
"""The digest method `eid` uses by default."""

_DS = f"{{{DSIG_NS}}}"
_NSMAP = {"ds": DSIG_NS}


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


def _sub(parent: etree._Element, tag: str, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, _DS + tag, attributes)


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
    method_uri = method.uri if isinstance(method, SignatureMethod) else method
    signature_method(method_uri, allow_sha1=True)
    identifier = element.get(id_attribute)
    if not identifier:
        raise UsageError(f"the element to sign has no {id_attribute} attribute")
    digest_value = _digest(
        canonicalize(element, inclusive_prefixes=inclusive_prefixes), _digest_name(digest)
    )
    signature = etree.Element(_DS + "Signature", nsmap=_NSMAP)
    signed_info = _sub(signature, "SignedInfo")
    _sub(signed_info, "CanonicalizationMethod", Algorithm=C14N_EXCLUSIVE)
    _sub(signed_info, "SignatureMethod", Algorithm=method_uri)
    reference = _sub(signed_info, "Reference", URI="#" + identifier)
    transforms = _sub(reference, "Transforms")
    _sub(transforms, "Transform", Algorithm=ENVELOPED_SIGNATURE)
    exclusive = _sub(transforms, "Transform", Algorithm=C14N_EXCLUSIVE)
    if inclusive_prefixes:
        etree.SubElement(
            exclusive,
            f"{{{C14N_EXCLUSIVE}}}InclusiveNamespaces",
            {"PrefixList": " ".join(inclusive_prefixes)},
            nsmap={"ec": C14N_EXCLUSIVE},
        )
    _sub(reference, "DigestMethod", Algorithm=digest)
    _sub(reference, "DigestValue").text = digest_value
    value = _sub(signature, "SignatureValue")
    if certificates:
        x509_data = _sub(_sub(signature, "KeyInfo"), "X509Data")
        for certificate in certificates:
            der = certificate.public_bytes(serialization.Encoding.DER)
            _sub(x509_data, "X509Certificate").text = base64.b64encode(der).decode("ascii")
    element.insert(index, signature)
    value.text = base64.b64encode(signer(canonicalize(signed_info))).decode("ascii")
    return signature
