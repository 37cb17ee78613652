"""Two instances of the provider on one Redis serve one login flow."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client

from eid.pki.services import TestServices
from eid.tokens.virtual import VirtualCard
from eid.web import create_app

from .redis_server import redis_server
from .web_support import browser, follow_to_portal, new_port, serving, web_config

pytestmark = pytest.mark.parametrize("virtual_card", ["ec"], indirect=True)

PORTAL = "http://127.0.0.1:9/callback"
SECRET = "portal-secret-0123456789abcdef"


@pytest.fixture
def instances(virtual_card: VirtualCard, tmp_path: Path) -> Iterator[tuple[str, str]]:
    pki = virtual_card.pki()
    first, second = new_port(), new_port()
    portals = [{"id": "portal", "kind": "oidc", "redirect_uris": [PORTAL],
                "attributes": ["family_name"], "client_secret": SECRET}]  # fmt: skip
    with redis_server(tmp_path) as url, TestServices(pki, port=urlsplit(pki.base_url).port or 0):
        # One configuration (one issuer, secret and key) for both, as behind a load balancer.
        config = web_config(
            virtual_card, first, tmp_path, portals=portals, redis=url, secret="s" * 48
        )
        with (
            serving(create_app(config), first) as a,
            serving(create_app(config), second) as b,
        ):
            yield a, b


def test_a_flow_started_on_one_instance_finishes_on_the_other(
    instances: tuple[str, str],
) -> None:
    a, b = instances
    client = OAuth2Client("portal", SECRET, scope="openid profile", redirect_uri=PORTAL,
                          code_challenge_method="S256")  # fmt: skip
    verifier = secrets.token_urlsafe(48)
    url, state = client.create_authorization_url(f"{a}/authorize", code_verifier=verifier)
    with browser(a) as at_a:
        started = at_a.get(url)
        assert started.status_code == 303
        flow_path = started.headers["location"]  # /continue?flow=...
    with browser(b) as at_b:  # the same browser, now routed to the other instance
        at_b.jar.update(at_a.jar)
        answer = follow_to_portal(at_b, flow_path)
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert parse_qs(urlsplit(location).query)["state"] == [state]
    code = parse_qs(urlsplit(location).query)["code"][0]
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": PORTAL,
            "code_verifier": verifier}  # fmt: skip
    redeemed = httpx.post(f"{a}/token", data=data, auth=("portal", SECRET))
    assert redeemed.status_code == 200, redeemed.text
    again = httpx.post(f"{b}/token", data=data, auth=("portal", SECRET))
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    # The access token works on either instance.
    token = redeemed.json()["access_token"]
    for base in (a, b):
        info = httpx.get(f"{base}/userinfo", headers={"Authorization": f"Bearer {token}"})
        assert info.json()["family_name"] == "Specimen"


def test_the_session_and_rate_limits_are_shared(instances: tuple[str, str]) -> None:
    a, b = instances
    from .web_support import csrf_of

    with browser(a) as at_a:
        page = at_a.get("/login")
        token = csrf_of(page.text)
        for _ in range(5):
            assert (
                at_a.post("/login/virtual", data={"csrf": token, "pin": "0000"}).status_code == 400
            )
    with browser(b) as at_b:
        at_b.jar.update(at_a.jar)
        blocked = at_b.post("/login/virtual", data={"csrf": token, "pin": "1234"})
    assert blocked.status_code == 429
