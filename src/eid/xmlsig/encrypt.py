"""XML encryption of one element (SAML ``EncryptedAssertion``): AES-GCM with RSA-OAEP.

Content: AES-128-GCM or AES-256-GCM (XML-Enc 1.1; ``CipherValue`` = IV || ciphertext ||
tag). Key transport: RSA-OAEP as ``xmlenc#rsa-oaep-mgf1p`` (MGF1 with SHA-1, the form
most deployed peers use) or ``xmlenc11#rsa-oaep`` with SHA-256 digest and MGF1-SHA-256 or
MGF1-SHA-1 (XML-Enc 1.1's default mask generation: written without an ``xenc11:MGF``).
``rsa-1_5`` is refused (Bleichenbacher oracles). Decrypted content is parsed by the hardened
parser; every decryption failure is the same `DecryptionFailed`.

AES-CBC (XML-Enc 1.0 ``aes128-cbc``, ``aes192-cbc``, ``aes256-cbc``: what ADFS, Azure AD,
Shibboleth IdP 3 and SimpleSAMLphp 1.x send) is only decrypted, and only with
``allow_cbc=True`` (`CbcRefused` otherwise, decided on the algorithm alone, before any
decryption). ``CipherValue`` = IV || ciphertext; of the XML-Enc padding only the last
byte (1 to 16) counts, the others are arbitrary. CBC has no integrity, so a recipient that
decrypts modified ciphertexts and shows how it failed is a decryption oracle: Jager and
Somorovsky (CCS 2011) recover a whole assertion in a few thousand queries from whether the
padding or the XML parse of the plaintext failed. What the switch risks, and what limits it:

- Every CBC failure (length, wrong key, padding, plaintext that does not parse) is the same
  `DecryptionFailed` with the same message, and the SAML import folds everything up to the
  assertion's own signature into it as well. Timing still differs (a plaintext that parses
  goes on to be parsed and verified), so an attacker who can send many responses and time
  them keeps a slower oracle: rate-limit the endpoint that imports.
- Where a signature over the ciphertext verifies first (a SAML Response signed around its
  ``EncryptedAssertion``, which the import verifies before it decrypts), the ciphertext is
  authenticated and no modified one reaches AES. But the attacker chooses whether the
  message he sends carries such a signature, so this protects only the messages the
  identity provider signed, not the portal: the switch opens the oracle to any sender.
- The content key comes from an ``EncryptedKey`` for the recipient's RSA key, which the
  algorithm of the content does not bind: with CBC allowed for one sender, the ``EncryptedKey``
  of any message to the same key (an AES-GCM one from another provider included) can be put
  under a CBC ``EncryptedData`` and queried (Jager, Paterson and Somorovsky, "One Bad Apple",
  NDSS 2013). Give the senders that need CBC a decryption key of their own.
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
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from lxml import etree

from eid.errors import (
    AlgorithmRefused,
    CbcRefused,
    DecryptionFailed,
    EidError,
    MalformedInput,
    UsageError,
)
from eid.hashing import HASHES
from eid.xmlsig.algorithms import DIGESTS, DSIG_NS, XENC11_NS, XENC_NS
from eid.xmlsig.parse import parse_xml

__all__ = [
    "AES128_CBC",
    "AES128_GCM",
    "AES192_CBC",
    "AES256_CBC",
    "AES256_GCM",
    "CBC_CONTENT",
    "MGF1P_SHA1",
    "MGF1_DIGESTS",
    "OAEP_SHA256",
    "RSA_OAEP",
    "RSA_OAEP_MGF1P",
    "KeyTransport",
    "content_encryption",
    "decrypt_element",
    "encrypt_element",
]

AES128_GCM = XENC11_NS + "aes128-gcm"
"""AES-128-GCM content encryption."""
AES256_GCM = XENC11_NS + "aes256-gcm"
"""AES-256-GCM content encryption (the default)."""
AES128_CBC = XENC_NS + "aes128-cbc"
"""AES-128-CBC content encryption (XML-Enc 1.0; decrypted only where allowed)."""
AES192_CBC = XENC_NS + "aes192-cbc"
"""AES-192-CBC content encryption (XML-Enc 1.0; decrypted only where allowed)."""
AES256_CBC = XENC_NS + "aes256-cbc"
"""AES-256-CBC content encryption (XML-Enc 1.0, ADFS and Azure AD; decrypted only where allowed)."""
RSA_OAEP_MGF1P = XENC_NS + "rsa-oaep-mgf1p"
"""RSA-OAEP with MGF1-SHA-1 (the digest may be SHA-1 or SHA-256)."""
RSA_OAEP = XENC11_NS + "rsa-oaep"
"""RSA-OAEP with a stated MGF (XML-Enc 1.1)."""

_CONTENT = {AES128_GCM: 16, AES256_GCM: 32}
_CBC = {AES128_CBC: 16, AES192_CBC: 24, AES256_CBC: 32}
CBC_CONTENT: frozenset[str] = frozenset(_CBC)
"""The AES-CBC content encryptions: no integrity, decrypted only with ``allow_cbc``."""
_RSA_1_5 = XENC_NS + "rsa-1_5"
_BLOCK = 16
_FAILED = "the encrypted data could not be decrypted with the keys given"
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
    elif method == _RSA_1_5:
        raise AlgorithmRefused(
            "key transport rsa-1_5 (RSA PKCS#1 v1.5) is refused: its padding is open to "
            "Bleichenbacher's attack; the sender must wrap the key with RSA-OAEP (rsa-oaep-mgf1p)"
        )
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


def content_encryption(data: etree._Element) -> str:
    """The content encryption URI of ``xenc:EncryptedData`` ``data`` (exactly one is stated)."""
    return _one_attribute(data, "xenc:EncryptionMethod")


def _content_key(data: etree._Element, keys: Sequence[rsa.RSAPrivateKey], size: int) -> bytes:
    """The content key of ``size`` bytes unwrapped from one of ``data``'s EncryptedKeys."""
    for encrypted_key in _encrypted_keys(data):
        transport = _transport(encrypted_key)
        wrapped = _cipher_value(encrypted_key)
        for key in keys:
            try:
                candidate = key.decrypt(wrapped, transport.padding())
            except ValueError:
                continue
            if len(candidate) == size:
                return candidate
    raise DecryptionFailed(_FAILED)


