"""The provider's SAML endpoints over real HTTP with python3-saml (OneLogin) service providers.

Each SP is registered from the metadata python3-saml itself generates, and reads the
provider's part of its settings from our metadata with python3-saml's parser.
"""

from __future__ import annotations

import base64
import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import hypothesis
import pytest
import xmlsec
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import strategies as st
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.settings import OneLogin_Saml2_Settings

from eid.errors import EidError, MalformedInput
from eid.sso.saml import LogoutEndpoint
from eid.sso.saml_encryption import DEFAULT_ENCRYPTION
from eid.tokens.virtual import VirtualCard
from eid.web.clients import client_from_dict
from eid.web.config import config_from_mapping

from .onelogin_sp import LOA_LOW, onelogin_settings, request_data
from .pysaml2_sp import key_pair
from .test_saml_interop import sp_metadata
from .web_support import browser, csrf_of, follow_to_portal, posted_fields, serving_provider

EC_CARD = pytest.mark.parametrize("virtual_card", ["ec"], indirect=True)

SP = "https://tax.example/onelogin"
ENCRYPTED_SP = "https://tax.example/onelogin-encrypted"
ROOT = "http://127.0.0.1:9"
# a RelayState with a space (form encoding writes "+", RFC 3986 "%20") and characters to escape
RELAY = "http://127.0.0.1:9/tax/page 7?a=b&c=d/é"


def _acs(entity_id: str) -> str:
    return f"{ROOT}/{entity_id.rsplit('/', 1)[1]}/acs"


def _sls(entity_id: str) -> str:
    return f"{ROOT}/{entity_id.rsplit('/', 1)[1]}/sls"


@dataclass
class Provider:
    """The running provider, its metadata, and each python3-saml SP's key and certificate.

    `SP` publishes the certificate of its next key too (``next_key``); `ENCRYPTED_SP` wants
    its assertions encrypted and every message signed (registered with ``sign_response``).
    """

    base: str
    metadata: bytes
    sp_keys: dict[str, tuple[str, str]]
    next_key: tuple[str, str]

    def settings(self, entity_id: str, **changes: object) -> OneLogin_Saml2_Settings:
        """The SP's settings, with our metadata as its IdP part."""
        key, cert = self.sp_keys[entity_id]
        options: dict[str, object] = {
            "entity_id": entity_id, "acs": _acs(entity_id), "sls": _sls(entity_id),
            "key_pem": key, "cert_pem": cert, "idp_metadata": self.metadata,
            "encrypted": entity_id == ENCRYPTED_SP, "messages_signed": entity_id == ENCRYPTED_SP,
            **changes,
        }  # fmt: skip
        return onelogin_settings(**options)


@pytest.fixture
def provider_key(request: pytest.FixtureRequest) -> str:
    """The provider's key: RSA (what python3-saml's Redirect-binding checks need) or EC P-256."""
    return str(getattr(request, "param", "rsa"))


ENCRYPTION_METHODS = "".join(
    f'<md:EncryptionMethod Algorithm="{uri}">{digest}</md:EncryptionMethod>'
    for uri, digest in (
        ("http://www.w3.org/2001/04/xmlenc#aes128-cbc", ""),
        ("http://www.w3.org/2009/xmlenc11#aes128-gcm", ""),
        ("http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p",
         f'<ds:DigestMethod xmlns:ds="{C.NS_DS}" Algorithm="{C.SHA256}"/>'),
    )
)  # fmt: skip
"""What `ENCRYPTED_SP` lists in its encryption KeyDescriptor (python3-saml publishes none):
CBC it decrypts but we never encrypt with, AES-128-GCM, RSA-OAEP with SHA-256."""


