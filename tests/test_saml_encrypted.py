"""Encrypted assertions at the portal: AES-CBC only where allowed, its failures all alike, and
an encrypted unsigned assertion under a Response-only signature (Keycloak with encryption)."""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from eid.errors import (
    AssertionAlgorithmRefused,
    AssertionCbcRefused,
    AssertionDecryptionFailed,
    AssertionMalformed,
    AssertionSignatureInvalid,
    AssertionSignatureMissing,
    EidError,
    XmlForbidden,
)
from eid.sso.saml import SAML_NS, SAMLP_NS
from eid.xmlsig import AES128_CBC, AES192_CBC, AES256_CBC, AES256_GCM, DSIG_NS, decrypt_element
from tests.saml_support import do_import, idp, issue, sign_as_idp, sp_key, statement, tree
from tests.xenc_support import XENC_NS, cbc_encrypted, content_cipher_value
from tests.xmlsig_support import certificate, private_key

NS = {"samlp": SAMLP_NS, "saml": SAML_NS, "ds": DSIG_NS, "xenc": XENC_NS}
UNDECRYPTABLE = "the encrypted assertion could not be decrypted and verified with the keys given"
CBC = idp(allow_cbc=True)
CONTENT = {"cbc": AES256_CBC, "gcm": AES256_GCM}


def _encrypt(plaintext: bytes, mode: str) -> etree._Element:
    """``plaintext`` as EncryptedData for the portal: AES-256-CBC, or AES-256-GCM."""
    return cbc_encrypted(plaintext, certificate("rsa", "sp"), content=CONTENT[mode])[0]


def _assertion(
    *, signed: bool = True, change: Callable[[etree._Element], object] | None = None
) -> bytes:
    """The provider's assertion about Alice, signed or not, ``change``d after signing."""
    assertion = tree(issue()).find("saml:Assertion", NS)
    assert assertion is not None
    if not signed:
        assertion.remove(assertion.find("ds:Signature", NS))  # type: ignore[arg-type]
    if change is not None:
        change(assertion)
    return etree.tostring(assertion)


def _response(data: etree._Element, *, signed: bool = False) -> etree._Element:
    """The provider's Response around ``<saml:EncryptedAssertion>`` ``data``, signed or not."""
    root = tree(issue())
    assertion = root.find("saml:Assertion", NS)
    assert assertion is not None
    wrapper = etree.Element(f"{{{SAML_NS}}}EncryptedAssertion", nsmap={"saml": SAML_NS})
    wrapper.append(data)
    root.replace(assertion, wrapper)
    if signed:
        sign_as_idp(root)
    return root


def _message(mode: str = "cbc", *, signed_response: bool = False, signed: bool = True) -> bytes:
    plaintext = _assertion(signed=signed)
    return etree.tostring(_response(_encrypt(plaintext, mode), signed=signed_response))


def _name_id(assertion: etree._Element) -> None:
    name_id = assertion.find("saml:Subject/saml:NameID", NS)
    assert name_id is not None
    name_id.text = "mallory"


# -- the switch --------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [AES128_CBC, AES192_CBC, AES256_CBC])
def test_cbc_only_where_the_portal_allows_it(content: str) -> None:
    """ADFS's shape: a signed assertion inside AES-CBC, the Response unsigned."""
    data, _ = cbc_encrypted(_assertion(), certificate("rsa", "sp"), content=content)
    message = etree.tostring(_response(data))
    with pytest.raises(AssertionCbcRefused) as refused:
        do_import(message)
    assert isinstance(refused.value, AssertionAlgorithmRefused)
    assert refused.value.code == "assertion_cbc_refused"
    assert "allow_cbc=True" in refused.value.message
    assert "--allow-cbc" in refused.value.message
    assert content.rsplit("#", 1)[-1] in refused.value.message
    assert do_import(message, provider=CBC).subject == statement().subject.value
    with pytest.raises(AssertionDecryptionFailed) as wrong_key:
        do_import(message, provider=CBC, decryption_keys=[private_key("rsa", "other")])
    assert wrong_key.value.message == UNDECRYPTABLE


