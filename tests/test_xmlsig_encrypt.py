"""eid.xmlsig XML encryption: AES-GCM content, RSA-OAEP key transport, against xmlsec; and
AES-CBC decryption where allowed, whose every failure must look the same."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import xmlsec
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from eid.errors import AlgorithmRefused, CbcRefused, DecryptionFailed, EidError, XmlForbidden
from eid.xmlsig import (
    AES128_CBC,
    AES128_GCM,
    AES192_CBC,
    AES256_CBC,
    AES256_GCM,
    MGF1P_SHA1,
    RSA_OAEP,
    KeyTransport,
    decrypt_element,
    encrypt_element,
)
from tests.xenc_support import (
    KEY_SIZES,
    cbc_cipher_value,
    cbc_encrypted,
    content_cipher_value,
    xml_enc_padding,
    xmlsec1_decrypt,
)
from tests.xmlsig_support import NS, certificate, document, pem, private_key

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
    plain = xmlsec1_decrypt(encrypted, rsa_key(), tmp_path)
    assert b"<saml:NameID>alice</saml:NameID>" in plain


@pytest.mark.parametrize(
    ("transform", "bits", "allow_cbc"),
    [
        (xmlsec.constants.TransformAes256Gcm, 256, False),
        (xmlsec.constants.TransformAes128Cbc, 128, True),
        (xmlsec.constants.TransformAes192Cbc, 192, True),
        (xmlsec.constants.TransformAes256Cbc, 256, True),
    ],
)
def test_ours_decrypts_xmlsec(transform: object, bits: int, allow_cbc: bool) -> None:
    """libxmlsec1 (OpenSSL) encrypts; its CBC padding is its own, not PKCS#7's check."""
    root = document()
    assertion = root[0]
    template = xmlsec.template.encrypted_data_create(
        root, transform, type=xmlsec.constants.TypeEncElement, ns="xenc"
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
        xmlsec.constants.KeyDataAes, bits, xmlsec.constants.KeyDataTypeSession
    )
    encrypted = etree.fromstring(etree.tostring(context.encrypt_xml(template, assertion)))
    plain = decrypt_element(encrypted, [rsa_key()], allow_cbc=allow_cbc)
    assert plain.findtext("saml:Subject/saml:NameID", namespaces=NS) == "alice"
    if allow_cbc:
        with pytest.raises(CbcRefused):
            decrypt_element(encrypted, [rsa_key()])


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


def test_cbc_refused_unless_allowed_and_rsa15_always() -> None:
    """CBC is refused on its algorithm alone, before any key or ciphertext is looked at."""
    encrypted = encrypt_element(document()[0], certificate("rsa", "sp"))
    method = encrypted.find("xenc:EncryptionMethod", XENC)
    assert method is not None
    for content in (AES128_CBC, AES192_CBC, AES256_CBC):
        method.set("Algorithm", content)
        for keys in ([rsa_key()], []):
            with pytest.raises(CbcRefused, match=r"AES-CBC .*allow_cbc=True"):
                decrypt_element(encrypted, keys)
    method.set("Algorithm", "http://www.w3.org/2001/04/xmlenc#tripledes-cbc")
    with pytest.raises(AlgorithmRefused, match="tripledes-cbc") as refused:
        decrypt_element(encrypted, [rsa_key()], allow_cbc=True)
    assert type(refused.value) is AlgorithmRefused
    method.set("Algorithm", AES256_GCM)
    transport = encrypted.find(".//xenc:EncryptedKey/xenc:EncryptionMethod", XENC)
    assert transport is not None
    transport.set("Algorithm", "http://www.w3.org/2001/04/xmlenc#rsa-1_5")
    with pytest.raises(AlgorithmRefused, match=r"rsa-1_5 .*Bleichenbacher"):
        decrypt_element(encrypted, [rsa_key()])
    cbc, _ = cbc_encrypted(document()[0], certificate("rsa", "sp"))
    cbc_transport = cbc.find(".//xenc:EncryptedKey/xenc:EncryptionMethod", XENC)
    assert cbc_transport is not None
    cbc_transport.set("Algorithm", "http://www.w3.org/2001/04/xmlenc#rsa-1_5")
    with pytest.raises(AlgorithmRefused, match="rsa-1_5"):
        decrypt_element(cbc, [rsa_key()], allow_cbc=True)


@pytest.mark.parametrize("content", [AES128_CBC, AES192_CBC, AES256_CBC])
@pytest.mark.parametrize("padding_length", [1, 9, 16])
def test_cbc_decrypts_where_allowed(content: str, padding_length: int) -> None:
    """XML-Enc 1.0 padding: only its last byte counts, the others are random here (and are
    not PKCS#7's repeated count, which a PKCS#7 unpadder would demand)."""
    plain = etree.tostring(document()[0])
    plain += b" " * ((16 - padding_length - len(plain)) % 16)  # room for this padding
    padding = xml_enc_padding(padding_length)
    encrypted, _ = cbc_encrypted(plain, certificate("rsa", "sp"), content=content, padding=padding)
    found = decrypt_element(encrypted, [rsa_key("other"), rsa_key()], allow_cbc=True)
    assert found.findtext("saml:Subject/saml:NameID", namespaces=NS) == "alice"


