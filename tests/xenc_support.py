"""``xenc:EncryptedData`` of any bytes as ADFS and Shibboleth write it, for tests.

`eid` only decrypts CBC, so the tests make their own with `cryptography`: the content key
wrapped with ``rsa-oaep-mgf1p`` (SHA-1), ``CipherValue`` = IV || AES-CBC(plaintext ||
padding), where the padding is given as bytes (to make bad ones) or is random bytes ending
in their count, as XML-Enc 1.0 allows. AES-GCM too, for plaintexts `encrypt_element` cannot
take (not XML).
"""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from lxml import etree

from eid.xmlsig import AES128_CBC, AES192_CBC, AES256_CBC, AES256_GCM, MGF1P_SHA1
from tests.xmlsig_support import key_pem, pem

XENC_NS = "http://www.w3.org/2001/04/xmlenc#"
XENC = {"xenc": XENC_NS}
KEY_SIZES = {AES128_CBC: 16, AES192_CBC: 24, AES256_CBC: 32}
_TEMPLATE = (
    f'<xenc:EncryptedData xmlns:xenc="{XENC_NS}" Type="{XENC_NS}Element">'
    '<xenc:EncryptionMethod Algorithm="{content}"/>'
    '<KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#">'
    f'<e:EncryptedKey xmlns:e="{XENC_NS}"><e:EncryptionMethod Algorithm="{XENC_NS}rsa-oaep-mgf1p">'
    '<DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/></e:EncryptionMethod>'
    "<e:CipherData><e:CipherValue>{wrapped}</e:CipherValue></e:CipherData></e:EncryptedKey>"
    "</KeyInfo><xenc:CipherData><xenc:CipherValue>{cipher}</xenc:CipherValue></xenc:CipherData>"
    "</xenc:EncryptedData>"
)


def xml_enc_padding(length: int) -> bytes:
    """``length`` (1 to 16) bytes of XML-Enc 1.0 padding: random, the last one the count."""
    return os.urandom(length - 1) + bytes([length])


def cbc_cipher_value(secret: bytes, padded: bytes, iv: bytes | None = None) -> bytes:
    """IV || AES-CBC of ``padded`` (a whole number of blocks, padding included)."""
    iv = iv or os.urandom(16)
    encryptor = Cipher(algorithms.AES(secret), modes.CBC(iv)).encryptor()
    return iv + encryptor.update(padded) + encryptor.finalize()


def cbc_encrypted(
    plaintext: bytes | etree._Element,
    recipient: x509.Certificate,
    *,
    content: str = AES256_CBC,
    padding: bytes | None = None,
    secret: bytes | None = None,
) -> tuple[etree._Element, bytes]:
    """An ADFS-shaped EncryptedData of ``plaintext`` for ``recipient``, and its content key.

    ``content`` is a CBC method, or AES-256-GCM; ``padding`` replaces the XML-Enc padding
    (its length must complete the last block); ``secret`` is the content key to wrap
    (default: a fresh one of the content's size).
    """
    data = plaintext if isinstance(plaintext, bytes) else etree.tostring(plaintext)
    size = KEY_SIZES.get(content, 32)
    secret = secret if secret is not None else os.urandom(size)
    key = recipient.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    wrapped = key.encrypt(secret, MGF1P_SHA1.padding())
    if content == AES256_GCM:
        nonce = os.urandom(12)
        cipher = nonce + AESGCM(secret).encrypt(nonce, data, None)
    else:
        if padding is None:
            padding = xml_enc_padding(16 - len(data) % 16)
        cipher = cbc_cipher_value(secret[:size], data + padding)
    element = etree.fromstring(
        _TEMPLATE.format(
            content=content,
            wrapped=base64.b64encode(wrapped).decode(),
            cipher=base64.b64encode(cipher).decode(),
        )
    )
    return element, secret


def content_cipher_value(data: etree._Element) -> etree._Element:
    """The content's ``CipherValue`` element of EncryptedData ``data`` (to change it)."""
    value = data.find("xenc:CipherData/xenc:CipherValue", XENC)
    assert value is not None
    return value


def xmlsec1_encrypt(
    directory: Path, document: bytes, recipient: x509.Certificate, *, content: str, xpath: str
) -> bytes:
    """``document`` with the element at ``xpath`` encrypted by the ``xmlsec1`` command.

    The template is ADFS's shape: ``content`` for the data, ``rsa-oaep-mgf1p`` (SHA-1) for
    the key; xmlsec1 makes the session key, the IV and the padding.
    """
    (directory / "recipient.pem").write_bytes(pem(recipient))
    (directory / "document.xml").write_bytes(document)
    (directory / "template.xml").write_text(
        _TEMPLATE.format(content=content, wrapped="", cipher=""), encoding="utf-8"
    )
    bits = KEY_SIZES[content] * 8
    result = subprocess.run(
        ["xmlsec1", "--encrypt", "--pubkey-cert-pem", str(directory / "recipient.pem"),
         "--session-key", f"aes-{bits}", "--xml-data", str(directory / "document.xml"),
         "--node-xpath", xpath, str(directory / "template.xml")],
        capture_output=True, check=True,
    )  # fmt: skip
    return result.stdout


def xmlsec1_decrypt(data: etree._Element, key: rsa.RSAPrivateKey, directory: Path) -> bytes:
    """What the ``xmlsec1`` command decrypts ``data`` (an EncryptedData or its parent) to."""
    (directory / "decryption.key").write_bytes(key_pem(key))
    (directory / "encrypted.xml").write_bytes(etree.tostring(data))
    result = subprocess.run(
        ["xmlsec1", "--decrypt", "--privkey-pem", str(directory / "decryption.key"),
         str(directory / "encrypted.xml")],
        capture_output=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout
