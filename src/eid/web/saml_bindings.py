"""SAML requests as they arrive: HTTP-Redirect (deflated, query-string signature) and HTTP-POST.

Every request is parsed by `eid.xmlsig.parse_xml` (no DTDs, entities or network, size and
depth limits). A portal registered with ``sign_requests`` must sign: in the Redirect
binding over ``SAMLRequest=…&RelayState=…&SigAlg=…`` exactly as the query carried them,
in the POST binding with an enveloped signature; both are checked with the keys of the
portal's registered certificates only (several while it rolls its key over).
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import unquote_plus

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree

from eid.errors import AssertionSha1Refused, AssertionSignatureInvalid, AssertionSignatureMissing
from eid.sso.algorithms import ALGORITHMS, verifier
from eid.xmlsig import parse_xml, verify_enveloped

from .problems import InvalidRequest

__all__ = ["MAX_REQUEST", "ReceivedRequest", "decode_post", "decode_redirect", "verify_request"]

MAX_REQUEST = 64 * 1024
"""The largest SAML request accepted (bytes of XML, after inflating)."""

_SHA1 = (
    "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1",
)
_BY_URI = {algorithm.xmldsig_uri: algorithm for algorithm in ALGORITHMS.values()}


@dataclass(frozen=True)
class ReceivedRequest:
    """A decoded SAML request: its root element and how it was signed (if at all)."""

    root: etree._Element
    relay_state: str | None
    binding: str
    query_signature: tuple[str, bytes, bytes] | None = None
    """For HTTP-Redirect: (SigAlg, signature, the signed octets)."""


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj(-15)
    try:
        xml = inflater.decompress(data, MAX_REQUEST + 1)
    except zlib.error:
        raise InvalidRequest("SAMLRequest is not DEFLATE-compressed") from None
    if len(xml) > MAX_REQUEST or inflater.unconsumed_tail:
        raise InvalidRequest(f"SAMLRequest inflates beyond {MAX_REQUEST} bytes")
    return xml


def _b64(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value, validate=False)
    except (binascii.Error, ValueError):
        raise InvalidRequest(f"{what} is not base64") from None


def _raw_query_values(raw_query: str) -> dict[str, str]:
    """The parameters of the query exactly as sent (still URL-encoded), first of each name."""
    values: dict[str, str] = {}
    for part in raw_query.split("&"):
        name, _, value = part.partition("=")
        values.setdefault(name, value)
    return values


def decode_redirect(raw_query: str, parameter: str = "SAMLRequest") -> ReceivedRequest:
    """A request of the HTTP-Redirect binding from the raw query string.

    The query must be URL-encoded ASCII (RFC 3986): its signature covers those octets.
    """
    if not raw_query.isascii():
        raise InvalidRequest("the query string is not URL-encoded (a character is not ASCII)")
    raw = _raw_query_values(raw_query)
    if parameter not in raw:
        raise InvalidRequest(f"{parameter} is missing")
    xml = _inflate(_b64(unquote_plus(raw[parameter]), parameter))
    root = parse_xml(xml, source=parameter, max_size=MAX_REQUEST)
    signature = None
    if "Signature" in raw:
        signed = "&".join(
            f"{name}={raw[name]}" for name in (parameter, "RelayState", "SigAlg") if name in raw
        )
        signature = (
            unquote_plus(raw.get("SigAlg", "")),
            _b64(unquote_plus(raw["Signature"]), "Signature"),
            signed.encode("ascii"),
        )
    relay = unquote_plus(raw["RelayState"]) if "RelayState" in raw else None
    return ReceivedRequest(root, relay, "redirect", signature)


def decode_post(form: Mapping[str, str], parameter: str = "SAMLRequest") -> ReceivedRequest:
    """A request of the HTTP-POST binding from the form fields."""
    value = form.get(parameter)
    if not value:
        raise InvalidRequest(f"{parameter} is missing")
    xml = _b64(value, parameter)
    root = parse_xml(xml, source=parameter, max_size=MAX_REQUEST)
    return ReceivedRequest(root, form.get("RelayState"), "post")


def verify_request(
    request: ReceivedRequest, certificates: Sequence[x509.Certificate], *, required: bool
) -> bool:
    """Check the request's signature with one of ``certificates``; whether it was signed.

    `AssertionSignatureMissing` when ``required`` and unsigned, `AssertionSignatureInvalid`
    when the signature verifies with none of them, `AssertionSha1Refused` for SHA-1.
    """
    embedded = request.root.find("{http://www.w3.org/2000/09/xmldsig#}Signature") is not None
    if request.query_signature is None and not embedded:
        if required:
            raise AssertionSignatureMissing("this portal must sign its requests")
        return False
    keys = [c.public_key() for c in certificates]
    usable = [k for k in keys if isinstance(k, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)]
    if not usable:
        raise AssertionSignatureInvalid("no RSA or EC certificate is registered to check this")
    if request.query_signature is not None:
        method, signature, signed = request.query_signature
        if method in _SHA1:
            raise AssertionSha1Refused("SHA-1 query signatures are refused")
        algorithm = _BY_URI.get(method)
        checks = [verifier(k, algorithm) for k in usable] if algorithm is not None else []
        if not any(check is not None and check(signature, signed) for check in checks):
            raise AssertionSignatureInvalid("the request's query-string signature does not verify")
        return True
    verify_enveloped(request.root, keys=usable)
    return True
