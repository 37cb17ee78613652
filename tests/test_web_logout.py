"""Dynamic registration, RP-initiated logout and back-channel logout, over real HTTP."""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jwt
from joserfc.jwk import KeySet

from eid.pki.services import TestServices
from eid.tokens.virtual import VirtualCard
from eid.web import create_app

from .web_support import (
    Browser,
    browser,
    csrf_of,
    follow_to_portal,
    new_port,
    serving,
    web_config,
)

pytestmark = pytest.mark.parametrize("virtual_card", ["ec"], indirect=True)

TOKEN = "initial-access-token-for-tests"


@pytest.fixture
def notices() -> Iterator[tuple[str, list[str]]]:
    """A portal's back-channel logout endpoint on loopback; yields its URL and what it got."""
    received: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"])).decode()
            received.append(parse_qs(body)["logout_token"][0])
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/backchannel", received
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def provider(virtual_card: VirtualCard, tmp_path: Path) -> Iterator[str]:
    pki = virtual_card.pki()
    port = new_port()
    config = web_config(virtual_card, port, tmp_path)
    with (
        TestServices(pki, port=urlsplit(pki.base_url).port or 0),
        serving(create_app(config), port) as base,
    ):
        yield base


def register(base: str, **metadata: object) -> httpx.Response:
    return httpx.post(f"{base}/register", json=metadata)


def test_registration_then_login_and_logout_everywhere(
    provider: str, notices: tuple[str, list[str]]
) -> None:
    backchannel, received = notices
    registered = register(
        provider,
        client_name="Registered portal",
        redirect_uris=["http://127.0.0.1:9/cb"],
        post_logout_redirect_uris=["http://127.0.0.1:9/bye"],
        backchannel_logout_uri=backchannel,
        token_endpoint_auth_method="client_secret_post",
    )
    assert registered.status_code == 201, registered.text
    client_info = registered.json()
    assert client_info["token_endpoint_auth_method"] == "client_secret_post"
    client = OAuth2Client(
        client_info["client_id"],
        client_info["client_secret"],
        scope="openid",
        redirect_uri="http://127.0.0.1:9/cb",
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_post",
    )
    metadata = httpx.get(f"{provider}/.well-known/openid-configuration").json()
    verifier = secrets.token_urlsafe(48)
    url, _ = client.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier
    )
    with browser(provider) as person:
        answer = follow_to_portal(person, url)
        token = client.fetch_token(
            metadata["token_endpoint"],
            authorization_response=answer.headers["location"],
            code_verifier=verifier,
        )
        keys = KeySet.import_key_set(httpx.get(metadata["jwks_uri"]).json())
        id_token = jwt.decode(token["id_token"], keys)

        wrong = person.get(
            metadata["end_session_endpoint"],
            params={"id_token_hint": token["id_token"],
                    "post_logout_redirect_uri": "http://127.0.0.1:9/elsewhere"},
        )  # fmt: skip
        assert wrong.status_code == 400
        assert "Alice" in person.get("/").text  # still logged in

        out = person.get(
            metadata["end_session_endpoint"],
            params={"id_token_hint": token["id_token"], "state": "x y",
                    "post_logout_redirect_uri": "http://127.0.0.1:9/bye"},
        )  # fmt: skip
        assert out.status_code == 303
        assert out.headers["location"] == "http://127.0.0.1:9/bye?state=x+y"
        assert "You are not logged in" in person.get("/").text
    assert len(received) == 1
    notice = jwt.decode(received[0], keys).claims
    assert notice["aud"] == client_info["client_id"]
    assert notice["sid"] == id_token.claims["sid"]
    assert "http://schemas.openid.net/event/backchannel-logout" in notice["events"]
    assert "nonce" not in notice