def _cbc_plain(secret: bytes, cipher: bytes) -> bytes:
    """XML-Enc 1.0 CBC: IV || ciphertext; the last plaintext byte is the padding length."""
    if len(cipher) < 2 * _BLOCK or len(cipher) % _BLOCK:
        raise DecryptionFailed(_FAILED)
    decryptor = Cipher(algorithms.AES(secret), modes.CBC(cipher[:_BLOCK])).decryptor()
    plain = decryptor.update(cipher[_BLOCK:]) + decryptor.finalize()
    padding_length = plain[-1]
    if not 1 <= padding_length <= _BLOCK:
        raise DecryptionFailed(_FAILED)
    return plain[:-padding_length]


def decrypt_element(
    data: etree._Element,
    keys: Sequence[rsa.RSAPrivateKey],
    *,
    max_size: int = 1 << 20,
    allow_cbc: bool = False,
) -> etree._Element:
    """The element encrypted in ``xenc:EncryptedData`` ``data``, with one of ``keys``.

    Refuses algorithms other than AES-GCM with RSA-OAEP (`AlgorithmRefused`), AES-CBC
    unless ``allow_cbc`` (`CbcRefused`; see the module's notes for what that risks); a key
    that does not fit or tampered data is `DecryptionFailed`; the plaintext is parsed like
    any outside XML (no DTD, no entities, ``max_size``). Under CBC, a plaintext that does
    not parse is the same `DecryptionFailed` too.
    """
    if data.tag != _XENC + "EncryptedData" or data.get("Type", _ELEMENT) != _ELEMENT:
        raise MalformedInput("expected xenc:EncryptedData of an element", field="EncryptedData")
    content = content_encryption(data)
    if content in _CBC:
        if not allow_cbc:
            raise CbcRefused(
                f"the content is encrypted with AES-CBC ({content.rsplit('#', 1)[-1]}), "
                "which has no integrity (padding oracles): refused unless allow_cbc=True"
            )
        cipher = _cipher_value(data)
        plain = _cbc_plain(_content_key(data, keys, _CBC[content]), cipher)
        try:
            return parse_xml(plain, source="decrypted content", max_size=max_size)
        except EidError:
            raise DecryptionFailed(_FAILED) from None
    if content not in _CONTENT:
        raise AlgorithmRefused(f"content encryption {content!r} is not accepted")
    cipher = _cipher_value(data)
    if len(cipher) < _NONCE + 16:
        raise DecryptionFailed(_FAILED)
    secret = _content_key(data, keys, _CONTENT[content])
    try:
        plain = AESGCM(secret).decrypt(cipher[:_NONCE], cipher[_NONCE:], None)
    except InvalidTag:
        raise DecryptionFailed(_FAILED) from None
    return parse_xml(plain, source="decrypted content", max_size=max_size)
