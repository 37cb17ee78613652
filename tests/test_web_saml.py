"""The provider's SAML endpoints over real HTTP, with a pysaml2 service provider."""

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
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.response import (
    StatusError,
    StatusInvalidNameidPolicy,
    StatusNoAuthnContext,
    StatusNoPassive,
    StatusRequestDenied,
)
from saml2.saml import AuthnContextClassRef
from saml2.samlp import RequestedAuthnContext
from saml2.sigver import SignatureError

from eid.errors import AssertionReplayed, MalformedInput
from eid.sso.replay import MemoryReplayStore
from eid.sso.saml_import import import_saml_response
from eid.sso.saml_metadata import idp_from_metadata
from eid.tokens.virtual import VirtualCard
from eid.web import create_app

from .pysaml2_sp import ACS, SP, key_pair, redirect_request, tax_portal, tax_sp
from .web_support import (
    Browser,
    browser,
    csrf_of,
    flow_of,
    follow_to_portal,
    new_port,
    posted_fields,
    serving,
    serving_provider,
    web_config,
)

pytestmark = pytest.mark.parametrize("virtual_card", ["ec"], indirect=True)

HIGH = "http://eidas.europa.eu/LoA/high"


@dataclass
class Setup:
    base: str
    sp: Saml2Client
    metadata: bytes
    key: Path


@pytest.fixture
def setup(virtual_card: VirtualCard, tmp_path: Path) -> Iterator[Setup]:
    key, cert, pem = key_pair(tmp_path, "sp")
    portals = [tax_portal(pem, slo_url=ACS + "/slo")]
    with serving_provider(virtual_card, tmp_path, portals=portals) as base:
        sp, metadata = tax_sp(tmp_path, base, key, cert)
        yield Setup(base, sp, metadata, key)


def posted(page: httpx.Response) -> dict[str, str]:
    """The hidden fields of the provider's POST-binding page."""
    return posted_fields(page, ACS)


def request_url(setup: Setup, **kwargs: object) -> tuple[str, str]:
    return redirect_request(setup.sp, setup.base, **kwargs)


def test_pysaml2_sp_logs_in_by_redirect_binding(setup: Setup) -> None:
    request_id, url = request_url(setup)
    assert "Signature=" in url
    with browser(setup.base) as person:
        fields = posted(follow_to_portal(person, url))
    assert fields["RelayState"] == "back-to-page-7"
    answer = setup.sp.parse_authn_request_response(
        fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={request_id: "/"}
    )
    assert answer is not None
    assert answer.in_response_to == request_id
    assert any("Specimen" in v for v in answer.ava.values())
    # eid.sso's portal side imports the same response; a second import is a replay.
    idp = idp_from_metadata(setup.metadata)
    replay = MemoryReplayStore()
    common = {"idp": idp, "audience": SP, "recipient": ACS, "replay": replay,
              "in_response_to": request_id}  # fmt: skip
    imported = import_saml_response(fields["SAMLResponse"], **common)
    assert imported.level == "low"
    with pytest.raises(AssertionReplayed):
        import_saml_response(fields["SAMLResponse"], **common)


def _post_form(setup: Setup, **kwargs: object) -> tuple[str, dict[str, str]]:
    request_id, info = setup.sp.prepare_for_authenticate(
        entityid=setup.base, relay_state="rs", binding=BINDING_HTTP_POST, sign=True, **kwargs
    )
    form = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', info["data"]))
    return request_id, {k: html.unescape(v) for k, v in form.items()}


