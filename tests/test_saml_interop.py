"""SAML metadata, and interop with another toolkit: pysaml2's IdP makes a response we import;
assertions encrypted with AES-CBC by pysaml2 and by the xmlsec1 command (ADFS's shape)."""

from __future__ import annotations

import base64
import functools
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server
from saml2.sigver import SecurityContext, pre_encryption_part

from eid.errors import (
    AssertionAlgorithmRefused,
    AssertionCbcRefused,
    AssertionDecryptionFailed,
    AssertionSignatureInvalid,
    AssertionSignatureMissing,
    EidError,
    MalformedInput,
    SignatureInvalid,
    UsageError,
)
from eid.sso import EIDAS, KeySet, MemoryReplayStore
from eid.sso.imported import Imported
from eid.sso.saml import SAML_NS, LogoutEndpoint, logout_endpoint
from eid.sso.saml_import import SamlIdentityProvider, import_saml_response
from eid.sso.saml_metadata import (
    idp_from_metadata,
    idp_metadata,
    portal_from_sp_metadata,
    sp_from_metadata,
)
from eid.xmlsig import AES128_CBC, AES256_CBC, DSIG_NS
from tests.saml_support import ACS, IDP, NOW, SP, do_import, idp, idp_key, issue, statement
from tests.xenc_support import content_cipher_value, xmlsec1_decrypt, xmlsec1_encrypt
from tests.xmlsig_support import certificate, key_pem, pem, private_key, xmlsec1

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
XENC = "{http://www.w3.org/2001/04/xmlenc#}"
PYSAML_IDP = "https://pysaml2-idp.example.test"


def _key_descriptor(use: str, label: str, methods: str = "") -> str:
    der = certificate("rsa", label).public_bytes(serialization.Encoding.DER)
    return (
        f'<md:KeyDescriptor use="{use}"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
        f"{base64.b64encode(der).decode()}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
        f"{methods}</md:KeyDescriptor>"
    )


def sp_metadata(
    *,
    transient: bool = False,
    eidas: bool = True,
    signed: str = "false",
    signing: tuple[str, ...] = (),
    slo: str = "",
    acs: str | None = None,
    encryption_methods: str = "",
) -> bytes:
    """A service provider's metadata with an encryption certificate and requested attributes.

    ``signed`` is its AuthnRequestsSigned, ``signing`` the labels of its signing
    certificates, ``slo`` its SingleLogoutService elements; ``acs`` replaces its
    AssertionConsumerService elements, ``encryption_methods`` are the EncryptionMethod
    elements of its encryption KeyDescriptor.
    """
    if acs is None:
        acs = (
            f'<md:AssertionConsumerService Binding="{BINDING_HTTP_POST}" Location="{ACS}" '
            'index="0"/><md:AssertionConsumerService Location="https://sp.example.test/paos" '
            'Binding="urn:oasis:names:tc:SAML:2.0:bindings:PAOS" index="1"/>'
        )
    name_format = (
        "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
        if transient
        else "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
    )
    requested = (
        "".join(
            f'<md:RequestedAttribute Name="{EIDAS.names[key]}"/>'
            for key in ("person_identifier", "family_name", "given_name")
        )
        if eidas
        else ""
    )
    return (
        f'<md:EntityDescriptor xmlns:md="{MD}" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" '
        f'entityID="{SP}"><md:SPSSODescriptor AuthnRequestsSigned="{signed}" '
        'WantAssertionsSigned="true" '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        + "".join(_key_descriptor("signing", label) for label in signing)
        + _key_descriptor("encryption", "sp", encryption_methods)
        + f"{slo}<md:NameIDFormat>{name_format}</md:NameIDFormat>{acs}"
        f'<md:AttributeConsumingService index="0"><md:ServiceName xml:lang="en">SP</md:ServiceName>'
        f"{requested}</md:AttributeConsumingService>"
        "</md:SPSSODescriptor></md:EntityDescriptor>"
    ).encode()


