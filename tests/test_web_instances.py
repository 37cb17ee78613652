"""Two instances of the provider on one Redis serve one login flow."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import redis
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
def shared_redis(tmp_path: Path) -> Iterator[str]:
    with redis_server(tmp_path) as url:
        yield url


@pytest.fixture
def instances(
    virtual_card: VirtualCard, tmp_path: Path, shared_redis: str
) -> Iterator[tuple[str, str]]:
    pki = virtual_card.pki()
    first, second = new_port(), new_port()
    portals = [{"id": "portal", "kind": "oidc", "redirect_uris": [PORTAL],
                "attributes": ["family_name"], "client_secret": SECRET}]  # fmt: skip
    with TestServices(pki, port=urlsplit(pki.base_url).port or 0):
        # One configuration (one issuer, secret and key) for both, as behind a load balancer.
        config = web_config(
            virtual_card, first, tmp_path, portals=portals, redis=shared_redis, secret="s" * 48
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


def _code(base: str) -> dict[str, str]:
    """The token request form of a fresh code (a login at ``base``)."""
    client = OAuth2Client("portal", SECRET, scope="openid", redirect_uri=PORTAL,
                          code_challenge_method="S256")  # fmt: skip
    verifier = secrets.token_urlsafe(48)
    url, _ = client.create_authorization_url(f"{base}/authorize", code_verifier=verifier)
    with browser(base) as person:
        answer = follow_to_portal(person, url)
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    return {"grant_type": "authorization_code", "code": code, "redirect_uri": PORTAL,
            "code_verifier": verifier}  # fmt: skip


def _access_tokens(redis_url: str) -> int:
    return len(redis.Redis.from_url(redis_url).keys("eid:web:access:*"))


def test_a_code_redeemed_on_both_instances_at_once_is_granted_once(
    instances: tuple[str, str], shared_redis: str
) -> None:
    a, b = instances
    form = _code(a)
    start = threading.Barrier(8)

    def redeem(base: str) -> httpx.Response:
        with httpx.Client(base_url=base) as connection:
            connection.get("/jwks")  # the connection is open before the race starts
            start.wait()
            return connection.post("/token", data=form, auth=("portal", SECRET))

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(redeem, [a, b] * 4))
    assert sorted(answer.status_code for answer in answers) == [200] + [400] * 7
    assert {a.json()["error"] for a in answers if a.status_code == 400} == {"invalid_grant"}
    assert _access_tokens(shared_redis) == 1


def test_a_failed_redemption_leaves_no_access_token(
    instances: tuple[str, str], shared_redis: str
) -> None:
    a, b = instances
    wrong_verifier = {**_code(a), "code_verifier": secrets.token_urlsafe(48)}
    wrong_redirect = {**_code(a), "redirect_uri": PORTAL + "/other"}
    for form in (wrong_verifier, wrong_redirect):
        answer = httpx.post(f"{b}/token", data=form, auth=("portal", SECRET))
        assert answer.json()["error"] == "invalid_grant"
    assert _access_tokens(shared_redis) == 0
