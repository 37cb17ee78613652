"""The provider's login pages over real HTTP: virtual eID, Web eID, TLS client certificate."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from eid.auth.webeid import create_token
from eid.pki.cache import default_cache
from eid.pki.services import TestServices
from eid.tokens import Role
from eid.tokens.virtual import VirtualCard
from eid.web import create_app
from eid.web.audit import AuditLog
from eid.web.service import build_service

from .web_support import (
    Browser,
    browser,
    client_certificate_header,
    csrf_of,
    new_port,
    serving,
    web_config,
)

pytestmark = pytest.mark.parametrize("virtual_card", ["ec"], indirect=True)

PIN = "1234"


@pytest.fixture
def services(virtual_card: VirtualCard) -> Iterator[TestServices]:
    from urllib.parse import urlsplit

    pki = virtual_card.pki()
    with TestServices(pki, port=urlsplit(pki.base_url).port or 0) as running:
        yield running


class Provider:
    def __init__(self, base: str, audit: io.StringIO, card: VirtualCard) -> None:
        self.base = base
        self.audit = audit
        self.card = card

    def client(self, **kwargs: object) -> Browser:
        return browser(self.base, **kwargs)

    def audit_lines(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.audit.getvalue().splitlines()]


@pytest.fixture
def provider(
    virtual_card: VirtualCard, services: TestServices, tmp_path: Path
) -> Iterator[Provider]:
    port = new_port()
    config = web_config(
        virtual_card,
        port,
        tmp_path,
        trusted_proxies=["127.0.0.1"],
    )
    service = build_service(config)
    audit = io.StringIO()
    service.audit = AuditLog(config.secret, stream=audit)
    with serving(create_app(config, service=service), port) as base:
        yield Provider(base, audit, virtual_card)


def login_virtual(client: httpx.Client, pin: str = PIN, flow: str = "") -> httpx.Response:
    page = client.get("/login")
    return client.post(
        "/login/virtual", data={"csrf": csrf_of(page.text), "pin": pin, "flow": flow}
    )


def test_login_page_cookie_and_headers(provider: Provider) -> None:
    with provider.client() as client:
        page = client.get("/login")
    assert page.status_code == 200
    cookie = page.headers["set-cookie"]
    assert "eid_session=" in cookie
    for attribute in ("Secure", "HttpOnly", "SameSite=lax", "Path=/"):
        assert attribute.lower() in cookie.lower()
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert "strict-transport-security" not in page.headers
    # No inline script: every <script> has a src, and no on* handler attributes.
    assert re.findall(r"<script(?![^>]*\bsrc=)", page.text) == []
    assert re.search(r"\son[a-z]+=", page.text) is None
    assert '<label for="pin">PIN</label>' in page.text
    assert 'name="pin"' in page.text
    assert "Virtual eID" in page.text


def test_virtual_eid_login_renews_the_session(provider: Provider) -> None:
    with provider.client() as client:
        before = client.get("/login")
        first_cookie = client.jar["eid_session"]
        answer = client.post(
            "/login/virtual", data={"csrf": csrf_of(before.text), "pin": PIN, "flow": ""}
        )
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == "/"
        assert client.jar["eid_session"] != first_cookie  # no session fixation
        home = client.get("/")
    assert "You are logged in as Alice Geldig Specimen" in home.text
    assert "Level of assurance: low." in home.text  # the virtual card is a software token
    login = [line for line in provider.audit_lines() if line["event"] == "login"]
    assert login
    assert login[0]["outcome"] == "success"
    assert login[0]["level"] == "low"


def test_wrong_pin_says_what_to_do(provider: Provider) -> None:
    with provider.client() as client:
        answer = login_virtual(client, pin="9999")
    assert answer.status_code == 400
    assert "The PIN is incorrect." in answer.text
    assert "pin_incorrect" in answer.text
    assert "9999" not in provider.audit.getvalue()


def test_missing_or_foreign_csrf_token_is_refused(provider: Provider) -> None:
    with provider.client() as client:
        client.get("/login")
        missing = client.post("/login/virtual", data={"pin": PIN})
        wrong = client.post("/login/virtual", data={"pin": PIN, "csrf": "x" * 43})
    with provider.client() as other:
        no_session = other.post("/login/virtual", data={"pin": PIN, "csrf": "x" * 43})
    for answer in (missing, wrong, no_session):
        assert answer.status_code == 403
        assert "error code: csrf" in answer.text.lower()
    assert not any(line["event"] == "login" for line in provider.audit_lines())


def test_too_many_pin_attempts_per_session(provider: Provider) -> None:
    with provider.client() as client:
        page = client.get("/login")
        token = csrf_of(page.text)
        statuses = [
            client.post("/login/virtual", data={"csrf": token, "pin": "0000"}).status_code
            for _ in range(6)
        ]
        # Even the right PIN is refused once the limit is reached.
        blocked = client.post("/login/virtual", data={"csrf": token, "pin": PIN})
    assert statuses == [400] * 5 + [429]
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.text
    assert int(blocked.headers["retry-after"]) > 0


def test_too_many_pin_attempts_per_address(provider: Provider) -> None:
    statuses = []
    for _ in range(21):
        with provider.client() as client:
            statuses.append(login_virtual(client, pin="0000").status_code)
    assert statuses[:20] == [400] * 20
    assert statuses[20] == 429


def test_web_eid_login(provider: Provider) -> None:
    with provider.client() as client:
        page = client.get("/login")
        token = csrf_of(page.text)
        challenge = client.post("/login/webeid/challenge", data={"csrf": token})
        assert challenge.status_code == 200
        nonce = challenge.json()["nonce"]
        with provider.card.open() as card:
            answer = create_token(
                card, origin=provider.base.replace("http:", "https:"), challenge=nonce
            )
        posted = client.post(
            "/login/webeid", data={"csrf": token, "challenge": nonce, "token": answer}
        )
        assert posted.status_code == 303, posted.text
        assert "Alice" in client.get("/").text
        # The same token again: the challenge was used up.
        new_page = client.get("/login")
        again = client.post(
            "/login/webeid",
            data={"csrf": csrf_of(new_page.text), "challenge": nonce, "token": answer},
        )
    assert again.status_code == 400


def test_web_eid_token_for_another_origin_is_refused(provider: Provider) -> None:
    with provider.client() as client:
        token = csrf_of(client.get("/login").text)
        nonce = client.post("/login/webeid/challenge", data={"csrf": token}).json()["nonce"]
        with provider.card.open() as card:
            answer = create_token(card, origin="https://evil.example", challenge=nonce)
        posted = client.post(
            "/login/webeid", data={"csrf": token, "challenge": nonce, "token": answer}
        )
    assert posted.status_code == 403
    assert "signature_invalid" in posted.text


def test_tls_client_certificate_from_a_trusted_proxy(provider: Provider) -> None:
    header = client_certificate_header(provider.card)
    with provider.client() as client:
        token = csrf_of(client.get("/login").text)
        answer = client.post("/login/tls", data={"csrf": token}, headers=header)
        assert answer.status_code == 303, answer.text
        assert "Alice" in client.get("/").text


def test_tls_header_from_an_untrusted_peer_is_ignored(
    virtual_card: VirtualCard, services: TestServices, tmp_path: Path
) -> None:
    port = new_port()
    config = web_config(virtual_card, port, tmp_path, trusted_proxies=["10.9.9.9"])
    header = client_certificate_header(virtual_card)
    with serving(create_app(config), port) as base, browser(base) as client:
        token = csrf_of(client.get("/login").text)
        answer = client.post("/login/tls", data={"csrf": token}, headers=header)
    assert answer.status_code == 400
    assert "no_certificate" in answer.text


def test_revoked_certificate_says_what_to_do(provider: Provider, services: TestServices) -> None:
    default_cache().clear()  # OCSP answers of earlier tests are remembered until nextUpdate
    with provider.card.open() as token:
        services.revoke(token.certificate(Role.AUTHENTICATION).certificate)
    try:
        with provider.client() as client:
            answer = login_virtual(client)
    finally:
        default_cache().clear()
    assert answer.status_code == 403
    assert "has been revoked" in answer.text
    assert "Ask your municipality for a new card" in answer.text


def test_languages_from_browser_switch_and_memory(provider: Provider) -> None:
    with provider.client(headers={"Accept-Language": "fr-BE,fr;q=0.9,en;q=0.5"}) as client:
        french = client.get("/login")
        assert '<html lang="fr">' in french.text
        assert "Se connecter" in french.text
        switched = client.get("/language/de", params={"next": "/login"})
        assert switched.status_code == 303
        assert switched.headers["location"] == "/login"
        german = client.get("/login")
        assert '<html lang="de">' in german.text
        assert "Anmelden" in german.text
        escape = client.get("/language/nl", params={"next": "//evil.example/"})
        assert escape.headers["location"] == "/"
        assert '<html lang="nl">' in client.get("/").text


def test_logout_ends_the_session(provider: Provider) -> None:
    with provider.client() as client:
        login_virtual(client)
        home = client.get("/")
        assert "Alice" in home.text
        out = client.post("/logout", data={"csrf": csrf_of(home.text)})
        assert out.status_code == 303
        out = client.get(out.headers["location"])
        assert "You are logged out" in out.text
        assert "You are not logged in" in client.get("/").text
    events = [line["event"] for line in provider.audit_lines()]
    assert events == ["login", "logout"]


def test_unknown_page_and_method(provider: Provider) -> None:
    with provider.client() as client:
        missing = client.get("/nowhere")
        wrong_method = client.get("/login/virtual")
    assert missing.status_code == 404
    assert "This page does not exist." in missing.text
    assert wrong_method.status_code == 405


def test_hsts_when_configured(virtual_card: VirtualCard, tmp_path: Path) -> None:
    port = new_port()
    config = web_config(virtual_card, port, tmp_path, hsts=True)
    with serving(create_app(config), port) as base, browser(base) as client:
        page = client.get("/login")
        static = client.get("/static/eid.css")
    assert page.headers["strict-transport-security"] == "max-age=31536000"
    assert static.headers["strict-transport-security"] == "max-age=31536000"
    assert static.headers["content-security-policy"].startswith("default-src 'none'")