def test_sp_from_metadata() -> None:
    slo = "".join(
        f'<md:SingleLogoutService Binding="{binding}" Location="{ACS}/slo-{i}"/>'
        for i, binding in enumerate((BINDING_HTTP_POST, BINDING_HTTP_REDIRECT))
    )
    sp = sp_from_metadata(sp_metadata(signed="true", signing=("sp-old", "sp-new"), slo=slo))
    assert sp.entity_id == SP
    assert sp.acs_urls == (ACS,)
    assert sp.authn_requests_signed
    assert sp.signing_certificates == (certificate("rsa", "sp-old"), certificate("rsa", "sp-new"))
    assert sp.encryption_certificate == certificate("rsa", "sp")
    assert sp.logout_endpoints == (
        LogoutEndpoint(BINDING_HTTP_POST, f"{ACS}/slo-0"),
        LogoutEndpoint(BINDING_HTTP_REDIRECT, f"{ACS}/slo-1"),
    )
    # the Redirect binding's, as before POST was supported: logout messages go that way
    assert logout_endpoint(sp.logout_endpoints) == sp.logout_endpoints[1]
    plain = sp_from_metadata(sp_metadata(signed=" 0 "))
    assert (plain.authn_requests_signed, plain.signing_certificates, plain.logout_endpoints) == (
        False,
        (),
        (),
    )


_SOAP = "urn:oasis:names:tc:SAML:2.0:bindings:SOAP"
_URL_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([BINDING_HTTP_REDIRECT, BINDING_HTTP_POST, _SOAP, "", None]),
            st.none() | _URL_TEXT,
            st.none() | _URL_TEXT,
        ),
        max_size=5,
    )
)
def test_single_logout_services_as_listed(services: list[tuple[str | None, ...]]) -> None:
    """Each SingleLogoutService of the Redirect or POST binding with a Location is kept, in
    order, with its ResponseLocation (an empty one is none); the endpoint used is the first
    Redirect one, else the first POST one."""
    elements = "".join(
        "<md:SingleLogoutService"
        + "".join(
            f" {name}={quoteattr(value)}"
            for name, value in zip(
                ("Binding", "Location", "ResponseLocation"), service, strict=True
            )
            if value is not None
        )
        + "/>"
        for service in services
    )
    sp = sp_from_metadata(sp_metadata(slo=elements))
    expected = tuple(
        LogoutEndpoint(binding, location, response or None)
        for binding, location, response in services
        if binding in (BINDING_HTTP_REDIRECT, BINDING_HTTP_POST) and location
    )
    assert sp.logout_endpoints == expected
    by_redirect = [e for e in expected if e.binding == BINDING_HTTP_REDIRECT]
    by_post = [e for e in expected if e.binding == BINDING_HTTP_POST]
    assert logout_endpoint(sp.logout_endpoints) == next(iter(by_redirect + by_post), None)
    for endpoint in expected:
        assert endpoint.response_url == (endpoint.response_location or endpoint.location)


@pytest.mark.parametrize(
    ("binding", "location", "response_location"),
    [(_SOAP, f"{ACS}/slo", None), (BINDING_HTTP_POST, "", None),
     (BINDING_HTTP_REDIRECT, f"{ACS}/slo", "")],
)  # fmt: skip
def test_a_logout_endpoint_needs_a_binding_we_send_by_and_urls(
    binding: str, location: str, response_location: str | None
) -> None:
    with pytest.raises(UsageError):
        LogoutEndpoint(binding, location, response_location)


def test_portal_from_sp_metadata() -> None:
    portal = portal_from_sp_metadata(sp_metadata())
    assert portal.id == SP
    assert portal.kind == "saml"
    assert portal.endpoints == (ACS,)
    assert portal.profile is EIDAS
    assert portal.attributes == {"person_identifier", "family_name", "given_name"}
    assert portal.encryption_certificate == certificate("rsa", "sp")
    assert portal.subject_kind == "pairwise"
    transient = portal_from_sp_metadata(sp_metadata(transient=True, eidas=False))
    assert transient.subject_kind == "transient"
    assert transient.profile.name == "belgian"
    message = issue(portal=portal)
    assert b"EncryptedAssertion" in message
    assert do_import(message).attributes[EIDAS.names["family_name"]] == "SPECIMEN"


def test_xmlsec1_decrypts_our_encrypted_assertion(tmp_path: Path) -> None:
    """xmlsec1 1.2 (what pysaml2 decrypts with on Debian) knows only XML-Enc 1.0 key transport."""
    message = issue(portal=portal_from_sp_metadata(sp_metadata()))
    data = etree.fromstring(message).find(f"{{{SAML_NS}}}EncryptedAssertion/{XENC}EncryptedData")
    assert data is not None
    plain = xmlsec1_decrypt(data, private_key("rsa", "sp"), tmp_path)
    assert etree.fromstring(plain).tag == f"{{{SAML_NS}}}Assertion"


@pytest.mark.parametrize(
    "data",
    [
        b"<r/>",
        b'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>',
        sp_metadata().replace(BINDING_HTTP_POST.encode(), b"urn:other"),
        sp_metadata().replace(b"<ds:X509Certificate>", b"<ds:X509Certificate>!!"),
        sp_metadata(signed="yes", signing=("sp",)),
        sp_metadata(signed="true"),  # signs, but with no key it publishes
    ],
)
def test_malformed_sp_metadata(data: bytes) -> None:
    with pytest.raises(MalformedInput):
        sp_from_metadata(data)
    with pytest.raises(MalformedInput):
        portal_from_sp_metadata(data)


def _unreadable_key(metadata: bytes) -> bytes:
    """``metadata`` with its first KeyDescriptor certificate's RSA key SEQUENCE tagged 0x2e:
    the certificate still loads, its public key does not."""
    opening = metadata.index(b"<ds:X509Certificate>", metadata.index(b"KeyDescriptor"))
    start = opening + len(b"<ds:X509Certificate>")
    end = metadata.index(b"</ds:X509Certificate>", start)
    der = base64.b64decode(metadata[start:end])
    key = der.index(bytes.fromhex("0382010f00308201"))
    broken = der[: key + 5] + b"\x2e" + der[key + 6 :]
    return metadata[:start] + base64.b64encode(broken) + metadata[end:]


def test_a_certificate_whose_key_cannot_be_read_is_malformed_metadata() -> None:
    """Found by the saml_metadata fuzz target: cryptography reads a certificate's key only
    when asked, so the ValueError came out of SamlIdentityProvider, not the reader."""
    keys = KeySet(idp_key())
    idp = _unreadable_key(idp_metadata(IDP, keys, sso_url=f"{IDP}/sso", now=NOW))
    for data, parse in (
        (idp, idp_from_metadata),
        (_unreadable_key(sp_metadata()), portal_from_sp_metadata),
    ):
        with pytest.raises(MalformedInput, match="certificate cannot be read"):
            parse(data)


def test_a_certificate_of_an_unknown_version_is_malformed_metadata() -> None:
    """Found by the saml_metadata fuzz target: cryptography's InvalidVersion escaped."""
    metadata = idp_metadata(IDP, KeySet(idp_key()), sso_url=f"{IDP}/sso", now=NOW)
    opening = metadata.index(b"<ds:X509Certificate>", metadata.index(b"KeyDescriptor"))
    start = opening + len(b"<ds:X509Certificate>")
    end = metadata.index(b"</ds:X509Certificate>", start)
    der = base64.b64decode(metadata[start:end])
    version = der.index(bytes.fromhex("a003020102"))  # [0] EXPLICIT INTEGER 2 (v3)
    broken = der[: version + 4] + b"\x16" + der[version + 5 :]
    with pytest.raises(MalformedInput, match="certificate cannot be read"):
        idp_from_metadata(metadata[:start] + base64.b64encode(broken) + metadata[end:])


