"""Cancel and return to the portal: a login that fails or is abandoned still answers the portal.

A pysaml2 service provider and an Authlib OIDC client over real HTTP; the revoked client
certificate is refused by OCSP served over loopback (`TestServices`).
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc6749.errors import MissingCodeException
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST
from saml2.client import Saml2Client
from saml2.response import StatusAuthnFailed, StatusError, StatusRequestDenied

from eid.pki.cache import default_cache
from eid.pki.services import TestServices
from eid.tokens import Role
from eid.tokens.virtual import VirtualCard

from .pysaml2_sp import ACS, SP, key_pair, redirect_request, tax_portal, tax_sp
from .web_support import (
    Browser,
    browser,
    client_certificate_header,
    csrf_of,
    flow_of,
    serving_with_services,
)

pytestmark = pytest.mark.parametrize("virtual_card", ["ec"], indirect=True)

CALLBACK = "http://127.0.0.1:9/callback"
SECRET = "my-enterprise-secret-0123456789"
CANCEL_FORM = 'action="/cancel"'


@dataclass
class Provider:
    base: str
    sp: Saml2Client
    audit: io.StringIO
    services: TestServices
    card: VirtualCard

    def audit_lines(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.audit.getvalue().splitlines()]


@pytest.fixture
def provider(virtual_card: VirtualCard, tmp_path: Path) -> Iterator[Provider]:
    key, cert, pem = key_pair(tmp_path, "sp")
    portals = [
        tax_portal(pem),
        {
            "id": "my-enterprise",
            "kind": "oidc",
            "name": "My Enterprise",
            "redirect_uris": [CALLBACK],
            "attributes": ["given_name", "family_name"],
            "client_secret": SECRET,
        },
        {
            "id": "strict-portal",
            "kind": "oidc",
            "name": "Strict portal",
            "redirect_uris": [CALLBACK],
            "minimum_level": "high",
            "client_secret": SECRET,
        },
    ]
    audit = io.StringIO()
    with serving_with_services(
        virtual_card, tmp_path, portals=portals, audit=audit, trusted_proxies=["127.0.0.1"]
    ) as (base, services):
        sp, _ = tax_sp(tmp_path, base, key, cert)
        yield Provider(base, sp, audit, services, virtual_card)


def saml_request(provider: Provider) -> tuple[str, str]:
    """A signed AuthnRequest of the pysaml2 SP (HTTP-Redirect): its ID and URL."""
    return redirect_request(provider.sp, provider.base)


def login_page(person: Browser, portal_url: str) -> tuple[str, httpx.Response]:
    """From a portal's request to the provider's login page: the flow id and the page."""
    started = person.get(portal_url)
    assert started.status_code == 303, started.text
    onward = person.get(started.headers["location"])
    assert onward.status_code == 303, onward.text
    flow = flow_of(onward.headers["location"])
    page = person.get(onward.headers["location"])
    assert page.status_code == 200
    return flow, page


def cancel_from(person: Browser, page: httpx.Response) -> httpx.Response:
    """Press "Cancel and return to the portal" on ``page`` (its own CSRF token and flow)."""
    form = page.text[page.text.index(CANCEL_FORM) :]
    flow = re.search(r'name="flow" value="([^"]+)"', form)
    assert flow
    return person.post("/cancel", data={"csrf": csrf_of(form), "flow": flow.group(1)})


def saml_answer(provider: Provider, request_id: str, page: httpx.Response) -> tuple[bytes, str]:
    """The posted Response's XML and RelayState (the page posts to the registered ACS)."""
    assert page.status_code == 200, page.text
    assert f'action="{ACS}"' in page.text
    fields = {
        name: html.unescape(value)
        for name, value in re.findall(r'name="([^"]+)" value="([^"]*)"', page.text)
    }
    xml = base64.b64decode(fields["SAMLResponse"])
    return xml, fields["RelayState"]


