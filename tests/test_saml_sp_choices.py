"""What a service provider's metadata and AuthnRequest choose: its ACS (URL, index, default),
the encryption of its assertions (from the EncryptionMethods it lists), SHA-1 signatures."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from onelogin.saml2.utils import OneLogin_Saml2_Utils
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML
from saml2 import BINDING_HTTP_ARTIFACT, BINDING_HTTP_POST

from eid.errors import (
    AssertionSha1Refused,
    AssertionSignatureInvalid,
    EidError,
    MalformedInput,
    RedirectUriMismatch,
)
from eid.sso import Portal
from eid.sso.saml import SAML_NS, SAMLP_NS, parse_index
from eid.sso.saml_encryption import DEFAULT_ENCRYPTION, AssertionEncryption
from eid.sso.saml_metadata import portal_from_sp_metadata, sp_from_metadata
from eid.web.problems import InvalidRequest
from eid.web.saml_bindings import ReceivedRequest, response_endpoint, verify_request
from eid.xmlsig import (
    AES128_GCM,
    AES256_GCM,
    MGF1P_SHA1,
    RSA_OAEP,
    RSA_OAEP_MGF1P,
    KeyTransport,
)
from tests.saml_support import do_import, issue, sp_key
from tests.self_signed import self_signed
from tests.test_saml_interop import XENC, sp_metadata
from tests.xenc_support import xmlsec1_decrypt
from tests.xmlsig_support import certificate, key_pem, private_key

XENC11 = "http://www.w3.org/2009/xmlenc11#"
XMLENC = "http://www.w3.org/2001/04/xmlenc#"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
ACS_1 = "https://sp.example.test/acs-1"
ACS_2 = "https://sp.example.test/acs-2"
ACS_3 = "https://sp.example.test/acs-3"


# -- assertion consumer services ---------------------------------------------------------------


def _service(
    location: str, index: str | None, default: str | None = None, binding: str = ""
) -> str:
    attributes = f'Binding="{binding or BINDING_HTTP_POST}" Location="{location}"'
    attributes += f' index="{index}"' if index is not None else ""
    attributes += f' isDefault="{default}"' if default is not None else ""
    return f"<md:AssertionConsumerService {attributes}/>"


def _consumers(*services: str) -> tuple[tuple[str, ...], tuple[tuple[int, str], ...]]:
    sp = sp_from_metadata(sp_metadata(acs="".join(services)))
    return sp.acs_urls, sp.acs_indexes


def test_acs_indexes_are_kept_and_only_post_endpoints_count() -> None:
    urls, indexes = _consumers(
        _service(ACS_1, "3"),
        _service("https://sp.example.test/artifact", "1", binding=BINDING_HTTP_ARTIFACT),
        _service(ACS_2, " 2 "),
        _service(ACS_3, None),  # no index (the schema wants one): reachable by URL only
    )
    assert urls == (ACS_1, ACS_2, ACS_3)
    assert indexes == ((2, ACS_2), (3, ACS_1))
    portal = portal_from_sp_metadata(sp_metadata(acs=_service(ACS_1, "3") + _service(ACS_2, "2")))
    assert (portal.acs_at(3), portal.acs_at(2)) == (ACS_1, ACS_2)
    assert portal.acs_indexes == ((2, ACS_2), (3, ACS_1))
    with pytest.raises(RedirectUriMismatch, match="index 1"):
        portal.acs_at(1)  # the artifact endpoint's index is none of ours


def test_the_default_acs_follows_saml_metadata_2_2_3() -> None:
    """The first isDefault="true"; else the first without isDefault="false"; else the first."""
    assert _consumers(
        _service(ACS_1, "0"), _service(ACS_2, "1", "false"), _service(ACS_3, "2", " 1 ")
    )[0] == (ACS_3, ACS_1, ACS_2)
    assert _consumers(
        _service(ACS_1, "0", "false"), _service(ACS_2, "1", "false"), _service(ACS_3, "2")
    )[0] == (ACS_3, ACS_1, ACS_2)
    assert _consumers(_service(ACS_1, "0", "false"), _service(ACS_2, "1", "0"))[0] == (
        ACS_1,
        ACS_2,
    )
    # an isDefault endpoint of another binding is not ours to answer at
    assert _consumers(
        _service("https://sp.example.test/artifact", "0", "true", BINDING_HTTP_ARTIFACT),
        _service(ACS_1, "1", "false"),
        _service(ACS_2, "2"),
    )[0] == (ACS_2, ACS_1)
    assert (
        portal_from_sp_metadata(
            sp_metadata(acs=_service(ACS_1, "0") + _service(ACS_2, "1", "true"))
        ).default_endpoint
        == ACS_2
    )


@pytest.mark.parametrize(
    ("services", "message"),
    [
        ((_service(ACS_1, "1"), _service(ACS_2, "1")), "two ACS have index 1"),
        ((_service(ACS_1, "1", binding=BINDING_HTTP_ARTIFACT), _service(ACS_2, "1")), "index 1"),
        ((_service(ACS_1, "-1"),), "not a number"),
        ((_service(ACS_1, "65536"),), "not a number"),
        ((_service(ACS_1, "x"),), "not a number"),
        ((_service(ACS_1, "1", "yes"),), "isDefault is not a boolean"),
    ],
)
def test_malformed_acs_elements(services: tuple[str, ...], message: str) -> None:
    with pytest.raises(MalformedInput, match=message):
        sp_from_metadata(sp_metadata(acs="".join(services)))


def test_a_portal_refuses_indexes_that_contradict_its_endpoints() -> None:
    with pytest.raises(EidError, match="given twice"):
        Portal(id="x", kind="saml", endpoints=(ACS_1,), acs_indexes=((1, ACS_1), (1, ACS_1)))
    with pytest.raises(EidError, match="no endpoint"):
        Portal(id="x", kind="saml", endpoints=(ACS_1,), acs_indexes=((1, ACS_2),))


def _request(**attributes: str) -> etree._Element:
    root = etree.Element(f"{{{SAMLP_NS}}}AuthnRequest", attributes)
    etree.SubElement(root, f"{{{SAML_NS}}}Issuer").text = "https://sp.example.test/metadata"
    return root


INDEXED = Portal(
    id="https://sp.example.test/metadata",
    kind="saml",
    endpoints=(ACS_2, ACS_1),
    acs_indexes=((1, ACS_1), (2, ACS_2)),
)


def test_the_response_endpoint_of_a_request() -> None:
    assert response_endpoint(_request(AssertionConsumerServiceIndex="1"), INDEXED) == ACS_1
    assert response_endpoint(_request(AssertionConsumerServiceURL=ACS_1), INDEXED) == ACS_1
    assert response_endpoint(_request(), INDEXED) == ACS_2  # the default
    # pysaml2 sends ProtocolBinding with an index: consistent, so accepted
    with_binding = _request(AssertionConsumerServiceIndex="2", ProtocolBinding=BINDING_HTTP_POST)
    assert response_endpoint(with_binding, INDEXED) == ACS_2
    for request, error, message in (
        (_request(AssertionConsumerServiceIndex="7"), RedirectUriMismatch, "index 7"),
        (_request(AssertionConsumerServiceURL=ACS_3), RedirectUriMismatch, "not registered"),
        (
            _request(AssertionConsumerServiceIndex="1", AssertionConsumerServiceURL=ACS_1),
            InvalidRequest,
            "exclude each other",
        ),
        (_request(AssertionConsumerServiceIndex="one"), InvalidRequest, "not a number"),
        (
            _request(AssertionConsumerServiceIndex="1", ProtocolBinding=BINDING_HTTP_ARTIFACT),
            InvalidRequest,
            "HTTP-POST binding only",
        ),
    ):
        with pytest.raises(error, match=message):
            response_endpoint(request, INDEXED)
    with pytest.raises(RedirectUriMismatch):
        response_endpoint(_request(), replace(INDEXED, endpoints=(), acs_indexes=()))


@given(st.text(max_size=12) | st.integers(-5, 70000).map(str))
def test_parse_index_is_an_unsigned_short_or_none(text: str) -> None:
    index = parse_index(text)
    if index is None:
        return
    assert 0 <= index <= 0xFFFF
    assert index == int(text.strip(" \t\r\n"))


@given(
    st.dictionaries(
        st.sampled_from(
            ["AssertionConsumerServiceIndex", "AssertionConsumerServiceURL", "ProtocolBinding"]
        ),
        st.sampled_from([ACS_1, ACS_3, BINDING_HTTP_POST, "1", "2", "7", "+02", " 1"])
        | st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=8),
        max_size=3,
    )
)
def test_response_endpoint_is_registered_or_an_error(attributes: dict[str, str]) -> None:
    try:
        url = response_endpoint(_request(**attributes), INDEXED)
    except (InvalidRequest, RedirectUriMismatch):
        return
    assert url in INDEXED.endpoints


# -- encryption methods ------------------------------------------------------------------------


def _method(uri: str, *children: str) -> str:
    return f'<md:EncryptionMethod Algorithm="{uri}">{"".join(children)}</md:EncryptionMethod>'


def _digest(uri: str) -> str:
    return f'<ds:DigestMethod Algorithm="{uri}"/>'


def _mgf(name: str) -> str:
    return f'<xenc11:MGF xmlns:xenc11="{XENC11}" Algorithm="{XENC11}mgf1{name}"/>'


SHIBBOLETH = (
    _method(XENC11 + "aes128-gcm"),
    _method(XENC11 + "aes192-gcm"),
    _method(XENC11 + "aes256-gcm"),
    _method(XMLENC + "aes128-cbc"),
    _method(XMLENC + "aes256-cbc"),
    _method(XMLENC + "tripledes-cbc"),
    _method(XENC11 + "rsa-oaep"),
    _method(XMLENC + "rsa-oaep-mgf1p"),
)
"""What the Shibboleth SP publishes by default (its metadata generator's list)."""


def _chosen(*methods: str) -> AssertionEncryption:
    return sp_from_metadata(sp_metadata(encryption_methods="".join(methods))).encryption


@pytest.mark.parametrize(
    ("methods", "expected"),
    [
        ((), DEFAULT_ENCRYPTION),
        (SHIBBOLETH, AssertionEncryption(AES256_GCM, MGF1P_SHA1)),
        ((_method(XENC11 + "aes128-gcm"),), AssertionEncryption(AES128_GCM, MGF1P_SHA1)),
        (
            (_method(XMLENC + "aes128-cbc"), _method(XENC11 + "aes128-gcm")),
            AssertionEncryption(AES128_GCM, MGF1P_SHA1),
        ),
        (
            (_method(XMLENC + "rsa-oaep-mgf1p", _digest(SHA256)),),
            AssertionEncryption(AES256_GCM, KeyTransport(RSA_OAEP_MGF1P, "sha256", "sha1")),
        ),
        (
            (
                _method(XMLENC + "rsa-oaep-mgf1p"),
                _method(XENC11 + "rsa-oaep", _digest(SHA256), _mgf("sha256")),
                _method(XENC11 + "rsa-oaep", _digest(SHA256)),
            ),
            AssertionEncryption(AES256_GCM, KeyTransport(RSA_OAEP, "sha256", "sha256")),
        ),
        (  # the same strength: rsa-oaep-mgf1p, the more deployed form
            (
                _method(XENC11 + "rsa-oaep", _digest(SHA512)),
                _method(XMLENC + "rsa-oaep-mgf1p", _digest(SHA512)),
            ),
            AssertionEncryption(AES256_GCM, KeyTransport(RSA_OAEP_MGF1P, "sha512", "sha1")),
        ),
        (  # one MGF we do not write, one we do
            (
                _method(XENC11 + "rsa-oaep", _mgf("sha512")),
                _method(XMLENC + "rsa-1_5"),
                _method(XENC11 + "rsa-oaep", _digest(SHA256)),
            ),
            AssertionEncryption(AES256_GCM, KeyTransport(RSA_OAEP, "sha256", "sha1")),
        ),
    ],
)
def test_the_strongest_encryption_both_sides_support(
    methods: tuple[str, ...], expected: AssertionEncryption
) -> None:
    assert _chosen(*methods) == expected
    portal = portal_from_sp_metadata(sp_metadata(encryption_methods="".join(methods)))
    assert portal.encryption == expected


@pytest.mark.parametrize(
    ("methods", "named"),
    [
        ((_method(XMLENC + "aes128-cbc"),), "aes128-cbc"),
        ((_method(XMLENC + "aes128-cbc"), _method(XMLENC + "rsa-oaep-mgf1p")), "aes128-cbc"),
        ((_method(XENC11 + "aes256-gcm"), _method(XMLENC + "rsa-1_5")), "rsa-1_5"),
        ((_method(XENC11 + "rsa-oaep", _mgf("sha512")),), "rsa-oaep"),
        ((_method(XMLENC + "rsa-oaep-mgf1p", _digest("urn:x:md5")),), "rsa-oaep-mgf1p"),
        ((_method("urn:x:unknown"),), "urn:x:unknown"),
    ],
)
def test_a_list_of_methods_we_do_not_encrypt_with_is_refused(
    methods: tuple[str, ...], named: str
) -> None:
    data = sp_metadata(encryption_methods="".join(methods))
    with pytest.raises(MalformedInput, match=f"not encrypt with.*{named}.*never CBC"):
        sp_from_metadata(data)
    with pytest.raises(MalformedInput, match=named):
        portal_from_sp_metadata(data)


def test_encryption_methods_of_other_key_descriptors_do_not_count() -> None:
    twice = _method(XMLENC + "rsa-oaep-mgf1p", _digest(SHA256), _digest(SHA256))
    with pytest.raises(MalformedInput, match="several"):
        _chosen(twice)
    signing_only = sp_metadata(signing=("sp-signing",)).replace(
        b"</ds:KeyInfo></md:KeyDescriptor>",
        f"</ds:KeyInfo>{_method(XMLENC + 'aes128-cbc')}</md:KeyDescriptor>".encode(),
        1,
    )
    assert sp_from_metadata(signing_only).encryption == DEFAULT_ENCRYPTION


def _encrypted_data(encryption: AssertionEncryption) -> tuple[bytes, etree._Element]:
    portal = replace(portal_from_sp_metadata(sp_metadata()), encryption=encryption)
    message = issue(portal=portal)
    data = etree.fromstring(message).find(f"{{{SAML_NS}}}EncryptedAssertion/{XENC}EncryptedData")
    assert data is not None
    return message, data


@pytest.mark.parametrize(
    "methods",
    [
        (_method(XENC11 + "aes128-gcm"), _method(XMLENC + "rsa-oaep-mgf1p", _digest(SHA256))),
        (_method(XENC11 + "rsa-oaep", _digest(SHA256), _mgf("sha256")),),
    ],
)
def test_python3_saml_decrypts_what_we_chose(methods: tuple[str, ...]) -> None:
    """python3-saml (libxmlsec1 1.3) decrypts each choice; our import reads it too."""
    encryption = _chosen(*methods)
    message, data = _encrypted_data(encryption)
    method = data.find(f"{XENC}EncryptionMethod")
    assert method is not None
    assert method.get("Algorithm") == encryption.content
    assert f'Algorithm="{encryption.transport.method}"'.encode() in message
    decrypted = OneLogin_Saml2_Utils.decrypt_element(data, key_pem(sp_key()).decode())
    assert decrypted.tag == f"{{{SAML_NS}}}Assertion"
    assert do_import(message).subject
    if encryption.transport.mgf == "sha1":  # no xenc11:MGF: valid under SAML 2.0's schemas
        checked = OneLogin_Saml2_XML.validate_xml(message, "saml-schema-protocol-2.0.xsd")
        assert not isinstance(checked, str), checked


def test_xmlsec1_decrypts_the_choice_from_shibboleths_list(tmp_path: Path) -> None:
    """xmlsec1 1.2 (pysaml2's on Debian) decrypts what we choose from Shibboleth's list."""
    _, data = _encrypted_data(_chosen(*SHIBBOLETH))
    plain = xmlsec1_decrypt(data, sp_key(), tmp_path)
    assert etree.fromstring(plain).tag == f"{{{SAML_NS}}}Assertion"


_URIS = st.sampled_from(
    [
        XENC11 + "aes128-gcm",
        XENC11 + "aes256-gcm",
        XENC11 + "aes192-gcm",
        XMLENC + "aes128-cbc",
        XMLENC + "rsa-1_5",
        XMLENC + "rsa-oaep-mgf1p",
        XENC11 + "rsa-oaep",
        "urn:x",
        "",
    ]
)
_CHILDREN = st.lists(
    st.sampled_from(
        [_digest(SHA256), _digest(SHA512), _digest(""), _mgf("sha256"), _mgf("sha1"), _mgf("x")]
    ),
    max_size=2,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_URIS, _CHILDREN), max_size=5))