def _sp_metadata(
    tmp_path: Path, entity_id: str, methods: str = "", **options: object
) -> tuple[str, str, str]:
    """python3-saml's metadata of the SP in ``tmp_path``, and its key and certificate (PEM).

    ``methods`` are EncryptionMethod elements added to its encryption KeyDescriptor.
    """
    name = entity_id.rsplit("/", 1)[1]
    key, _, cert = key_pair(tmp_path, name)
    sp = onelogin_settings(
        entity_id=entity_id, acs=_acs(entity_id), sls=_sls(entity_id),
        key_pem=key.read_text(), cert_pem=cert, **options,
    )  # fmt: skip
    metadata = sp.get_sp_metadata()
    assert sp.validate_metadata(metadata) == []
    if methods:
        encryption = metadata.index(b'<md:KeyDescriptor use="encryption">')
        end = metadata.index(b"</md:KeyDescriptor>", encryption)
        metadata = metadata[:end] + methods.encode() + metadata[end:]
    (tmp_path / f"{name}.xml").write_bytes(metadata)
    return f"{name}.xml", key.read_text(), cert


@pytest.fixture
def idp(virtual_card: VirtualCard, tmp_path: Path, provider_key: str) -> Iterator[Provider]:
    next_key, _, next_cert = key_pair(tmp_path, "sp-next")
    files, sp_keys = [], {}
    for entity_id, options in (
        (SP, {"next_cert_pem": next_cert}),
        (ENCRYPTED_SP, {"encrypted": True, "methods": ENCRYPTION_METHODS}),
    ):
        name, key, cert = _sp_metadata(tmp_path, entity_id, **options)
        files.append(name)
        sp_keys[entity_id] = (key, cert)
    portals = [
        {"sp_metadata": files[0], "name": "Tax-on-web"},
        {"sp_metadata": files[1], "name": "Tax-on-web", "sign_response": True},
    ]
    tables = None
    if provider_key == "rsa":
        key, certificate, _ = key_pair(tmp_path, "provider-rsa")
        tables = {"keys": {"active": str(key), "certificate": str(certificate)}}
    with serving_provider(virtual_card, tmp_path, portals=portals, tables=tables) as base:
        with browser(base) as client:
            metadata = client.get("/saml/metadata").content
        yield Provider(base, metadata, sp_keys, (next_key.read_text(), next_cert))


def _login_url(settings: OneLogin_Saml2_Settings, **options: bool) -> tuple[str, str]:
    """python3-saml's signed AuthnRequest (HTTP-Redirect) and its ID (``options`` of ``login``)."""
    auth = OneLogin_Saml2_Auth(request_data(f"{ROOT}/tax/login"), settings)
    url = auth.login(return_to=RELAY, **options)
    return url, auth.get_last_request_id()


def _accepted(
    settings: OneLogin_Saml2_Settings, fields: dict[str, str], request_id: str
) -> OneLogin_Saml2_Auth:
    """python3-saml's ACS after it processed the posted response (no error allowed)."""
    url = settings.get_sp_data()["assertionConsumerService"]["url"]
    acs = OneLogin_Saml2_Auth(request_data(url, post=fields), settings)
    acs.process_response(request_id=request_id)
    assert acs.get_errors() == [], acs.get_last_error_reason()
    return acs


@pytest.mark.parametrize("provider_key", ["rsa", "ec"], indirect=True)
@EC_CARD
def test_sp_initiated_login(idp: Provider, virtual_card: VirtualCard) -> None:
    settings = idp.settings(SP)
    url, request_id = _login_url(settings)
    query = parse_qs(urlsplit(url).query)
    assert query["SigAlg"] == [C.RSA_SHA256]
    assert query["Signature"]
    with browser(idp.base) as person:
        fields = posted_fields(follow_to_portal(person, url), _acs(SP))
        assert fields["RelayState"] == RELAY
        acs = _accepted(settings, fields, request_id)
        again_url, again_id = _login_url(settings)
        # single sign-on: no PIN asked (a wrong one would end the flow)
        second = follow_to_portal(person, again_url, pin="0000")
        again = _accepted(settings, posted_fields(second, _acs(SP)), again_id)
    assert acs.is_authenticated()
    assert acs.get_nameid_format() == C.NAMEID_PERSISTENT
    assert acs.get_nameid()
    assert acs.get_attributes() == {
        "urn:be:eid:attr:givenName": [virtual_card.given_names],
        "urn:be:eid:attr:familyName": [virtual_card.surname],
    }
    assert acs.get_session_index()
    assert acs.get_last_authn_contexts() == [LOA_LOW]
    # the same pseudonym and session
    assert (again.get_nameid(), again.get_session_index()) == (
        acs.get_nameid(),
        acs.get_session_index(),
    )


