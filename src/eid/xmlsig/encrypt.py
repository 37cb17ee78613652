"""XML encryption of one element (SAML ``EncryptedAssertion``): AES-GCM with RSA-OAEP.

Content: AES-128-GCM or AES-256-GCM (XML-Enc 1.1; ``CipherValue`` = IV || ciphertext ||
tag). Key transport: RSA-OAEP as ``xmlenc#rsa-oaep-mgf1p`` (MGF1 with SHA-1, the form
most deployed peers use) or ``xmlenc11#rsa-oaep`` with SHA-256 digest and MGF1-SHA-256 or
MGF1-SHA-1 (XML-Enc 1.1's default mask generation: written without an ``xenc11:MGF``).
CBC modes are refused (padding oracles). Decrypted content is parsed by the hardened
parser; every decryption failure is the same `DecryptionFailed`.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from lxml import etree

from eid.errors import AlgorithmRefused, DecryptionFailed, MalformedInput, UsageError
from eid.hashing import HASHES
from eid.xmlsig.algorithms import DIGESTS, DSIG_NS, XENC11_NS, XENC_NS
from eid.xmlsig.parse import parse_xml

__all__ = [
    "AES128_GCM",
    "AES256_GCM",
    "MGF1P_SHA1",
    "MGF1_DIGESTS",
    "OAEP_SHA256",
    "RSA_OAEP",
    "RSA_OAEP_MGF1P",
    "KeyTransport",
    "decrypt_element",
    "encrypt_element",
]

AES128_GCM = XENC11_NS + "aes128-gcm"
"""AES-128-GCM content encryption."""
AES256_GCM = XENC11_NS + "aes256-gcm"
"""AES-256-GCM content encryption (the default)."""
RSA_OAEP_MGF1P = XENC_NS + "rsa-oaep-mgf1p"
"""RSA-OAEP with MGF1-SHA-1 (the digest may be SHA-1 or SHA-256)."""
RSA_OAEP = XENC11_NS + "rsa-oaep"
"""RSA-OAEP with a stated MGF (XML-Enc 1.1)."""

_CONTENT = {AES128_GCM: 16, AES256_GCM: 32}
_MGF = {XENC11_NS + "mgf1sha1": "sha1", XENC11_NS + "mgf1sha256": "sha256"}
_MGF_URI = {name: uri for uri, name in _MGF.items()}
MGF1_DIGESTS: Mapping[str, str] = MappingProxyType(_MGF)
"""The ``xenc11:MGF`` URIs written and read, to their digest names (MGF1 with SHA-1 or SHA-256)."""
_DIGEST_URI = {name: uri for uri, name in DIGESTS.items()}
_ELEMENT = XENC_NS + "Element"
_XENC = f"{{{XENC_NS}}}"
_NS = {"xenc": XENC_NS, "ds": DSIG_NS, "xenc11": XENC11_NS}
_NONCE = 12


@dataclass(frozen=True)
class KeyTransport:
    """How the content key is wrapped: an RSA-OAEP method URI, its digest and MGF1 digest."""

    method: str = RSA_OAEP
    digest: str = "sha256"
    mgf: str = "sha256"

    def padding(self) -> padding.OAEP:
        """The `cryptography` OAEP padding for this transport."""
        return padding.OAEP(padding.MGF1(HASHES[self.mgf]()), HASHES[self.digest](), None)


OAEP_SHA256 = KeyTransport()
"""XML-Enc 1.1 ``rsa-oaep`` with SHA-256 and MGF1-SHA-256: the default."""
MGF1P_SHA1 = KeyTransport(RSA_OAEP_MGF1P, "sha1", "sha1")
"""``rsa-oaep-mgf1p`` with SHA-1, as Shibboleth and SimpleSAMLphp decrypt by default."""


def _sub(parent: etree._Element, tag: str, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, tag, attributes)


def encrypt_element(
    element: etree._Element,
    recipient: x509.Certificate | rsa.RSAPublicKey,
    *,
    content: str = AES256_GCM,
    transport: KeyTransport = OAEP_SHA256,
) -> etree._Element:
    """An ``xenc:EncryptedData`` for ``element``, its key wrapped for ``recipient``.

    ``element`` is serialised with the namespaces in scope and left unchanged.
    """
    key = recipient.public_key() if isinstance(recipient, x509.Certificate) else recipient
    if not isinstance(key, rsa.RSAPublicKey):
        raise UsageError("XML encryption needs an RSA key of the recipient")
    if content not in _CONTENT:
        raise UsageError(f"unsupported content encryption {content!r}")
    secret = AESGCM.generate_key(_CONTENT[content] * 8)
    nonce = os.urandom(_NONCE)
    cipher = nonce + AESGCM(secret).encrypt(nonce, etree.tostring(element), None)
    data = etree.Element(_XENC + "EncryptedData", {"Type": _ELEMENT}, nsmap={"xenc": XENC_NS})
    _sub(data, _XENC + "EncryptionMethod", Algorithm=content)
    key_info = etree.SubElement(data, f"{{{DSIG_NS}}}KeyInfo", nsmap={"ds": DSIG_NS})
    encrypted_key = _sub(key_info, _XENC + "EncryptedKey")
    method = _sub(encrypted_key, _XENC + "EncryptionMethod", Algorithm=transport.method)
    etree.SubElement(
        method,
        f"{{{DSIG_NS}}}DigestMethod",
        {"Algorithm": _DIGEST_URI[transport.digest]},
        nsmap={"ds": DSIG_NS},
    )
    if transport.method == RSA_OAEP and transport.mgf != "sha1":  # MGF1-SHA-1: the default
        etree.SubElement(
            method,
            f"{{{XENC11_NS}}}MGF",
            {"Algorithm": _MGF_URI[transport.mgf]},
            nsmap={"xenc11": XENC11_NS},
        )
    wrapped = key.encrypt(secret, transport.padding())
    _sub(_sub(encrypted_key, _XENC + "CipherData"), _XENC + "CipherValue").text = _b64(wrapped)
    _sub(_sub(data, _XENC + "CipherData"), _XENC + "CipherValue").text = _b64(cipher)
    return data


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _cipher_value(parent: etree._Element) -> bytes:
    values = parent.xpath("xenc:CipherData/xenc:CipherValue", namespaces=_NS)
    assert isinstance(values, list)
    if len(values) != 1:
        raise MalformedInput("encrypted data must hold one CipherValue", field="CipherValue")
    value: etree._Element = values[0]
    try:
        return base64.b64decode("".join((value.text or "").split()), validate=True)
    except (binascii.Error, ValueError):
        raise MalformedInput("CipherValue is not base64", field="CipherValue") from None


def _one_attribute(parent: etree._Element, path: str, default: str | None = None) -> str:
    found = parent.xpath(path + "/@Algorithm", namespaces=_NS)
    assert isinstance(found, list)
    if len(found) > 1 or (not found and default is None):
        raise MalformedInput(f"expected one {path}", field=path)
    return str(found[0]) if found else str(default)


def _transport(encrypted_key: etree._Element) -> KeyTransport:
    method = _one_attribute(encrypted_key, "xenc:EncryptionMethod")
    digest_uri = _one_attribute(
        encrypted_key, "xenc:EncryptionMethod/ds:DigestMethod", _DIGEST_URI["sha1"]
    )
    digest = DIGESTS.get(digest_uri)
    if method == RSA_OAEP_MGF1P:
        mgf: str | None = "sha1"
    elif method == RSA_OAEP:
        mgf_uri = _one_attribute(
            encrypted_key, "xenc:EncryptionMethod/xenc11:MGF", XENC11_NS + "mgf1sha1"
        )
        mgf = _MGF.get(mgf_uri)
    else:
        raise AlgorithmRefused(f"key transport {method!r} is not accepted")
    if digest is None or mgf is None:
        raise AlgorithmRefused("the RSA-OAEP digest or mask generation is not accepted")
    return KeyTransport(method, digest, mgf)


def _encrypted_keys(data: etree._Element) -> list[etree._Element]:
    found = data.xpath("ds:KeyInfo/xenc:EncryptedKey", namespaces=_NS)
    assert isinstance(found, list)
    parent = data.getparent()
    if not found and parent is not None:  # SAML also allows it beside EncryptedData
        found = parent.xpath("xenc:EncryptedKey", namespaces=_NS)
        assert isinstance(found, list)
    if not found:
        raise MalformedInput("no EncryptedKey for the encrypted data", field="EncryptedKey")
    return found


def decrypt_element(
    data: etree._Element, keys: Sequence[rsa.RSAPrivateKey], *, max_size: int = 1 << 20
) -> etree._Element:
    """The element encrypted in ``xenc:EncryptedData`` ``data``, with one of ``keys``.

    Refuses algorithms other than AES-GCM with RSA-OAEP (`AlgorithmRefused`); a key that
    does not fit or tampered data is `DecryptionFailed`; the plaintext is parsed like any
    outside XML (no DTD, no entities, ``max_size``).
    """
    if data.tag != _XENC + "EncryptedData" or data.get("Type", _ELEMENT) != _ELEMENT:
        raise MalformedInput("expected xenc:EncryptedData of an element", field="EncryptedData")
    content = _one_attribute(data, "xenc:EncryptionMethod")
    if content not in _CONTENT:
        raise AlgorithmRefused(f"content encryption {content!r} is not accepted")
    cipher = _cipher_value(data)
    if len(cipher) < _NONCE + 16:
        raise DecryptionFailed("the encrypted data could not be decrypted with the keys given")
    secret = None
    for encrypted_key in _encrypted_keys(data):
        transport = _transport(encrypted_key)
        wrapped = _cipher_value(encrypted_key)
        for key in keys:
            try:
                candidate = key.decrypt(wrapped, transport.padding())
            except ValueError:
                continue
            if len(candidate) == _CONTENT[content]:
                secret = candidate
                break
        if secret is not None:
            break
    if secret is None:
        raise DecryptionFailed("the encrypted data could not be decrypted with the keys given")
    try:
        plain = AESGCM(secret).decrypt(cipher[:_NONCE], cipher[_NONCE:], None)
    except InvalidTag:
        raise DecryptionFailed(
            "the encrypted data could not be decrypted with the keys given"
        ) from None
    return parse_xml(plain, source="decrypted content", max_size=max_size)