def test_any_list_of_methods_chooses_ours_or_is_refused(
    methods: list[tuple[str, list[str]]],
) -> None:
    try:
        chosen = _chosen(*(_method(uri, *children) for uri, children in methods))
    except MalformedInput:
        return
    transports = (XMLENC + "rsa-1_5", RSA_OAEP_MGF1P, RSA_OAEP)
    contents = [uri for uri, _ in methods if uri not in transports]
    if contents:
        assert chosen.content in set(contents) & {AES128_GCM, AES256_GCM}
    else:
        assert chosen.content == DEFAULT_ENCRYPTION.content
    if any(uri in transports for uri, _ in methods):
        assert chosen.transport.method in [uri for uri, _ in methods]
    else:
        assert chosen.transport == DEFAULT_ENCRYPTION.transport
    assert chosen.transport.mgf in ("sha1", "sha256")
    assert chosen.transport.digest in ("sha1", "sha256", "sha512")


# -- request signatures ------------------------------------------------------------------------


def _query_signed(
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, method: str
) -> ReceivedRequest:
    """An AuthnRequest with a query-string signature by ``key`` under ``method`` (XML-DSig URI)."""
    signed = b"SAMLRequest=abc&RelayState=rs&SigAlg=" + method.encode()
    digest = hashes.SHA1() if method.endswith("sha1") else hashes.SHA256()
    if isinstance(key, rsa.RSAPrivateKey):
        value = key.sign(signed, padding.PKCS1v15(), digest)
    else:
        r, s = decode_dss_signature(key.sign(signed, ec.ECDSA(digest)))
        value = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return ReceivedRequest(_request(), "rs", "redirect", (method, value, signed))


@pytest.mark.parametrize(
    ("kind", "method"),
    [("rsa", "http://www.w3.org/2000/09/xmldsig#rsa-sha1"),
     ("p256", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1")],
)  # fmt: skip
def test_sha1_query_signatures_verify_only_when_allowed(kind: str, method: str) -> None:
    received = _query_signed(private_key(kind, "sp"), method)
    keys = (certificate(kind, "sp"),)
    with pytest.raises(AssertionSha1Refused, match="allow_sha1"):
        verify_request(received, keys, required=True)
    assert verify_request(received, keys, required=True, allow_sha1=True)
    with pytest.raises(AssertionSignatureInvalid):
        verify_request(received, (certificate(kind, "other"),), required=True, allow_sha1=True)


def test_query_signatures_need_a_strong_enough_key() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    received = _query_signed(small, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")
    with pytest.raises(AssertionSignatureInvalid, match="2048 bits"):
        verify_request(received, (self_signed(small, "small", days=3),), required=True)
    unknown = replace(received, query_signature=("urn:x:unknown", b"", b""))
    with pytest.raises(AssertionSignatureInvalid, match="does not verify"):
        verify_request(unknown, (certificate("rsa", "sp"),), required=True)