def _logged_in_client(provider: str, person: Browser, name: str) -> tuple[str, str]:
    """Register an OIDC client and log ``person`` in at it; its id and the ID token."""
    registered = register(
        provider, client_name=name, redirect_uris=["http://127.0.0.1:9/cb"],
        post_logout_redirect_uris=["http://127.0.0.1:9/bye"],
    ).json()  # fmt: skip
    client = OAuth2Client(
        registered["client_id"], registered["client_secret"], scope="openid",
        redirect_uri="http://127.0.0.1:9/cb", code_challenge_method="S256",
    )  # fmt: skip
    verifier = secrets.token_urlsafe(48)
    url, _ = client.create_authorization_url(f"{provider}/authorize", code_verifier=verifier)
    answer = follow_to_portal(person, url)
    token = client.fetch_token(
        f"{provider}/token",
        authorization_response=answer.headers["location"],
        code_verifier=verifier,
    )
    return str(registered["client_id"]), str(token["id_token"])


def test_logout_without_a_valid_hint_is_confirmed(provider: str) -> None:
    with browser(provider) as person:
        client_id, id_token = _logged_in_client(provider, person, "First portal")
        other_id, _ = _logged_in_client(provider, person, "Second portal")
        asked_for = {"client_id": client_id, "state": "s",
                     "post_logout_redirect_uri": "http://127.0.0.1:9/bye"}  # fmt: skip
        tampered = id_token[:-4] + ("AAAA" if not id_token.endswith("AAAA") else "BBBB")
        for params in (asked_for, {**asked_for, "id_token_hint": tampered}):
            page = person.get("/logout/oidc", params=params)
            assert page.status_code == 200
            assert 'action="/logout/oidc"' in page.text
            assert "First portal asks to log you out" in page.text
        forged = person.post("/logout/oidc", data={**asked_for, "confirm": "yes"})
        assert forged.status_code == 403
        by_get = person.get("/logout/oidc", params={**asked_for, "confirm": "yes",
                                                    "csrf": csrf_of(page.text)})  # fmt: skip
        assert by_get.status_code == 200  # asked again: only the form's POST confirms
        mixed = person.get(
            "/logout/oidc", params={"id_token_hint": id_token, "client_id": other_id}
        )
        assert mixed.status_code == 400
        assert "Alice" in person.get("/").text  # still logged in
        fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page.text))
        assert fields == {**asked_for, "confirm": "yes", "csrf": csrf_of(page.text)}
        out = person.post("/logout/oidc", data=fields)
        assert out.status_code == 303
        assert out.headers["location"] == "http://127.0.0.1:9/bye?state=s"
        assert "You are not logged in" in person.get("/").text
        # Nothing left to end: no question, straight back.
        again = person.get("/logout/oidc", params=asked_for)
        assert again.headers["location"] == "http://127.0.0.1:9/bye?state=s"


def test_registration_refuses_bad_metadata(provider: str) -> None:
    for metadata, error in (
        ({"redirect_uris": []}, "invalid_redirect_uri"),
        ({"redirect_uris": ["http://portal.example/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://portal.example/cb#x"]}, "invalid_redirect_uri"),
        (
            {"redirect_uris": ["https://portal.example/cb"], "token_endpoint_auth_method": "none"},
            "invalid_client_metadata",
        ),
        (
            {"redirect_uris": ["https://portal.example/cb"],
             "token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [{"kty": "oct", "k": "AA"}]}},
            "invalid_client_metadata",
        ),
    ):  # fmt: skip
        answer = register(provider, **metadata)
        assert answer.status_code == 400, metadata
        assert answer.json()["error"] == error
    assert httpx.post(f"{provider}/register", content=b"[").status_code == 400


def test_registration_outside_development_needs_the_token(
    virtual_card: VirtualCard, tmp_path: Path
) -> None:
    port = new_port()
    config = web_config(
        virtual_card,
        port,
        tmp_path,
        tables={"development": {"enabled": False}, "oidc": {"registration_token": TOKEN}},
    )
    metadata = {"redirect_uris": ["https://portal.example/cb"]}
    with serving(create_app(config), port) as base:
        none = httpx.post(f"{base}/register", json=metadata)
        wrong = httpx.post(f"{base}/register", json=metadata, headers={"Authorization": "Bearer x"})
        good = httpx.post(
            f"{base}/register", json=metadata, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        login_page = httpx.get(f"{base}/login")
    assert none.status_code == 401
    assert wrong.status_code == 401
    assert good.status_code == 201
    assert json.loads(good.text)["client_id"].startswith("dyn-")
    assert 'name="pin"' not in login_page.text  # no virtual eID outside development
    assert "Virtual eID" not in login_page.text
