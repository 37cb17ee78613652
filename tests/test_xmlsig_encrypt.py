"""eid.xmlsig XML encryption: AES-GCM content, RSA-OAEP key transport, against xmlsec."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest
import xmlsec
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from eid.errors import AlgorithmRefused, DecryptionFailed, EidError, XmlForbidden
from eid.xmlsig import (
    AES128_GCM,
    AES256_GCM,
    MGF1P_SHA1,
    RSA_OAEP,
    KeyTransport,
    decrypt_element,
    encrypt_element,
)
from tests.xmlsig_support import NS, certificate, document, key_pem, pem, private_key

XENC = {"xenc": "http://www.w3.org/2001/04/xmlenc#"}
TRANSPORTS = [
    KeyTransport(),
    MGF1P_SHA1,
    KeyTransport(MGF1P_SHA1.method, "sha256", "sha1"),
    KeyTransport(RSA_OAEP, "sha256", "sha1"),
]


def rsa_key(label: str = "sp") -> rsa.RSAPrivateKey:
    key = private_key("rsa", label)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


@pytest.mark.parametrize("content", [AES128_GCM, AES256_GCM])
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_round_trip(content: str, transport: KeyTransport) -> None:
    assertion = document()[0]
    encrypted = encrypt_element(
        assertion, certificate("rsa", "sp"), content=content, transport=transport
    )
    plain = decrypt_element(
        etree.fromstring(etree.tostring(encrypted)), [rsa_key("other"), rsa_key()]
    )
    assert plain.findtext("saml:Subject/saml:NameID", namespaces=NS) == "alice"
    assert b"alice" not in etree.tostring(encrypted)
    # XML-Enc 1.1's default mask generation (MGF1-SHA-1) is written without an MGF element
    assert (b"xenc11:MGF" in etree.tostring(encrypted)) is (transport == KeyTransport())


def test_xmlsec1_decrypts_ours(tmp_path: Path) -> None:
    encrypted = encrypt_element(document()[0], certificate("rsa", "sp"), transport=MGF1P_SHA1)
    (tmp_path / "key.pem").write_bytes(key_pem(rsa_key()))
    (tmp_path / "enc.xml").write_bytes(etree.tostring(encrypted))
    result = subprocess.run(
        [
            "xmlsec1",
            "--decrypt",
            "--privkey-pem",
            str(tmp_path / "key.pem"),
            str(tmp_path / "enc.xml"),
        ],
        capture_output=True,
        check=True,
    )
    assert b"<saml:NameID>alice</saml:NameID>" in result.stdout


def test_ours_decrypts_xmlsec() -> None:
    root = document()
    assertion = root[0]
    template = xmlsec.template.encrypted_data_create(
        root, xmlsec.constants.TransformAes256Gcm, type=xmlsec.constants.TypeEncElement, ns="xenc"
    )
    xmlsec.template.encrypted_data_ensure_cipher_value(template)
    key_info = xmlsec.template.encrypted_data_ensure_key_info(template, ns="dsig")
    encrypted_key = xmlsec.template.add_encrypted_key(key_info, xmlsec.constants.TransformRsaOaep)
    xmlsec.template.encrypted_data_ensure_cipher_value(encrypted_key)
    manager = xmlsec.KeysManager()
    manager.add_key(
        xmlsec.Key.from_memory(pem(certificate("rsa", "sp")), xmlsec.constants.KeyDataFormatCertPem)
    )
    context = xmlsec.EncryptionContext(manager)
    context.key = xmlsec.Key.generate(
        xmlsec.constants.KeyDataAes, 256, xmlsec.constants.KeyDataTypeSession
    )
    encrypted = context.encrypt_xml(template, assertion)
    plain = decrypt_element(etree.fromstring(etree.tostring(encrypted)), [rsa_key()])
    assert plain.findtext("saml:Subject/saml:NameID", namespaces=NS) == "alice"


def test_wrong_key_and_tampering() -> None:
    encrypted = encrypt_element(document()[0], certificate("rsa", "sp"))
    with pytest.raises(DecryptionFailed):
        decrypt_element(encrypted, [rsa_key("other")])
    value = encrypted.find("xenc:CipherData/xenc:CipherValue", XENC)
    assert value is not None
    assert value.text
    raw = bytearray(base64.b64decode(value.text))
    raw[-20] ^= 1
    value.text = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(DecryptionFailed):
        decrypt_element(encrypted, [rsa_key()])


def test_cbc_and_rsa15_refused() -> None:
    encrypted = encrypt_element(document()[0], certificate("rsa", "sp"))
    method = encrypted.find("xenc:EncryptionMethod", XENC)
    assert method is not None
    method.set("Algorithm", "http://www.w3.org/2001/04/xmlenc#aes256-cbc")
    with pytest.raises(AlgorithmRefused):
        decrypt_element(encrypted, [rsa_key()])
    method.set("Algorithm", AES256_GCM)
    transport = encrypted.find(".//xenc:EncryptedKey/xenc:EncryptionMethod", XENC)
    assert transport is not None
    transport.set("Algorithm", "http://www.w3.org/2001/04/xmlenc#rsa-1_5")
    with pytest.raises(AlgorithmRefused):
        decrypt_element(encrypted, [rsa_key()])


def test_decrypted_content_is_parsed_hardened() -> None:
    """A DTD inside the ciphertext is refused like one outside (the content key is
    unwrapped here to put hostile bytes in its place)."""
    hostile = etree.fromstring(b"<r/>")
    encrypted = encrypt_element(hostile, certificate("rsa", "sp"))
    value = encrypted.find("xenc:CipherData/xenc:CipherValue", XENC)
    assert value is not None
    wrapped = encrypted.find(".//xenc:EncryptedKey/xenc:CipherData/xenc:CipherValue", XENC)
    assert wrapped is not None
    assert wrapped.text
    secret = rsa_key().decrypt(base64.b64decode(wrapped.text), KeyTransport().padding())
    nonce = b"\x00" * 12
    plain = b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
    value.text = base64.b64encode(nonce + AESGCM(secret).encrypt(nonce, plain, None)).decode()
    with pytest.raises(XmlForbidden):
        decrypt_element(encrypted, [rsa_key()])


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_any_cipher_value_fails_closed(cipher: bytes) -> None:
    encrypted = encrypt_element(document()[0], certificate("rsa", "sp"))
    value = encrypted.find("xenc:CipherData/xenc:CipherValue", XENC)
    assert value is not None
    value.text = base64.b64encode(cipher).decode()
    with pytest.raises(EidError):
        decrypt_element(encrypted, [rsa_key()])