def test_post_binding_signed_request(setup: Setup) -> None:
    request_id, form = _post_form(
        setup,
        sigalg="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        digest_alg="http://www.w3.org/2001/04/xmlenc#sha256",
    )
    _, sha1_form = _post_form(setup)  # pysaml2's default: RSA-SHA1
    with browser(setup.base) as person:
        sha1 = person.post("/saml/sso", data=sha1_form)
        assert sha1.status_code == 403
        assert "sha1_refused" in sha1.text
        first = person.post("/saml/sso", data=form)
        assert first.status_code == 303, first.text
        fields = posted(follow_to_portal(person, first.headers["location"]))
    answer = setup.sp.parse_authn_request_response(
        fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={request_id: "/"}
    )
    assert answer.in_response_to == request_id


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_unsigned_tampered_and_replayed_requests(setup: Setup) -> None:
    _, url = request_url(setup)
    query = _query(url)
    unsigned = {k: v for k, v in query.items() if k not in ("Signature", "SigAlg")}
    tampered = {**query, "RelayState": "somewhere-else"}
    with browser(setup.base) as person:
        no_signature = person.get("/saml/sso?" + urlencode(unsigned))
        bad_signature = person.get("/saml/sso?" + urlencode(tampered))
        first = person.get(url)
        again = person.get(url)
        garbage = person.get("/saml/sso?SAMLRequest=" + base64.b64encode(b"nope").decode())
        missing = person.get("/saml/sso")
    assert no_signature.status_code == 403
    assert "assertion_signature_missing" in no_signature.text
    assert bad_signature.status_code == 403
    assert "assertion_signature_invalid" in bad_signature.text
    assert first.status_code == 303
    assert again.status_code == 400
    assert "request_replayed" in again.text
    assert garbage.status_code == 400
    assert missing.status_code == 400


def _status_of(setup: Setup, request_id: str, page: httpx.Response) -> type[Exception]:
    """The pysaml2 status error the SP raises for the provider's posted answer (checked signed)."""
    fields = posted(page)
    assert fields["RelayState"] == "back-to-page-7"
    xml = base64.b64decode(fields["SAMLResponse"])
    assert b"<ds:SignatureValue>" in xml
    assert b"status:Responder" in xml
    tampered = base64.b64encode(xml.replace(b"<samlp:StatusMessage>", b"<samlp:StatusMessage>x"))
    with pytest.raises(SignatureError):
        setup.sp.parse_authn_request_response(
            tampered.decode(), BINDING_HTTP_POST, outstanding={request_id: "/"}
        )
    with pytest.raises(StatusError) as raised:
        setup.sp.parse_authn_request_response(
            fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={request_id: "/"}
        )
    return type(raised.value)


def _context(uri: str, comparison: str = "minimum") -> RequestedAuthnContext:
    return RequestedAuthnContext(
        authn_context_class_ref=[AuthnContextClassRef(text=uri)], comparison=comparison
    )


def test_requested_authn_context_is_honoured(setup: Setup) -> None:
    request_id, url = request_url(
        setup, requested_authn_context=_context("http://eidas.europa.eu/LoA/high")
    )
    with browser(setup.base) as person:
        answer = follow_to_portal(person, url)
    assert _status_of(setup, request_id, answer) is StatusNoAuthnContext


def test_unknown_authn_context_and_name_id_format_are_answered_to_the_sp(setup: Setup) -> None:
    unknown_level, url = request_url(setup, requested_authn_context=_context("urn:x:gold"))
    nothing_better, better = request_url(
        setup, requested_authn_context=_context("http://eidas.europa.eu/LoA/high", "better")
    )
    email, email_url = request_url(
        setup, nameid_format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
    )
    with browser(setup.base) as person:
        assert _status_of(setup, unknown_level, person.get(url)) is StatusNoAuthnContext
        assert _status_of(setup, nothing_better, person.get(better)) is StatusNoAuthnContext
        assert _status_of(setup, email, person.get(email_url)) is StatusInvalidNameidPolicy


def test_is_passive(setup: Setup) -> None:
    with browser(setup.base) as person:
        no_session, url = request_url(setup, is_passive="true")
        assert _status_of(setup, no_session, person.get(url)) is StatusNoPassive
        posted(follow_to_portal(person, request_url(setup)[1]))
        too_high, high_url = request_url(
            setup, is_passive="true", requested_authn_context=_context(HIGH)
        )
        assert _status_of(setup, too_high, person.get(high_url)) is StatusNoPassive
        request_id, silent = request_url(setup, is_passive="true")
        fields = posted(person.get(silent))
    answer = setup.sp.parse_authn_request_response(
        fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={request_id: "/"}
    )
    assert answer.in_response_to == request_id


def test_refused_consent_is_request_denied(setup: Setup) -> None:
    request_id, url = request_url(setup)
    with browser(setup.base) as person:
        flow = flow_of(person.get(url).headers["location"])
        login = person.get(f"/login?flow={flow}")
        page = person.post(
            "/login/virtual", data={"csrf": csrf_of(login.text), "pin": "1234", "flow": flow}
        )
        consent = person.get(page.headers["location"])
        assert 'action="/consent"' in consent.text
        refused = person.post(
            "/consent", data={"csrf": csrf_of(consent.text), "flow": flow, "decision": "no"}
        )
    assert _status_of(setup, request_id, refused) is StatusRequestDenied


