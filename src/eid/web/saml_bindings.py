"""SAML requests as they arrive: HTTP-Redirect (deflated, query-string signature) and HTTP-POST.

Every request is parsed by `eid.xmlsig.parse_xml` (no DTDs, entities or network, size and
depth limits). A portal registered with ``sign_requests`` must sign: in the Redirect
binding over ``SAMLRequest=…&RelayState=…&SigAlg=…`` exactly as the query carried them,
in the POST binding with an enveloped signature; both are checked with the keys of the
portal's registered certificates only (several while it rolls its key over), SHA-1 only
for a portal registered with ``allow_sha1``.

`response_endpoint` reads where the Response goes: the request's
``AssertionConsumerServiceURL`` (a registered one) or ``AssertionConsumerServiceIndex``
(SAML core 3.4.1: never both), else the portal's default; by the HTTP-POST binding only.
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

from eid.errors import (
    AlgorithmRefused,
    AssertionSha1Refused,
    AssertionSignatureInvalid,
    AssertionSignatureMissing,
    Sha1Refused,
    SignatureInvalid,
)
from eid.sso import Portal
from eid.sso.saml import POST_BINDING, parse_index
from eid.xmlsig import parse_xml, verify_enveloped, verify_value

from .problems import InvalidRequest

__all__ = [
    "MAX_REQUEST",
    "ReceivedRequest",
    "decode_post",
    "decode_redirect",
    "response_endpoint",
    "verify_request",
]

MAX_REQUEST = 64 * 1024
"""The largest SAML request accepted (bytes of XML, after inflating)."""
_RSA_BITS = 2048


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
    request: ReceivedRequest,
    certificates: Sequence[x509.Certificate],
    *,
    required: bool,
    allow_sha1: bool = False,
) -> bool:
    """Check the request's signature with one of ``certificates``; whether it was signed.

    `AssertionSignatureMissing` when ``required`` and unsigned, `AssertionSignatureInvalid`
    when the signature verifies with none of them; SHA-1 only with ``allow_sha1``
    (`AssertionSha1Refused` for a query signature, ``sha1_refused`` for an enveloped one).
    """
    embedded = request.root.find("{http://www.w3.org/2000/09/xmldsig#}Signature") is not None
    if request.query_signature is None and not embedded:
        if required:
            raise AssertionSignatureMissing("this portal must sign its requests")
        return False
    keys = [c.public_key() for c in certificates]
    usable = [
        k
        for k in keys
        if isinstance(k, ec.EllipticCurvePublicKey)
        or (isinstance(k, rsa.RSAPublicKey) and k.key_size >= _RSA_BITS)
    ]
    if not usable:
        raise AssertionSignatureInvalid(
            f"no EC or RSA ({_RSA_BITS} bits or more) certificate is registered to check this"
        )
    if request.query_signature is not None:
        method, signature, signed = request.query_signature
        try:
            verify_value(method, usable, signature, signed, allow_sha1=allow_sha1)
        except Sha1Refused:
            raise AssertionSha1Refused(
                "SHA-1 query signatures are refused unless this portal is registered with"
                " allow_sha1"
            ) from None
        except (AlgorithmRefused, SignatureInvalid):
            raise AssertionSignatureInvalid(
                "the request's query-string signature does not verify"
            ) from None
        return True
    verify_enveloped(request.root, keys=usable, allow_sha1=allow_sha1)
    return True


def response_endpoint(root: etree._Element, portal: Portal) -> str:
    """The registered ACS URL the AuthnRequest ``root`` of ``portal`` is answered at.

    `InvalidRequest` for a ``ProtocolBinding`` other than HTTP-POST, both a URL and an
    index, or an index that is no ``xs:unsignedShort``; `RedirectUriMismatch` for a URL or
    index the portal did not register (both shown to the person, never redirected to).
    """
    binding = root.get("ProtocolBinding")
    if binding is not None and binding != POST_BINDING:
        raise InvalidRequest("responses are sent by the HTTP-POST binding only")
    url = root.get("AssertionConsumerServiceURL")
    index = root.get("AssertionConsumerServiceIndex")
    if index is None:
        return portal.check_endpoint(url or portal.default_endpoint or "")
    if url is not None:
        raise InvalidRequest(
            "AssertionConsumerServiceURL and AssertionConsumerServiceIndex exclude each other"
        )
    number = parse_index(index)
    if number is None:
        raise InvalidRequest("AssertionConsumerServiceIndex is not a number from 0 to 65535")
    return portal.acs_at(number)