def test_idp_metadata_signed_and_read(tmp_path: Path) -> None:
    keys = KeySet(idp_key(), next=idp_key("p256"))
    metadata = idp_metadata(
        IDP,
        keys,
        sso_url=IDP + "/sso",
        now=NOW,
        encryption_certificate=certificate("rsa", "idp-enc"),
    )
    root = etree.fromstring(metadata)
    descriptor = root.find(f"{{{MD}}}IDPSSODescriptor")
    assert descriptor is not None
    uses = [k.get("use") for k in descriptor.findall(f"{{{MD}}}KeyDescriptor")]
    assert uses == ["signing", "signing", "encryption"]
    assert len(descriptor.findall(f"{{{MD}}}NameIDFormat")) == 3
    assert len(descriptor.findall(f"{{{MD}}}SingleSignOnService")) == 2
    assert (
        xmlsec1(tmp_path, metadata, certificate("rsa"), "--id-attr:ID", f"{MD}:EntityDescriptor")
        == 0
    )
    provider = idp_from_metadata(metadata, signer=certificate("rsa"))
    assert provider.entity_id == IDP
    assert provider.certificates == (certificate("rsa"), certificate("p256"))
    with pytest.raises(SignatureInvalid):
        idp_from_metadata(metadata.replace(b"/sso", b"/evil"), signer=certificate("rsa"))
    # a response signed by the published next key imports once it signs
    assert do_import(issue(kind="p256", portal=None), provider=provider).issuer == IDP


def _pysaml2_server(tmp_path: Path) -> Server:
    (tmp_path / "idp.key").write_bytes(key_pem(private_key("rsa", "pysaml2")))
    (tmp_path / "idp.crt").write_bytes(pem(certificate("rsa", "pysaml2")))
    (tmp_path / "sp.xml").write_bytes(sp_metadata(eidas=False))
    config = IdPConfig()
    config.load(
        {
            "entityid": PYSAML_IDP,
            "service": {
                "idp": {
                    "endpoints": {
                        "single_sign_on_service": [(PYSAML_IDP + "/sso", BINDING_HTTP_REDIRECT)]
                    },
                    "policy": {"default": {"lifetime": {"minutes": 5}}},
                    "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                }
            },
            "key_file": str(tmp_path / "idp.key"),
            "cert_file": str(tmp_path / "idp.crt"),
            "metadata": {"local": [str(tmp_path / "sp.xml")]},
            "xmlsec_binary": "/usr/bin/xmlsec1",
        }
    )
    return Server(config=config)


def _pysaml2_response(
    tmp_path: Path, *, sign_assertion: bool, sign_response: bool, encrypt_assertion: bool = False
) -> bytes:
    """A response of pysaml2's IdP about Alice (RSA-SHA256), signed and encrypted where asked
    (the assertion for `sp_metadata`'s encryption certificate, signed first)."""
    response = _pysaml2_server(tmp_path).create_authn_response(
        identity={"givenName": ["Alice"], "sn": ["Specimen"]},
        in_response_to="_pysaml2-request",
        destination=ACS,
        sp_entity_id=SP,
        name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text="alice-pairwise"),
        authn={"class_ref": "http://eidas.europa.eu/LoA/substantial"},
        sign_assertion=sign_assertion,
        sign_response=sign_response,
        encrypt_assertion=encrypt_assertion,
        sign_alg="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        digest_alg="http://www.w3.org/2001/04/xmlenc#sha256",
    )
    return str(response).encode()


def _import_pysaml2(message: bytes, **policy: object) -> Imported:
    """Import pysaml2's response as the portal, with the policy ``policy`` for its IdP."""
    provider = SamlIdentityProvider(PYSAML_IDP, (certificate("rsa", "pysaml2"),), **policy)  # type: ignore[arg-type]
    return import_saml_response(
        message,
        idp=provider,
        audience=SP,
        recipient=ACS,
        in_response_to="_pysaml2-request",
        replay=MemoryReplayStore(),
        decryption_keys=[private_key("rsa", "sp")],  # type: ignore[list-item]
    )