def test_a_verified_response_signature_admits_cbc_without_the_switch() -> None:
    """A verified Response signature authenticates the ciphertext (no oracle: a modified one
    never reaches the decryption), so CBC under it needs no switch; a Response signature
    that does not verify, or none, still leaves CBC refused before any decryption."""
    message = _message(signed_response=True)
    assert do_import(message).subject == statement().subject.value
    root = etree.fromstring(message)
    _tamper_ciphertext(root)
    with pytest.raises(AssertionSignatureInvalid):
        do_import(etree.tostring(root))
    with pytest.raises(AssertionCbcRefused):
        do_import(_message())


# -- one failure for everything an attacker could learn from --------------------------------


def _attacker_signed_assertion() -> bytes:
    assertion = etree.fromstring(_assertion(signed=False, change=_name_id))
    sign_as_idp(assertion, label="attacker")
    return etree.tostring(assertion)


def _two_assertions() -> bytes:
    assertion = etree.fromstring(_assertion())
    advice = etree.SubElement(assertion, f"{{{SAML_NS}}}Advice")
    advice.append(etree.fromstring(_assertion()))
    return etree.tostring(assertion)


# a plaintext, and what it gives under AES-GCM, whose ciphertext cannot be changed unseen
PLAINTEXTS: dict[str, tuple[Callable[[], bytes], type[EidError]]] = {
    "unsigned assertion": (lambda: _assertion(signed=False), AssertionSignatureMissing),
    "assertion changed after signing": (
        lambda: _assertion(change=_name_id),
        AssertionSignatureInvalid,
    ),
    "assertion signed by an attacker": (_attacker_signed_assertion, AssertionSignatureInvalid),
    "not an assertion": (
        lambda: f'<saml:Issuer xmlns:saml="{SAML_NS}">x</saml:Issuer>'.encode(),
        AssertionMalformed,
    ),
    "two assertions": (_two_assertions, AssertionMalformed),
    "a DTD": (
        lambda: b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
        XmlForbidden,
    ),
}


@pytest.mark.parametrize("name", list(PLAINTEXTS))
def test_every_cbc_failure_up_to_the_assertion_signature_is_one(name: str) -> None:
    """Under CBC, a plaintext that parses but fails later would tell the attacker that his
    modified ciphertext decrypted to XML (Jager & Somorovsky's oracle): same error, same
    message as a wrong key. Under GCM, the same plaintexts fail each in their own way."""
    make, gcm_error = PLAINTEXTS[name]
    plaintext = make()
    with pytest.raises(gcm_error) as precise:
        do_import(etree.tostring(_response(_encrypt(plaintext, "gcm"))))
    assert type(precise.value) is gcm_error
    with pytest.raises(AssertionDecryptionFailed) as raised:
        do_import(etree.tostring(_response(_encrypt(plaintext, "cbc"))), provider=CBC)
    assert raised.value.message == UNDECRYPTABLE


def test_a_signed_response_makes_cbc_failures_precise_again() -> None:
    """Where the Response's signature verified, the ciphertext is authenticated: nothing to
    hide, so a provider's mistake is named."""
    message = _message(signed_response=True, signed=False)
    with pytest.raises(AssertionSignatureMissing):
        do_import(message, provider=CBC)
    with pytest.raises(AssertionDecryptionFailed, match="decrypted") as unsigned:
        do_import(_message(signed=False), provider=CBC)
    assert unsigned.value.message == UNDECRYPTABLE