def saml_status(provider: Provider, request_id: str, page: httpx.Response) -> type[Exception]:
    """The status error pysaml2 raises for the posted Response (signature checked first)."""
    xml, relay = saml_answer(provider, request_id, page)
    assert relay == "back-to-page-7"
    assert f'InResponseTo="{request_id}"'.encode() in xml
    assert b"status:Responder" in xml
    assert b"<ds:SignatureValue>" in xml
    with pytest.raises(StatusError) as raised:
        provider.sp.parse_authn_request_response(
            base64.b64encode(xml).decode(), BINDING_HTTP_POST, outstanding={request_id: "/"}
        )
    return type(raised.value)


def status_message(xml: bytes) -> str:
    found = re.search(rb"<samlp:StatusMessage>([^<]*)</samlp:StatusMessage>", xml)
    assert found
    return found.group(1).decode()


def test_revoked_certificate_then_cancel_answers_authn_failed(provider: Provider) -> None:
    default_cache().clear()  # OCSP answers of earlier tests are remembered until nextUpdate
    with provider.card.open() as token:
        certificate = token.certificate(Role.AUTHENTICATION).certificate
    provider.services.revoke(certificate)
    request_id, url = saml_request(provider)
    try:
        with browser(provider.base) as person:
            flow, page = login_page(person, url)
            refused = person.post(
                "/login/tls",
                data={"csrf": csrf_of(page.text), "flow": flow},
                headers=client_certificate_header(provider.card),
            )
            assert refused.status_code == 403
            assert "has been revoked" in refused.text
            assert "Cancel and return to Tax-on-web" in refused.text
            assert f'href="/login?flow={flow}"' in refused.text  # trying again stays possible
            answer = cancel_from(person, refused)
    finally:
        default_cache().clear()
    assert saml_status(provider, request_id, answer) is StatusAuthnFailed
    xml, _ = saml_answer(provider, request_id, answer)
    assert b"status:AuthnFailed" in xml
    assert "certificate_revoked" in status_message(xml)
    cancelled = [line for line in provider.audit_lines() if line["portal"] == SP]
    assert len(cancelled) == 1
    assert cancelled[0]["event"] == "failure"
    assert cancelled[0]["error"] == "login_failed"
    number = certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value
    assert str(number) not in provider.audit.getvalue()  # the national number


def test_cancel_without_trying_is_request_denied(provider: Provider) -> None:
    request_id, url = saml_request(provider)
    with browser(provider.base) as person:
        _flow, page = login_page(person, url)
        assert "Cancel and return to Tax-on-web" in page.text
        answer = cancel_from(person, page)
    assert saml_status(provider, request_id, answer) is StatusRequestDenied
    xml, _ = saml_answer(provider, request_id, answer)
    assert "cancelled" in status_message(xml)
    errors = [line["error"] for line in provider.audit_lines() if line["portal"] == SP]
    assert errors == ["cancelled"]


def _authorize(provider: Provider, client_id: str = "my-enterprise") -> tuple[str, str]:
    client = OAuth2Client(
        client_id, SECRET, scope="openid profile", redirect_uri=CALLBACK,
        code_challenge_method="S256",
    )  # fmt: skip
    url, state = client.create_authorization_url(
        f"{provider.base}/authorize", code_verifier=secrets.token_urlsafe(48)
    )
    return url, state


def _refusal(answer: httpx.Response, state: str, provider: Provider) -> dict[str, str]:
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith(CALLBACK + "?")
    with pytest.raises(MissingCodeException):  # Authlib's client gets no code to redeem
        OAuth2Client("my-enterprise", SECRET).fetch_token(
            f"{provider.base}/token",
            authorization_response=location,
            state=state,
            grant_type="authorization_code",
        )
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert query["error"] == "access_denied"
    assert query["state"] == state
    assert query["iss"] == provider.base
    return query