@EC_CARD
def test_is_passive_and_force_authn(idp: Provider) -> None:
    settings = idp.settings(SP)
    with browser(idp.base) as person:
        passive_url, passive_id = _login_url(settings, is_passive=True)
        passive = posted_fields(person.get(passive_url), _acs(SP))
        url, request_id = _login_url(settings)
        _accepted(settings, posted_fields(follow_to_portal(person, url), _acs(SP)), request_id)
        forced = person.get(_login_url(settings, force_authn=True)[0])
        assert person.get(forced.headers["location"]).headers["location"].startswith("/login")
    acs = OneLogin_Saml2_Auth(request_data(_acs(SP), post=passive), settings)
    acs.process_response(request_id=passive_id)
    assert acs.get_errors() == ["invalid_response"]
    assert "was Responder ->" in str(acs.get_last_error_reason())
    assert not acs.is_authenticated()
    assert b'Value="urn:oasis:names:tc:SAML:2.0:status:NoPassive"' in base64.b64decode(
        passive["SAMLResponse"]
    )


@EC_CARD
def test_encrypted_assertion_in_a_signed_response(idp: Provider, tmp_path: Path) -> None:
    plain, encrypted = idp.settings(SP), idp.settings(ENCRYPTED_SP)
    with browser(idp.base) as person:
        url, first_id = _login_url(plain)
        first_fields = posted_fields(follow_to_portal(person, url), _acs(SP))
        first = _accepted(plain, first_fields, first_id)
        url, request_id = _login_url(encrypted)
        fields = posted_fields(follow_to_portal(person, url, pin="0000"), _acs(ENCRYPTED_SP))
    xml = base64.b64decode(fields["SAMLResponse"])
    assert b"EncryptedAssertion" in xml
    assert b"urn:be:eid:attr:familyName" not in xml
    # what its metadata lists and we make: AES-128-GCM, RSA-OAEP (mgf1p) with SHA-256
    assert b'Algorithm="http://www.w3.org/2009/xmlenc11#aes128-gcm"' in xml
    assert b'Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"><ds:DigestMethod' in xml
    assert f'Algorithm="{C.SHA256}"'.encode() in xml
    acs = _accepted(encrypted, fields, request_id)  # wantMessagesSigned: the Response is signed
    assert acs.is_authenticated()
    assert "urn:be:eid:attr:familyName" in acs.get_attributes()
    assert acs.get_session_index() == first.get_session_index()
    assert acs.get_nameid() != first.get_nameid()  # pairwise: one pseudonym per portal
    # without sign_response, only the assertion is signed: not enough for wantMessagesSigned
    strict = OneLogin_Saml2_Auth(
        request_data(_acs(SP), post=first_fields), idp.settings(SP, messages_signed=True)
    )
    strict.process_response(request_id=first_id)
    assert "Message of the Response is not signed" in str(strict.get_last_error_reason())
    # encrypted for the key of the SP's metadata: another key cannot read it
    key, _, cert = key_pair(tmp_path, "other-sp")
    other = idp.settings(ENCRYPTED_SP, key_pem=key.read_text(), cert_pem=cert)
    stranger = OneLogin_Saml2_Auth(request_data(_acs(ENCRYPTED_SP), post=fields), other)
    with pytest.raises(xmlsec.Error):
        stranger.process_response(request_id=request_id)
    assert not stranger.is_authenticated()


def _logout_url(settings: OneLogin_Saml2_Settings, acs: OneLogin_Saml2_Auth) -> tuple[str, str]:
    """python3-saml's signed LogoutRequest (HTTP-Redirect) for the session ``acs`` opened."""
    sp = OneLogin_Saml2_Auth(request_data(f"{ROOT}/tax/logout"), settings)
    url = sp.logout(
        return_to=RELAY,
        name_id=acs.get_nameid(),
        session_index=acs.get_session_index(),
        name_id_format=acs.get_nameid_format(),
    )
    return url, sp.get_last_request_id()