def test_a_plaintext_forged_through_the_iv_fails_alike() -> None:
    """An assertion's first plaintext block is predictable (``<saml:Assertion ``): through
    the IV an attacker makes it any 16 bytes, here a whole element and its padding, and
    keeps only that block. It decrypts to XML, and nothing says so."""
    root = tree(_message())
    data = _encrypted_data(root)
    value = content_cipher_value(data)
    raw = base64.b64decode(value.text or "")
    known, wanted = b"<saml:Assertion ", b"<a>forged</a>\x00\x00\x03"
    iv = bytes(c ^ k ^ w for c, k, w in zip(raw[:16], known, wanted, strict=True))
    value.text = base64.b64encode(iv + raw[16:32]).decode()
    assert decrypt_element(data, [sp_key()], allow_cbc=True).text == "forged"
    with pytest.raises(AssertionDecryptionFailed) as raised:
        do_import(etree.tostring(root), provider=CBC)
    assert raised.value.message == UNDECRYPTABLE


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_a_flipped_bit_in_the_cbc_ciphertext_is_always_the_one_failure(data: st.DataObject) -> None:
    """Whatever bit of IV or ciphertext changes (padding, markup, signed text), the import
    says the one thing."""
    root = tree(_message())
    value = content_cipher_value(_encrypted_data(root))
    raw = bytearray(base64.b64decode(value.text or ""))
    end = len(raw) - 1
    position = data.draw(  # the IV changes markup in place, the last blocks the padding
        st.integers(0, 15) | st.integers(end - 31, end) | st.integers(0, end), label="byte"
    )
    raw[position] ^= 1 << data.draw(st.integers(0, 7), label="bit")
    value.text = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(AssertionDecryptionFailed) as raised:
        do_import(etree.tostring(root), provider=CBC)
    assert raised.value.message == UNDECRYPTABLE


# -- an encrypted, unsigned assertion under the Response's signature alone (Keycloak) ----------


def _keycloak(mode: str) -> etree._Element:
    return _response(_encrypt(_assertion(signed=False), mode), signed=True)


def _encrypted_data(root: etree._Element) -> etree._Element:
    found = root.find("saml:EncryptedAssertion/xenc:EncryptedData", NS)
    assert found is not None
    return found