def test_oidc_cancel_is_access_denied_with_state_and_iss(provider: Provider) -> None:
    url, state = _authorize(provider)
    with browser(provider.base) as person:
        flow, page = login_page(person, url)
        assert "Cancel and return to My Enterprise" in page.text
        plain = _refusal(cancel_from(person, page), state, provider)
        url, state = _authorize(provider)
        flow, page = login_page(person, url)
        wrong = person.post(
            "/login/virtual", data={"csrf": csrf_of(page.text), "pin": "9999", "flow": flow}
        )
        assert wrong.status_code == 400
        failed = _refusal(cancel_from(person, wrong), state, provider)
    assert "cancelled" in plain["error_description"]
    assert "pin_incorrect" in failed["error_description"]
    errors = [line["error"] for line in provider.audit_lines() if line["portal"]]
    assert errors == ["cancelled", "login_failed"]
    assert "9999" not in provider.audit.getvalue()


def test_level_too_low_then_cancel_says_why(provider: Provider) -> None:
    url, state = _authorize(provider, "strict-portal")
    with browser(provider.base) as person:
        flow, page = login_page(person, url)
        low = person.post(
            "/login/virtual", data={"csrf": csrf_of(page.text), "pin": "1234", "flow": flow}
        )
        too_low = person.get(low.headers["location"])
        assert "higher level of assurance" in too_low.text
        answer = cancel_from(person, too_low)
    assert "assurance_level_too_low" in _refusal(answer, state, provider)["error_description"]


def test_cancel_without_a_valid_csrf_token_is_refused(provider: Provider) -> None:
    request_id, url = saml_request(provider)
    with browser(provider.base) as person:
        flow, page = login_page(person, url)
        missing = person.post("/cancel", data={"flow": flow})
        wrong = person.post("/cancel", data={"flow": flow, "csrf": "x" * 43})
        with browser(provider.base) as stranger:
            foreign = stranger.post("/cancel", data={"flow": flow, "csrf": csrf_of(page.text)})
        for refused in (missing, wrong, foreign):
            assert refused.status_code == 403
            assert "error code: csrf" in refused.text.lower()
            assert "SAMLResponse" not in refused.text
        # The flow is still pending: the person's own form ends it.
        answer = cancel_from(person, page)
    assert saml_status(provider, request_id, answer) is StatusRequestDenied


def test_cancel_of_an_unknown_or_finished_flow_is_refused(provider: Provider) -> None:
    _request_id, url = saml_request(provider)
    with browser(provider.base) as person:
        flow, page = login_page(person, url)
        token = csrf_of(page.text)
        made_up = person.post("/cancel", data={"csrf": token, "flow": "no-such-flow"})
        no_flow = person.post("/cancel", data={"csrf": token})
        first = cancel_from(person, page)
        again = person.post("/cancel", data={"csrf": token, "flow": flow})
    assert first.status_code == 200
    for refused in (made_up, no_flow, again):
        assert refused.status_code == 400
        assert "flow_expired" in refused.text
        assert CANCEL_FORM not in refused.text
        assert "SAMLResponse" not in refused.text
    portal_lines = [line for line in provider.audit_lines() if line["portal"] == SP]
    assert len(portal_lines) == 1  # one answer to the portal, not two


def test_cancel_is_not_offered_outside_a_flow(provider: Provider) -> None:
    with browser(provider.base) as person:
        page = person.get("/login")
        wrong = person.post(
            "/login/virtual", data={"csrf": csrf_of(page.text), "pin": "9999", "flow": ""}
        )
    assert page.status_code == 200
    assert CANCEL_FORM not in page.text
    assert wrong.status_code == 400
    assert "The PIN is incorrect." in wrong.text
    assert CANCEL_FORM not in wrong.text


@pytest.mark.parametrize(
    ("language", "label"),
    [
        ("nl", "Annuleren en terugkeren naar Tax-on-web"),
        ("fr", "Annuler et revenir à Tax-on-web"),
        ("de", "Abbrechen und zurück zu Tax-on-web"),
    ],
)
def test_cancel_is_labelled_in_each_language(provider: Provider, language: str, label: str) -> None:
    _request_id, url = saml_request(provider)
    with browser(provider.base, headers={"Accept-Language": language}) as person:
        _flow, page = login_page(person, url)
    assert f'<html lang="{language}">' in page.text
    assert label in html.unescape(page.text)