@EC_CARD
def test_sp_initiated_single_logout(idp: Provider, tmp_path: Path) -> None:
    settings = idp.settings(SP)
    key, _, cert = key_pair(tmp_path, "not-the-sp")
    forger = idp.settings(SP, key_pem=key.read_text(), cert_pem=cert)
    with browser(idp.base) as person:
        url, request_id = _login_url(settings)
        acs = _accepted(
            settings, posted_fields(follow_to_portal(person, url), _acs(SP)), request_id
        )
        forged = person.get(_logout_url(forger, acs)[0])
        assert forged.status_code == 403
        assert "assertion_signature_invalid" in forged.text
        assert "You are not logged in" not in person.get("/").text
        logout_url, logout_id = _logout_url(settings, acs)
        assert "Signature=" in logout_url
        answer = person.get(logout_url)
        assert answer.status_code == 303, answer.text
        location = answer.headers["location"]
        assert location.startswith(_sls(SP) + "?SAMLResponse=")
        assert "You are not logged in" in person.get("/").text
        # the next login asks for the PIN again
        flow = person.get(person.get(_login_url(settings)[0]).headers["location"])
        assert flow.headers["location"].startswith("/login")
    sls = OneLogin_Saml2_Auth(request_data(location), settings)
    sls.process_slo(request_id=logout_id)
    assert sls.get_errors() == [], sls.get_last_error_reason()
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert query["RelayState"] == RELAY
    forged_answer = {**query, "Signature": base64.b64encode(b"\0" * 256).decode()}
    other = OneLogin_Saml2_Auth(request_data(_sls(SP) + "?" + urlencode(forged_answer)), settings)
    other.process_slo(request_id=logout_id)
    assert "invalid_logout_response_signature" in other.get_errors()


@EC_CARD
def test_logout_at_the_provider_reaches_each_sp(idp: Provider) -> None:
    """Our signed LogoutRequests pass python3-saml's checks; its signed answers pass ours."""
    with browser(idp.base) as person:
        for entity_id in (SP, ENCRYPTED_SP):
            settings = idp.settings(entity_id)
            url, request_id = _login_url(settings)
            page = follow_to_portal(person, url, pin="1234" if entity_id == SP else "0000")
            _accepted(settings, posted_fields(page, _acs(entity_id)), request_id)
        home = person.get("/")
        stop = person.post("/logout", data={"csrf": csrf_of(home.text)})
        visited = []
        for _ in range(3):  # each SP once, then the end
            location = stop.headers["location"]
            if not location.startswith(ROOT):
                break
            entity_id = next(e for e in (SP, ENCRYPTED_SP) if location.startswith(_sls(e)))
            visited.append(entity_id)
            sls = OneLogin_Saml2_Auth(request_data(location), idp.settings(entity_id))
            answer = sls.process_slo()
            assert sls.get_errors() == [], sls.get_last_error_reason()
            assert "Signature=" in answer
            stop = person.get(answer)
            assert stop.status_code == 303, stop.text
        assert stop.headers["location"] == "/logged-out"
        assert "You are not logged in" in person.get("/").text
    assert sorted(visited) == sorted((SP, ENCRYPTED_SP))


@EC_CARD
def test_sp_refuses_our_response_with_another_idp_certificate(
    idp: Provider, tmp_path: Path
) -> None:
    _, _, other = key_pair(tmp_path, "not-the-provider")
    settings = idp.settings(SP)
    url, request_id = _login_url(settings)
    with browser(idp.base) as person:
        fields = posted_fields(follow_to_portal(person, url), _acs(SP))
    wrong = idp.settings(SP, idp_certificate=other)
    acs = OneLogin_Saml2_Auth(request_data(_acs(SP), post=fields), wrong)
    acs.process_response(request_id=request_id)
    assert acs.get_errors() == ["invalid_response"]
    assert "Signature validation failed" in str(acs.get_last_error_reason())
    assert not acs.is_authenticated()
    _accepted(settings, fields, request_id)  # the right certificate accepts it


