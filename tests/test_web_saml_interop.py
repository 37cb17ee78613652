"""What deployed service providers send, over real HTTP with pysaml2 SPs: an ACS by index
(Shibboleth SP and others), and requests signed with SHA-1 (older ADFS, Shibboleth SP 2,
Spring SAML), accepted only from a portal registered with ``allow_sha1``."""

from __future__ import annotations

import base64
import html
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.metadata import create_metadata_string

from eid.tokens.virtual import VirtualCard

from .pysaml2_sp import ACS, SP, key_pair, pysaml2_sp, sp_config, tax_portal
from .web_support import browser, follow_to_portal, posted_fields, serving_provider

pytestmark = pytest.mark.parametrize("virtual_card", ["ec"], indirect=True)

INDEXED_SP = "https://tax.example/indexed-sp"
ACS_2 = "http://127.0.0.1:9/acs-2"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA1_DIGEST = "http://www.w3.org/2000/09/xmldsig#sha1"


@dataclass
class Setup:
    """The provider; `INDEXED_SP` (registered from pysaml2's metadata, two ACS, the second
    its default, ``allow_sha1``) and `SP` (registered by hand, no ``allow_sha1``)."""

    base: str
    indexed: Saml2Client
    plain: Saml2Client
    indexed_key: Path


@pytest.fixture
def setup(virtual_card: VirtualCard, tmp_path: Path) -> Iterator[Setup]:
    key, cert, _ = key_pair(tmp_path, "indexed-sp")
    plain_key, plain_cert, plain_pem = key_pair(tmp_path, "sp")
    options = {"entity_id": INDEXED_SP, "acs": ACS, "key": key, "cert": cert, "more_acs": (ACS_2,)}
    metadata = create_metadata_string(
        None, config=sp_config(tmp_path, idp_metadata=None, **options), sign=False
    )
    # pysaml2 numbers its ACS 1, 2, ... and marks none as the default: mark the second
    assert f'Location="{ACS_2}" index="2"'.encode() in metadata
    metadata = metadata.replace(b'index="2"', b'index="2" isDefault="true"')
    (tmp_path / "indexed-sp.xml").write_bytes(metadata)
    portals = [
        {"sp_metadata": "indexed-sp.xml", "name": "Indexed", "allow_sha1": True},
        tax_portal(plain_pem),
    ]
    with serving_provider(virtual_card, tmp_path, portals=portals) as base:
        idp_metadata = httpx.get(f"{base}/saml/metadata").content
        indexed = pysaml2_sp(tmp_path, idp_metadata=idp_metadata, **options)
        plain = pysaml2_sp(
            tmp_path, entity_id=SP, acs=ACS, idp_metadata=idp_metadata, key=plain_key,
            cert=plain_cert,
        )  # fmt: skip
        yield Setup(base, indexed, plain, key)


def _redirect(
    sp: Saml2Client, base: str, sigalg: str = RSA_SHA256, **kwargs: object
) -> tuple[str, str]:
    request_id, info = sp.prepare_for_authenticate(
        entityid=base, relay_state="rs", binding=BINDING_HTTP_REDIRECT, sigalg=sigalg, **kwargs
    )
    return request_id, dict(info["headers"])["Location"]


def _post_form(sp: Saml2Client, base: str, **kwargs: object) -> tuple[str, dict[str, str]]:
    request_id, info = sp.prepare_for_authenticate(
        entityid=base, relay_state="rs", binding=BINDING_HTTP_POST, sign=True, **kwargs
    )
    form = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', info["data"]))
    return request_id, {k: html.unescape(v) for k, v in form.items()}


def _accepted(sp: Saml2Client, page: httpx.Response, acs: str, request_id: str) -> bytes:
    """The Response posted to ``acs``, after pysaml2 accepted it there."""
    fields = posted_fields(page, acs)
    answer = sp.parse_authn_request_response(
        fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={request_id: "/"}
    )
    assert answer is not None
    assert answer.in_response_to == request_id
    return base64.b64decode(fields["SAMLResponse"])


