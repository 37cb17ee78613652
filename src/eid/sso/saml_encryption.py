"""How the provider encrypts a portal's assertions: chosen once, from the methods it lists.

A service provider's encryption ``KeyDescriptor`` may list ``md:EncryptionMethod`` elements
(SAML metadata 2.4.1.1): the content encryption and key transport it decrypts, an RSA-OAEP
one with its ``ds:DigestMethod`` and ``xenc11:MGF``. `choose_encryption` picks the strongest
content method and key transport both sides support; a list holding none of ours (such as
CBC only: we never encrypt with CBC) is refused. Without a list, `DEFAULT_ENCRYPTION`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from eid.errors import MalformedInput
from eid.xmlsig import (
    AES128_GCM,
    AES256_GCM,
    DSIG_NS,
    MGF1P_SHA1,
    RSA_OAEP,
    RSA_OAEP_MGF1P,
    KeyTransport,
)
from eid.xmlsig.algorithms import DIGESTS, XENC11_NS, XENC_NS
from eid.xmlsig.encrypt import MGF1_DIGESTS

__all__ = ["DEFAULT_ENCRYPTION", "AssertionEncryption", "choose_encryption"]

_CONTENT_STRENGTH = {AES128_GCM: 128, AES256_GCM: 256}
_DIGEST_STRENGTH = {"sha1": 160, "sha256": 256, "sha384": 384, "sha512": 512}
_OAEP = (RSA_OAEP_MGF1P, RSA_OAEP)
_KEY_TRANSPORTS = (*_OAEP, XENC_NS + "rsa-1_5")
_SOURCE = "SAML metadata"


@dataclass(frozen=True)
class AssertionEncryption:
    """The content encryption (an AES-GCM URI) and key transport of a portal's assertions."""

    content: str = AES256_GCM
    transport: KeyTransport = MGF1P_SHA1


DEFAULT_ENCRYPTION = AssertionEncryption()
"""AES-256-GCM with ``rsa-oaep-mgf1p`` (SHA-1): for a portal that lists no method."""


def _algorithm(parent: etree._Element, tag: str) -> str | None:
    """The ``Algorithm`` of the one ``tag`` child of ``parent`` (None without one)."""
    children = parent.findall(tag)
    if len(children) > 1:
        raise MalformedInput(f"an EncryptionMethod holds several {tag}", source=_SOURCE)
    return children[0].get("Algorithm") if children else None


def _transport(method: etree._Element, uri: str) -> KeyTransport | None:
    """The key transport ``method`` (an RSA-OAEP EncryptionMethod) names, None if not ours."""
    digest_uri = _algorithm(method, f"{{{DSIG_NS}}}DigestMethod")
    digest = DIGESTS.get(digest_uri) if digest_uri is not None else "sha1"
    if uri == RSA_OAEP_MGF1P:
        mgf: str | None = "sha1"
    else:
        mgf_uri = _algorithm(method, f"{{{XENC11_NS}}}MGF")
        mgf = MGF1_DIGESTS.get(mgf_uri) if mgf_uri is not None else "sha1"
    if digest is None or mgf is None:
        return None
    return KeyTransport(uri, digest, mgf)


def _transport_strength(transport: KeyTransport) -> tuple[int, int, bool]:
    """Stronger digests first, then MGFs; at a tie ``rsa-oaep-mgf1p``, the more deployed."""
    return (
        _DIGEST_STRENGTH[transport.digest],
        _DIGEST_STRENGTH[transport.mgf],
        transport.method == RSA_OAEP_MGF1P,
    )


def choose_encryption(methods: Sequence[etree._Element], *, portal: str) -> AssertionEncryption:
    """The strongest encryption of ``methods`` (``md:EncryptionMethod`` elements) we make.

    Content: AES-256-GCM before AES-128-GCM; key transport: RSA-OAEP with the strongest
    digest and MGF listed. Every method that is no key transport (RSA v1.5 or OAEP) counts
    as content encryption. A list without content methods (or without key transports)
    leaves that part at `DEFAULT_ENCRYPTION`'s; a list whose content methods (or key
    transports) are none we encrypt with is `MalformedInput` naming them (``portal``
    names the service provider).
    """
    if not methods:
        return DEFAULT_ENCRYPTION
    listed = [(method, str(method.get("Algorithm") or "")) for method in methods]
    transports = [(method, uri) for method, uri in listed if uri in _KEY_TRANSPORTS]
    contents = [uri for _, uri in listed if uri not in _KEY_TRANSPORTS]
    ours = [
        transport
        for method, uri in transports
        if uri in _OAEP and (transport := _transport(method, uri)) is not None
    ]
    usable = [uri for uri in contents if uri in _CONTENT_STRENGTH]
    if (contents and not usable) or (transports and not ours):
        names = ", ".join(sorted({uri for _, uri in listed}))
        raise MalformedInput(
            f"the service provider {portal} lists only encryption methods the provider does "
            f"not encrypt with ({names}); it encrypts with AES-GCM (never CBC) and RSA-OAEP "
            "(digest SHA-1, SHA-256, SHA-384 or SHA-512; MGF1 with SHA-1 or SHA-256)",
            source=_SOURCE,
        )
    return AssertionEncryption(
        content=max(usable, key=_CONTENT_STRENGTH.__getitem__, default=DEFAULT_ENCRYPTION.content),
        transport=max(ours, key=_transport_strength, default=DEFAULT_ENCRYPTION.transport),
    )