def _cbc_case(name: str) -> etree._Element:
    """An AES-256-CBC EncryptedData of the test assertion, spoiled as ``name`` says."""
    plain = etree.tostring(document()[0])
    plain += b" " * (-len(plain) % 16)  # whole blocks, so the padding is one block of its own
    recipient = certificate("rsa", "sp" if name != "wrong key" else "other-sp")
    padding = {
        "padding byte 0": bytes(16),
        "padding byte 17": bytes(15) + b"\x11",
        "padding byte 255": b"\xff" * 16,
    }.get(name, xml_enc_padding(16))
    if name == "padding longer than the plaintext":
        plain, padding = b"", bytes(15) + b"\x10"
    if name == "plaintext not XML":
        plain = b"not XML at all!!"
    if name == "plaintext with a DTD":
        plain = b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
        padding = xml_enc_padding(16 - len(plain) % 16)
    secret = bytes(16) if name == "content key of the wrong size" else None
    encrypted, key = cbc_encrypted(plain, recipient, padding=padding, secret=secret)
    value = content_cipher_value(encrypted)
    raw = bytearray(base64.b64decode(value.text or ""))
    if name == "IV tampered":
        raw[0] ^= 0x01  # '<' becomes '='
    elif name == "last block tampered":
        raw[-1] ^= 0x80
    elif name == "block before the padding tampered":
        raw[-17] ^= 0x40
    elif name == "truncated by a block":
        raw = raw[:-16]
    elif name == "truncated by a byte":
        raw = raw[:-1]
    elif name == "IV only":
        raw = raw[:16]
    elif name == "shorter than the IV":
        raw = raw[:15]
    elif name == "empty":
        raw = bytearray()
    elif name == "a block too many":
        raw += cbc_cipher_value(key, bytes(16))[16:]
    value.text = base64.b64encode(bytes(raw)).decode()
    return encrypted


CBC_FAILURES = [
    "wrong key",
    "content key of the wrong size",
    "padding byte 0",
    "padding byte 17",
    "padding byte 255",
    "padding longer than the plaintext",
    "plaintext not XML",
    "plaintext with a DTD",
    "IV tampered",
    "last block tampered",
    "block before the padding tampered",
    "truncated by a block",
    "truncated by a byte",
    "IV only",
    "shorter than the IV",
    "empty",
    "a block too many",
]


@pytest.mark.parametrize("name", CBC_FAILURES)
def test_every_cbc_failure_is_the_same(name: str) -> None:
    """Jager and Somorovsky's oracle is the difference between failures: there is none."""
    with pytest.raises(DecryptionFailed) as raised:
        decrypt_element(_cbc_case(name), [rsa_key()], allow_cbc=True)
    assert type(raised.value) is DecryptionFailed
    assert str(raised.value) == "the encrypted data could not be decrypted with the keys given"
    assert raised.value.__cause__ is None  # nor a context that tells the cause in a traceback:
    assert raised.value.__context__ is None or raised.value.__suppress_context__


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
@given(st.sampled_from(sorted(KEY_SIZES)), st.binary(max_size=200))
def test_any_cbc_cipher_value_is_the_one_failure(content: str, cipher: bytes) -> None:
    """Any CipherValue bytes under the real content key: the one DecryptionFailed (random
    bytes that decrypt to well-formed XML with valid padding would not, and do not happen)."""
    encrypted, _ = cbc_encrypted(document()[0], certificate("rsa", "sp"), content=content)
    content_cipher_value(encrypted).text = base64.b64encode(cipher).decode()
    with pytest.raises(DecryptionFailed) as raised:
        decrypt_element(encrypted, [rsa_key()], allow_cbc=True)
    assert str(raised.value) == "the encrypted data could not be decrypted with the keys given"


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 16).flatmap(lambda n: st.binary(min_size=n - 1, max_size=n - 1)))
def test_any_xml_enc_padding_is_removed(filler: bytes) -> None:
    """Whatever the padding bytes before the count, only the count is read."""
    plain = etree.tostring(document()[0])
    plain += b" " * ((15 - len(filler) - len(plain)) % 16)
    padding = filler + bytes([len(filler) + 1])
    encrypted, _ = cbc_encrypted(plain, certificate("rsa", "sp"), padding=padding)
    found = decrypt_element(encrypted, [rsa_key()], allow_cbc=True)
    assert found.findtext("saml:Subject/saml:NameID", namespaces=NS) == "alice"


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_any_cipher_value_fails_closed(cipher: bytes) -> None:
    encrypted = encrypt_element(document()[0], certificate("rsa", "sp"))
    value = encrypted.find("xenc:CipherData/xenc:CipherValue", XENC)
    assert value is not None
    value.text = base64.b64encode(cipher).decode()
    with pytest.raises(EidError):
        decrypt_element(encrypted, [rsa_key()])