def test_sp_initiated_single_logout(setup: Setup) -> None:
    _, url = request_url(setup)
    with browser(setup.base) as person:
        posted(follow_to_portal(person, url))
        assert "Alice" in person.get("/").text
        out = _logout_request(setup, person)
        assert out.status_code == 303
        assert out.headers["location"].startswith(ACS + "/slo?SAMLResponse=")
        assert "You are not logged in" in person.get("/").text


def _logout_request(setup: Setup, person: Browser) -> httpx.Response:
    from saml2.saml import NameID

    name_id = NameID(text="unknown", format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")
    _request_id, request = setup.sp.create_logout_request(
        f"{setup.base}/saml/slo", setup.base, name_id=name_id, sign=False
    )
    info = setup.sp.apply_binding(
        BINDING_HTTP_REDIRECT, str(request), f"{setup.base}/saml/slo", relay_state="r",
        sign=True, sigalg="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    )  # fmt: skip
    return person.get(dict(info["headers"])["Location"])


def _signed_query(setup: Setup, xml: bytes) -> str:
    """``xml`` in the HTTP-Redirect binding, signed (RSA-SHA256) with the SP's key."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = base64.b64encode(deflate.compress(xml) + deflate.flush()).decode()
    query = urlencode(
        {"SAMLRequest": body, "SigAlg": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"}
    )
    key = serialization.load_pem_private_key(setup.key.read_bytes(), None)
    signature = key.sign(query.encode(), padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr, call-arg]
    return query + "&" + urlencode({"Signature": base64.b64encode(signature).decode()})


def test_unknown_sp_bad_acs_and_stale_requests(setup: Setup) -> None:
    _, url = request_url(setup)
    xml = zlib.decompress(base64.b64decode(_query(url)["SAMLRequest"]), -15)
    fresh = re.search(rb'IssueInstant="([^"]+)"', xml)
    assert fresh
    for old, new, code in (
        (SP.encode(), b"https://unknown.example/sp", "portal_unknown"),
        (ACS.encode(), b"https://evil.example/acs", "redirect_uri_mismatch"),
        (fresh.group(0), b'IssueInstant="2020-01-01T00:00:00Z"', "invalid_request"),
        (b'ID="', b'ID="1', "invalid_request"),
    ):
        with browser(setup.base) as person:
            answer = person.get("/saml/sso?" + _signed_query(setup, xml.replace(old, new)))
        assert answer.status_code == 400, code
        assert code in answer.text
        assert "location" not in answer.headers
    with browser(setup.base) as person:
        assert person.get("/saml/sso?" + _signed_query(setup, xml)).status_code == 303


def test_metadata_publishes_slo_and_whether_requests_must_be_signed(
    setup: Setup, virtual_card: VirtualCard, tmp_path: Path
) -> None:
    slo = setup.sp.metadata.single_logout_service(setup.base, BINDING_HTTP_REDIRECT, "idpsso")
    assert [s["location"] for s in slo] == [f"{setup.base}/saml/slo"]
    assert b'WantAuthnRequestsSigned="false"' in setup.metadata
    port = new_port()
    portals = [{"id": SP, "kind": "saml", "name": "Tax", "acs_urls": [ACS]}]
    tables = {"saml": {"want_authn_requests_signed": True}}
    config = web_config(virtual_card, port, tmp_path, portals=portals, tables=tables)
    _, url = request_url(setup)
    query = {k: v for k, v in _query(url).items() if k not in ("Signature", "SigAlg")}
    with serving(create_app(config), port) as base, browser(base) as person:
        metadata = person.get("/saml/metadata").content
        unsigned = person.get("/saml/sso?" + urlencode(query))
    assert b'WantAuthnRequestsSigned="true"' in metadata
    idp_from_metadata(metadata)  # still signed and readable
    assert unsigned.status_code == 403
    assert "assertion_signature_missing" in unsigned.text
    with pytest.raises(
        MalformedInput, match=r"\[saml\], field want_authn_requests_signed: must be"
    ):
        web_config(virtual_card, port, tmp_path, tables={"saml": {"want_authn_requests_signed": 1}})