@EC_CARD
def test_provider_refuses_requests_signed_with_another_key(idp: Provider, tmp_path: Path) -> None:
    key, _, cert = key_pair(tmp_path, "not-the-sp")
    forger = idp.settings(SP, key_pem=key.read_text(), cert_pem=cert)
    unsigned = idp.settings(SP, authn_requests_signed=False)
    with browser(idp.base) as person:
        forged = person.get(_login_url(forger)[0])
        bare = person.get(_login_url(unsigned)[0])
        genuine = person.get(_login_url(idp.settings(SP))[0])
        next_key, next_cert = idp.next_key
        rolled_over = person.get(
            _login_url(idp.settings(SP, key_pem=next_key, cert_pem=next_cert))[0]
        )
    assert forged.status_code == 403
    assert "assertion_signature_invalid" in forged.text
    assert rolled_over.status_code == 303  # its next key, published in its metadata
    assert bare.status_code == 403  # the SP's metadata says AuthnRequestsSigned
    assert "assertion_signature_missing" in bare.text
    assert genuine.status_code == 303


def test_registration_from_python3_saml_metadata(tmp_path: Path) -> None:
    _, next_cert = key_pair(tmp_path, "sp-next")[1:]
    name, _, cert = _sp_metadata(tmp_path, SP, next_cert_pem=next_cert)
    entry = {"sp_metadata": name, "name": "Tax-on-web"}
    config = config_from_mapping(
        {"server": {"issuer": "http://127.0.0.1:1", "secret": "s" * 32}, "portals": [entry]},
        base=tmp_path,
    )
    client = client_from_dict(config.portals[0])
    assert client.id == SP
    assert client.portal.kind == "saml"
    assert client.portal.acs_urls == (_acs(SP),)
    assert client.single_logout == (LogoutEndpoint(C.BINDING_HTTP_REDIRECT, _sls(SP)),)
    assert client.sign_requests  # AuthnRequestsSigned="true"
    assert {c.public_bytes(Encoding.PEM).decode() for c in client.sp_certificates} == {
        next_cert,
        cert,
    }
    assert client.portal.encryption_certificate is None  # it wants no encryption
    assert client.portal.profile.name == "belgian"
    assert client.portal.attributes == {"given_name", "family_name"}  # its RequestedAttributes
    assert not client.sign_response
    path = str(tmp_path / name)
    narrower = client_from_dict(
        {"sp_metadata": path, "attributes": ["given_name"], "sign_response": True}
    )
    assert narrower.portal.attributes == {"given_name"}
    assert narrower.sign_response
    encrypted = client_from_dict(
        {"sp_metadata": str(tmp_path / _sp_metadata(tmp_path, ENCRYPTED_SP, encrypted=True)[0])}
    )
    assert encrypted.portal.encryption_certificate is not None
    assert encrypted.portal.encryption == DEFAULT_ENCRYPTION  # it lists no EncryptionMethod
    cbc = '<md:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes256-cbc"/>'
    cbc_only = _sp_metadata(tmp_path, ENCRYPTED_SP, methods=cbc, encrypted=True)[0]
    with pytest.raises(MalformedInput, match=r"aes256-cbc.*never CBC"):
        client_from_dict({"sp_metadata": str(tmp_path / cbc_only)})
    for wrong in (
        {"sp_metadata": path, "id": "https://other.example/sp"},
        {"sp_metadata": path, "acs_urls": ["https://evil.example/acs"]},
        {"sp_metadata": path, "sp_certificate": cert},
        {"sp_metadata": str(tmp_path / "missing.xml")},
        {"sp_metadata": str(tmp_path)},
        {"sp_metadata": path, "sign_response": "yes"},
    ):
        with pytest.raises(MalformedInput):
            client_from_dict(wrong)


@hypothesis.settings(max_examples=100, deadline=None)
@hypothesis.given(
    st.binary(max_size=400)
    | st.sampled_from([sp_metadata(), sp_metadata(transient=True, signed="1", signing=("sp",))]),
    st.dictionaries(
        st.sampled_from(["name", "attributes", "profile", "subject", "sign_response", "id"]),
        st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20))
        | st.lists(st.text(max_size=20), max_size=3),
        max_size=3,
    ),
)
def test_sp_metadata_registration_fails_only_with_eid_errors(
    metadata: bytes, entry: dict[str, object]
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "sp.xml"
        path.write_bytes(metadata)
        with contextlib.suppress(EidError):
            client_from_dict({**entry, "sp_metadata": str(path)})