def test_pysaml2_response_imports(tmp_path: Path) -> None:
    message = _pysaml2_response(tmp_path, sign_assertion=True, sign_response=False)
    assert etree.fromstring(message).find(f"{{{SAML_NS}}}Assertion") is not None
    imported = _import_pysaml2(message)
    assert imported.subject == "alice-pairwise"
    assert imported.level == "substantial"
    assert "Alice" in imported.attributes.values()
    with pytest.raises(AssertionSignatureInvalid):
        _import_pysaml2(message.replace(b"alice-pairwise", b"mallory"))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300) | st.sampled_from([sp_metadata()]).map(lambda d: d[: len(d) // 2]))
def test_metadata_parsers_never_fail_otherwise(data: bytes) -> None:
    for parse in (sp_from_metadata, portal_from_sp_metadata, idp_from_metadata):
        with pytest.raises(EidError):
            parse(data)


@pytest.mark.parametrize("encrypted", [False, True])
def test_responses_are_valid_under_the_saml_schemas(encrypted: bool) -> None:
    """python3-saml validates every response against the SAML 2.0 schemas (XML-Enc 1.0's too).

    That schema set declares no XML-Enc 1.1 element, and XML-Enc 1.0's EncryptionMethod
    takes other namespaces' elements only if declared: an ``xenc11:MGF`` there is refused.
    """
    portal = portal_from_sp_metadata(sp_metadata())
    if not encrypted:
        portal = replace(portal, encryption_certificate=None)
    message = issue(portal=portal)
    assert (b"EncryptedAssertion" in message) is encrypted
    checked = OneLogin_Saml2_XML.validate_xml(message, "saml-schema-protocol-2.0.xsd")
    assert not isinstance(checked, str), checked
    assert do_import(message).attributes[EIDAS.names["family_name"]] == "SPECIMEN"


def test_a_response_signed_only_at_the_response_level(tmp_path: Path) -> None:
    """Keycloak and the Shibboleth IdP sign the Response, not the assertion, by default.

    Refused unless the portal allows it for that provider; then the Response's signature
    covers the assertion, and a change anywhere in it still fails.
    """
    message = _pysaml2_response(tmp_path, sign_assertion=False, sign_response=True)
    relaxed = {"require_signed_assertion": False}
    with pytest.raises(AssertionSignatureMissing):
        _import_pysaml2(message)
    assert _import_pysaml2(message, **relaxed).subject == "alice-pairwise"
    with pytest.raises(AssertionSignatureInvalid):
        _import_pysaml2(message.replace(b"alice-pairwise", b"mallory"), **relaxed)
    stripped = etree.fromstring(message)
    stripped.remove(stripped.find(f"{{{DSIG_NS}}}Signature"))
    with pytest.raises(AssertionSignatureMissing):
        _import_pysaml2(etree.tostring(stripped), **relaxed)


def _spoiled(message: bytes, spoil: Callable[[bytes], bytes]) -> bytes:
    """``message`` with its content CipherValue (IV || ciphertext) passed through ``spoil``."""
    root = etree.fromstring(message)
    data = root.find(f"{{{SAML_NS}}}EncryptedAssertion/{XENC}EncryptedData")
    assert data is not None
    value = content_cipher_value(data)
    value.text = base64.b64encode(spoil(base64.b64decode(value.text or ""))).decode()
    return etree.tostring(root)


def _flip(message: bytes, at: int) -> bytes:
    """``message`` with a bit of its content CipherValue's byte ``at`` flipped."""

    def flip(raw: bytes) -> bytes:
        changed = bytearray(raw)
        changed[at] ^= 0x01
        return bytes(changed)

    return _spoiled(message, flip)


@pytest.fixture
def pysaml2_aes128_cbc(monkeypatch: pytest.MonkeyPatch) -> None:
    """pysaml2 encrypts with 3DES-CBC and has no setting for another method: its template's
    EncryptionMethod and xmlsec1's session key become AES-128-CBC (what xmlsec1 does is
    unchanged)."""
    monkeypatch.setattr(
        "saml2.entity.pre_encryption_part",
        functools.partial(pre_encryption_part, msg_enc=AES128_CBC),
    )
    monkeypatch.setattr(
        SecurityContext,
        "encrypt_assertion",
        functools.partialmethod(SecurityContext.encrypt_assertion, key_type="aes-128"),
    )


@pytest.mark.usefixtures("pysaml2_aes128_cbc")
def test_pysaml2_assertion_encrypted_with_aes_cbc(tmp_path: Path) -> None:
    """pysaml2's IdP signs the assertion, then encrypts it with AES-128-CBC (xmlsec1)."""
    message = _pysaml2_response(
        tmp_path, sign_assertion=True, sign_response=False, encrypt_assertion=True
    )
    assert AES128_CBC.encode() in message
    assert b"Alice" not in message
    with pytest.raises(AssertionCbcRefused):
        _import_pysaml2(message)
    imported = _import_pysaml2(message, allow_cbc=True)
    assert imported.subject == "alice-pairwise"
    assert "Alice" in imported.attributes.values()
    for at in (0, 40, -17, -1):  # IV, ciphertext, the block before the padding, the padding
        with pytest.raises(AssertionDecryptionFailed, match="could not be decrypted"):
            _import_pysaml2(_flip(message, at), allow_cbc=True)


@pytest.mark.usefixtures("pysaml2_aes128_cbc")
def test_pysaml2_cbc_under_the_response_signature_only(tmp_path: Path) -> None:
    """Shibboleth IdP 3's shape: the Response signed around an AES-CBC EncryptedAssertion
    of an unsigned assertion. The signature authenticates the ciphertext, so failures of
    the plaintext are named again; a changed ciphertext never reaches the decryption."""
    message = _pysaml2_response(
        tmp_path, sign_assertion=False, sign_response=True, encrypt_assertion=True
    )
    with pytest.raises(AssertionSignatureMissing):
        _import_pysaml2(message)
    relaxed = {"require_signed_assertion": False}  # CBC under the verified Response signature
    assert _import_pysaml2(message, **relaxed).subject == "alice-pairwise"
    with pytest.raises(AssertionSignatureInvalid):
        _import_pysaml2(_flip(message, -1), **relaxed)


def test_pysaml2_default_triple_des_is_refused(tmp_path: Path) -> None:
    """pysaml2's own default, 3DES-CBC (64-bit blocks), is not decrypted, switch or not."""
    message = _pysaml2_response(
        tmp_path, sign_assertion=True, sign_response=False, encrypt_assertion=True
    )
    for policy in ({}, {"allow_cbc": True}):
        with pytest.raises(AssertionAlgorithmRefused, match="tripledes-cbc") as refused:
            _import_pysaml2(message, **policy)
        assert type(refused.value) is AssertionAlgorithmRefused


@pytest.mark.parametrize("content", [AES128_CBC, AES256_CBC])
def test_xmlsec1_encrypts_an_adfs_shaped_assertion(tmp_path: Path, content: str) -> None:
    """ADFS and Azure AD: the signed assertion encrypted with AES-CBC (ADFS: aes256-cbc) and
    the key with rsa-oaep-mgf1p, the Response unsigned; here the xmlsec1 command encrypts."""
    issued = issue()  # the assertion declares its namespace, as ADFS's does: self-contained
    start, end = issued.index(b"<saml:Assertion "), issued.index(b"</samlp:Response>")
    wrapped = (
        issued[:start] + b"<saml:EncryptedAssertion>" + issued[start:end]
        + b"</saml:EncryptedAssertion>" + issued[end:]
    )  # fmt: skip
    message = xmlsec1_encrypt(
        tmp_path,
        wrapped,
        certificate("rsa", "sp"),
        content=content,
        xpath="/*[local-name()='Response']/*[local-name()='EncryptedAssertion']/*",
    )
    assert content.encode() in message
    assert b"SPECIMEN" not in message
    with pytest.raises(AssertionCbcRefused):
        do_import(message)
    allowed = idp(allow_cbc=True)
    assert do_import(message, provider=allowed).subject == statement().subject.value
    spoiled = [_flip(message, at) for at in (0, 5, 40, -17, -1)]  # IV, ..., the padding
    for end in (-16, -1, 16, 0):  # truncated by a block or a byte; the IV alone; nothing
        spoiled.append(_spoiled(message, lambda raw, end=end: raw[:end]))  # type: ignore[misc]
    failures = set()
    for data in spoiled:
        with pytest.raises(AssertionDecryptionFailed) as raised:
            do_import(data, provider=allowed)
        failures.add(raised.value.message)
    with pytest.raises(AssertionDecryptionFailed) as wrong_key:
        do_import(message, provider=allowed, decryption_keys=[private_key("rsa", "other")])
    assert failures == {wrong_key.value.message}