def _changed_request(setup: Setup, url: str, **attributes: str | None) -> str:
    """The AuthnRequest of ``url`` with ``attributes`` set (None: removed), signed again."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    root = etree.fromstring(zlib.decompress(base64.b64decode(query["SAMLRequest"]), -15))
    for name, value in attributes.items():
        if value is None:
            root.attrib.pop(name)
        else:
            root.set(name, value)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = base64.b64encode(deflate.compress(etree.tostring(root)) + deflate.flush()).decode()
    signed = urlencode({"SAMLRequest": body, "SigAlg": RSA_SHA256})
    key = serialization.load_pem_private_key(setup.indexed_key.read_bytes(), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    signature = key.sign(signed.encode(), padding.PKCS1v15(), hashes.SHA256())
    return "/saml/sso?" + signed + "&" + urlencode({"Signature": base64.b64encode(signature)})


def test_the_acs_by_index_and_the_default_acs(setup: Setup) -> None:
    with browser(setup.base) as person:
        second, url = _redirect(setup.indexed, setup.base, assertion_consumer_service_index="2")
        assert (
            "AssertionConsumerServiceIndex"
            in zlib.decompress(
                base64.b64decode(parse_qs(urlsplit(url).query)["SAMLRequest"][0]), -15
            ).decode()
        )
        _accepted(setup.indexed, follow_to_portal(person, url), ACS_2, second)
        first, url = _redirect(setup.indexed, setup.base, assertion_consumer_service_index="1")
        _accepted(setup.indexed, follow_to_portal(person, url), ACS, first)
        default, url = _redirect(setup.indexed, setup.base)
        neither = _changed_request(setup, url, AssertionConsumerServiceURL=None)
        _accepted(
            setup.indexed, follow_to_portal(person, neither), ACS_2, default
        )  # isDefault="true"
        _, url = _redirect(setup.indexed, setup.base, assertion_consumer_service_index="7")
        unknown = person.get(url)
        _, url = _redirect(setup.indexed, setup.base)
        both = person.get(_changed_request(setup, url, AssertionConsumerServiceIndex="1"))
        _, url = _redirect(setup.indexed, setup.base, assertion_consumer_service_index="1")
        artifact = person.get(
            _changed_request(
                setup, url, ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact"
            )
        )
    assert unknown.status_code == 400
    assert "redirect_uri_mismatch" in unknown.text
    assert "location" not in unknown.headers
    assert both.status_code == 400
    assert "invalid_request" in both.text
    assert "location" not in both.headers
    assert artifact.status_code == 400
    assert "invalid_request" in artifact.text


def _signature_methods(xml: bytes) -> set[str]:
    return set(re.findall(rb'<ds:(?:SignatureMethod|DigestMethod) Algorithm="([^"]+)"', xml))  # type: ignore[arg-type]


def test_sha1_signed_requests_only_from_a_portal_allowed_to(setup: Setup) -> None:
    with browser(setup.base) as person:
        # refused from the portal registered without allow_sha1, in both bindings
        refused = person.get(_redirect(setup.plain, setup.base, sigalg=RSA_SHA1)[1])
        refused_post = person.post("/saml/sso", data=_post_form(setup.plain, setup.base)[1])
        # accepted from the one registered with it (pysaml2's POST default is RSA-SHA1 too)
        request_id, url = _redirect(setup.indexed, setup.base, sigalg=RSA_SHA1)
        assert parse_qs(urlsplit(url).query)["SigAlg"] == [RSA_SHA1]
        xml = _accepted(setup.indexed, follow_to_portal(person, url), ACS, request_id)
        post_id, form = _post_form(
            setup.indexed, setup.base, sigalg=RSA_SHA1, digest_alg=SHA1_DIGEST
        )
        assert RSA_SHA1 in base64.b64decode(form["SAMLRequest"]).decode()
        accepted_post = person.post("/saml/sso", data=form)
        assert accepted_post.status_code == 303, accepted_post.text
        _accepted(
            setup.indexed, follow_to_portal(person, accepted_post.headers["location"]), ACS, post_id
        )
        # SHA-1 allowed, the signature must still verify
        tampered = person.get(url.replace("RelayState=rs", "RelayState=elsewhere"))
    assert refused.status_code == 403
    assert "assertion_sha1_refused" in refused.text
    assert refused_post.status_code == 403
    assert "sha1_refused" in refused_post.text
    assert tampered.status_code == 403
    assert "assertion_signature_invalid" in tampered.text
    # the Response we send stays SHA-256
    methods = _signature_methods(xml)
    assert methods
    assert all(b"sha256" in method for method in methods), methods