def _tamper_ciphertext(root: etree._Element) -> None:
    value = content_cipher_value(_encrypted_data(root))
    raw = bytearray(base64.b64decode(value.text or ""))
    raw[len(raw) // 2] ^= 1
    value.text = base64.b64encode(bytes(raw)).decode()


def _tamper_key(root: etree._Element) -> None:
    value = _encrypted_data(root).find(".//xenc:EncryptedKey/xenc:CipherData/xenc:CipherValue", NS)
    assert value is not None
    raw = bytearray(base64.b64decode(value.text or ""))
    raw[-1] ^= 1
    value.text = base64.b64encode(bytes(raw)).decode()


def _evil_encrypted_assertion(mode: str) -> etree._Element:
    """What anyone can make: an assertion of his own, encrypted to the portal's public key."""
    wrapper = etree.Element(f"{{{SAML_NS}}}EncryptedAssertion", nsmap={"saml": SAML_NS})
    wrapper.append(_encrypt(_assertion(signed=False, change=_name_id), mode))
    return wrapper


def _replaced_by_evil(mode: str) -> Callable[[etree._Element], object]:
    def change(root: etree._Element) -> None:
        original = root.find("saml:EncryptedAssertion", NS)
        assert original is not None
        root.replace(original, _evil_encrypted_assertion(mode))

    return change


def _signature_removed(root: etree._Element) -> None:
    root.remove(root.find("ds:Signature", NS))  # type: ignore[arg-type]


def _moved_out_of_the_signed_response(root: etree._Element) -> etree._Element:
    """An evil Response around the signed one (in its Extensions), the EncryptedAssertion
    moved out of the signed Response into the evil one."""
    evil = copy.deepcopy(root)
    _signature_removed(evil)
    encrypted = root.find("saml:EncryptedAssertion", NS)
    assert encrypted is not None
    root.remove(encrypted)
    evil.replace(evil.find("saml:EncryptedAssertion", NS), encrypted)  # type: ignore[arg-type]
    extensions = etree.Element(f"{{{SAMLP_NS}}}Extensions")
    extensions.append(root)
    evil.insert(1, extensions)
    return evil


def _wrapped_in_evil(mode: str) -> Callable[[etree._Element], etree._Element]:
    """The untouched signed Response in the Extensions of an evil one with an evil assertion."""

    def change(root: etree._Element) -> etree._Element:
        evil = copy.deepcopy(root)
        _signature_removed(evil)
        _replaced_by_evil(mode)(evil)
        extensions = etree.Element(f"{{{SAMLP_NS}}}Extensions")
        extensions.append(root)
        evil.insert(1, extensions)
        return evil

    return change


def _attacker_signed(mode: str) -> Callable[[etree._Element], object]:
    def change(root: etree._Element) -> None:
        _signature_removed(root)
        _replaced_by_evil(mode)(root)
        sign_as_idp(root, label="attacker")

    return change


def _second_encrypted_assertion(mode: str) -> Callable[[etree._Element], object]:
    def change(root: etree._Element) -> None:
        original = root.find("saml:EncryptedAssertion", NS)
        assert original is not None
        original.addnext(_evil_encrypted_assertion(mode))

    return change


def _unchanged_by_mode(
    change: Callable[[etree._Element], object],
) -> Callable[[str], Callable[[etree._Element], object]]:
    return lambda mode: change


# name: (a change, for the mode, after the provider signed the Response; the error)
KEYCLOAK_HOSTILE: dict[
    str, tuple[Callable[[str], Callable[[etree._Element], object]], type[EidError]]
] = {
    "ciphertext tampered": (_unchanged_by_mode(_tamper_ciphertext), AssertionSignatureInvalid),
    "wrapped key tampered": (_unchanged_by_mode(_tamper_key), AssertionSignatureInvalid),
    "replaced by the attacker's encryption": (_replaced_by_evil, AssertionSignatureInvalid),
    "a second encrypted assertion": (_second_encrypted_assertion, AssertionSignatureInvalid),
    "signed by an attacker": (_attacker_signed, AssertionSignatureInvalid),
    "signature removed": (_unchanged_by_mode(_signature_removed), AssertionSignatureMissing),
    "moved out of the signed Response": (
        _unchanged_by_mode(_moved_out_of_the_signed_response),
        AssertionSignatureMissing,
    ),
    "signed Response wrapped in an evil one": (_wrapped_in_evil, AssertionMalformed),
}
"""Where no verified Response signature covers a CBC ciphertext, the unsigned assertion it
decrypts to is the one decryption failure rather than `AssertionSignatureMissing`."""


@pytest.mark.parametrize("mode", ["gcm", "cbc"])
def test_an_encrypted_assertion_under_the_response_signature_only(mode: str) -> None:
    """Keycloak (and the Shibboleth IdP) with encryption on: the Response is signed around an
    EncryptedAssertion of an unsigned assertion. Only where the portal allows it; CBC needs
    no switch, as the verified Response signature authenticates its ciphertext."""
    provider = idp(require_signed_assertion=False)
    message = etree.tostring(_keycloak(mode))
    assert b"EncryptedAssertion" in message
    assert b"SPECIMEN" not in message
    with pytest.raises(AssertionSignatureMissing):
        do_import(message, provider=idp(allow_cbc=True))
    imported = do_import(message, provider=provider)
    assert imported.subject == statement().subject.value
    assert "SPECIMEN" in imported.attributes.values()
    with pytest.raises(AssertionDecryptionFailed):
        do_import(message, provider=provider, decryption_keys=[private_key("rsa", "other")])


@pytest.mark.parametrize("switch", [True, False], ids=["allow_cbc", "default"])
@pytest.mark.parametrize("mode", ["gcm", "cbc"])
@pytest.mark.parametrize("name", list(KEYCLOAK_HOSTILE))
def test_hostile_encrypted_response_signed_only_refused(name: str, mode: str, switch: bool) -> None:
    """Without the switch, a CBC ciphertext that lost the Response signature's cover is
    refused before its decryption; with it, it fails as the decryption."""
    make, error = KEYCLOAK_HOSTILE[name]
    if mode == "cbc" and error is AssertionSignatureMissing:
        error = AssertionDecryptionFailed if switch else AssertionCbcRefused
    root = _keycloak(mode)
    changed = make(mode)(root)
    message = etree.tostring(changed if isinstance(changed, etree._Element) else root)
    provider = idp(require_signed_assertion=False, allow_cbc=switch)
    with pytest.raises(error) as raised:
        do_import(message, provider=provider)
    assert type(raised.value) is error
