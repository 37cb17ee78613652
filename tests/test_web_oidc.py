"""The provider's OpenID Connect endpoints over real HTTP, with Authlib as the client."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from authlib.jose import JsonWebKey, JsonWebToken
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from eid.sso import VerificationKeys, import_id_token
from eid.tokens.virtual import VirtualCard
from eid.web.oidc import s256

from .web_support import (
    Browser,
    browser,
    csrf_of,
    flow_of,
    follow_to_portal,
    serving_with_services,
)

pytestmark = pytest.mark.parametrize("virtual_card", ["ec"], indirect=True)

PORTAL = "http://127.0.0.1:9/callback"
SECRET = "my-enterprise-secret-0123456789"


def jwt_client_keys() -> tuple[ECKey, dict[str, Any]]:
    key = ECKey.generate_key("P-256", parameters={"kid": "client-1", "use": "sig"})
    return key, {"keys": [key.as_dict(private=False)]}


CLIENT_KEY, CLIENT_JWKS = jwt_client_keys()


class Provider:
    def __init__(self, base: str, audit: io.StringIO, card: VirtualCard) -> None:
        self.base = base
        self.audit = audit
        self.card = card

    def browser(self) -> Browser:
        return browser(self.base)

    def metadata(self) -> dict[str, Any]:
        return httpx.get(f"{self.base}/.well-known/openid-configuration").json()


@pytest.fixture
def provider(virtual_card: VirtualCard, tmp_path: Path) -> Iterator[Provider]:
    portals = [
        {
            "id": "my-enterprise",
            "kind": "oidc",
            "name": "My Enterprise",
            "redirect_uris": [PORTAL],
            "attributes": ["given_name", "family_name"],
            "client_secret": SECRET,
            "post_logout_redirect_uris": ["http://127.0.0.1:9/bye"],
        },
        {
            "id": "jwt-portal",
            "kind": "oidc",
            "name": "JWT portal",
            "redirect_uris": [PORTAL],
            "attributes": ["given_name"],
            "jwks": CLIENT_JWKS,
        },
        {
            "id": "confidential-portal",
            "kind": "oidc",
            "redirect_uris": [PORTAL],
            "attributes": ["given_name"],
            "client_secret": SECRET,
            "require_pkce": False,
        },
        {
            "id": "wide-portal",
            "kind": "oidc",
            "name": "Wide portal",
            "redirect_uris": [PORTAL],
            "attributes": ["given_name", "family_name", "national_number"],
            "national_number": True,
            "client_secret": SECRET,
        },
        {
            "id": "strict-portal",
            "kind": "oidc",
            "redirect_uris": [PORTAL],
            "minimum_level": "high",
            "client_secret": SECRET,
        },
    ]
    audit = io.StringIO()
    with serving_with_services(virtual_card, tmp_path, portals=portals, audit=audit) as (base, _):
        yield Provider(base, audit, virtual_card)


def authlib_client(
    provider: Provider, client_id: str = "my-enterprise", method: str = "client_secret_basic"
) -> OAuth2Client:
    return OAuth2Client(
        client_id,
        SECRET,
        scope="openid profile",
        redirect_uri=PORTAL,
        code_challenge_method="S256",
        token_endpoint_auth_method=method,
    )


def code_flow(provider: Provider, client: OAuth2Client, browser_client: Browser, **extra: str):
    metadata = provider.metadata()
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(16)
    url, state = client.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce, **extra
    )
    answer = follow_to_portal(browser_client, url)
    assert answer.status_code == 303, answer.text
    return answer.headers["location"], verifier, nonce, state, metadata


def _released(provider: Provider, scope: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """The consent page, ID token claims and userinfo of a wide-portal login asking ``scope``."""
    client = OAuth2Client(
        "wide-portal", SECRET, scope=scope, redirect_uri=PORTAL, code_challenge_method="S256"
    )
    metadata = provider.metadata()
    verifier = secrets.token_urlsafe(48)
    url, _ = client.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier
    )
    with provider.browser() as person:
        flow = flow_of(person.get(url).headers["location"])
        login = person.get(f"/login?flow={flow}")
        page = person.post(
            "/login/virtual", data={"csrf": csrf_of(login.text), "pin": "1234", "flow": flow}
        )
        consent = person.get(page.headers["location"])
        answer = follow_to_portal(person, page.headers["location"])
    token = client.fetch_token(
        metadata["token_endpoint"],
        authorization_response=answer.headers["location"],
        code_verifier=verifier,
    )
    claims = jwt.decode(token["id_token"], KeySet.import_key_set(
        httpx.get(metadata["jwks_uri"]).json())).claims  # fmt: skip
    userinfo = httpx.get(
        metadata["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {token['access_token']}"},
    ).json()
    return consent.text, claims, userinfo


def test_scope_narrows_the_released_claims(provider: Provider) -> None:
    scopes = provider.metadata()["scopes_supported"]
    assert {"openid", "profile", "email", "address", "national_number"} <= set(scopes)
    assert "mandates" not in scopes  # no mandate source is configured
    expected = {
        "openid": set(),
        "openid email": set(),
        "openid profile": {"given_name", "family_name"},
        "openid national_number unknown": {"national_number"},
    }
    labels = {"given_name": "Given names", "family_name": "Surname",
              "national_number": "National register number"}  # fmt: skip
    for scope, claims_expected in expected.items():
        consent, claims, userinfo = _released(provider, scope)
        for name, label in labels.items():
            assert (label in consent) == (name in claims_expected), (scope, name)
            assert (name in claims) == (name in claims_expected), (scope, name)
            assert (name in userinfo) == (name in claims_expected), (scope, name)


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_authlib_discovery_code_pkce_and_id_token(provider: Provider, method: str) -> None:
    assert method in provider.metadata()["token_endpoint_auth_methods_supported"]
    client = authlib_client(provider, method=method)
    with provider.browser() as person:
        location, verifier, nonce, state, metadata = code_flow(provider, client, person)
    assert location.startswith(PORTAL + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == [state]
    assert query["iss"] == [provider.base]
    token = client.fetch_token(
        metadata["token_endpoint"], authorization_response=location, code_verifier=verifier
    )
    jwks = httpx.get(metadata["jwks_uri"]).json()
    claims = JsonWebToken(["ES256", "RS256", "PS256", "ES384"]).decode(
        token["id_token"],
        JsonWebKey.import_key_set(jwks),
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": provider.base}},
        claims_params={
            "nonce": nonce,
            "client_id": "my-enterprise",
            "access_token": token["access_token"],
        },
    )
    claims.validate()
    assert claims["given_name"] == "Alice Geldig"
    assert claims["family_name"] == "Specimen"
    assert claims["acr"] == "http://eidas.europa.eu/LoA/low"
    assert "national_number" not in claims
    # The portal side of eid.sso accepts it too.
    imported = import_id_token(
        token["id_token"],
        issuer=provider.base,
        audience="my-enterprise",
        keys=VerificationKeys.from_jwks(jwks),
        nonce=nonce,
        access_token=token["access_token"],
    )
    assert imported.subject == claims["sub"]
    userinfo = httpx.get(
        metadata["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert userinfo.json()["sub"] == claims["sub"]
    assert userinfo.json()["family_name"] == "Specimen"
    events = [json.loads(line)["event"] for line in provider.audit.getvalue().splitlines()]
    assert events == ["login", "token"]


def _fresh_code(provider: Provider, person: Browser, client_id: str = "my-enterprise"):
    client = authlib_client(provider, client_id)
    location, verifier, _, _, metadata = code_flow(provider, client, person)
    code = parse_qs(urlsplit(location).query)["code"][0]
    return code, verifier, metadata["token_endpoint"]


def _redeem(endpoint: str, code: str, verifier: str | None, **kwargs: Any) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": PORTAL}
    if verifier is not None:
        data["code_verifier"] = verifier
    data.update(kwargs.pop("data", {}))
    kwargs.setdefault("auth", ("my-enterprise", SECRET))
    return httpx.post(endpoint, data=data, **kwargs)


def test_code_is_redeemed_once(provider: Provider) -> None:
    with provider.browser() as person:
        code, verifier, endpoint = _fresh_code(provider, person)
    assert _redeem(endpoint, code, verifier).status_code == 200
    again = _redeem(endpoint, code, verifier)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_missing_or_wrong_pkce_verifier(provider: Provider) -> None:
    with provider.browser() as person:
        code, verifier, endpoint = _fresh_code(provider, person)
        missing = _redeem(endpoint, code, None)
        wrong = _redeem(endpoint, code, secrets.token_urlsafe(48))
        # A wrong verifier used the code up: the right one is too late now.
        late = _redeem(endpoint, code, verifier)
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_request")
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    assert late.json()["error"] == "invalid_grant"


def test_malformed_token_requests(provider: Provider) -> None:
    with provider.browser() as person:
        code, verifier, endpoint = _fresh_code(provider, person)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": PORTAL,
            "code_verifier": verifier}  # fmt: skip
    auth = ("my-enterprise", SECRET)
    twice = httpx.post(
        endpoint,
        content=urlencode([*form.items(), ("redirect_uri", "http://127.0.0.1:9/evil")]),
        headers={"content-type": "application/x-www-form-urlencoded"},
        auth=auth,
    )
    as_json = httpx.post(endpoint, json=form, auth=auth)
    huge = httpx.post(endpoint, data={**form, "padding": "x" * 70_000}, auth=auth)
    for answer in (twice, as_json, huge):
        assert answer.json()["error"] == "invalid_request"
    assert (twice.status_code, as_json.status_code, huge.status_code) == (400, 400, 413)
    assert "'redirect_uri' is sent twice" in twice.json()["error_description"]
    # None of them reached the code: it is still good.
    assert _redeem(endpoint, code, verifier).status_code == 200


def test_client_authentication_failures(provider: Provider) -> None:
    with provider.browser() as person:
        code, verifier, endpoint = _fresh_code(provider, person)
        wrong_secret = _redeem(endpoint, code, verifier, auth=("my-enterprise", "nope"))
        unknown = _redeem(endpoint, code, verifier, auth=("nobody", SECRET))
        none = _redeem(endpoint, code, verifier, auth=None)
        post = {"client_id": "my-enterprise", "client_secret": SECRET}
        wrong_post = _redeem(
            endpoint, code, verifier, auth=None, data={**post, "client_secret": "nope"}
        )
        post_unknown = _redeem(endpoint, code, verifier, auth=None, data={**post, "client_id": "x"})
        both = _redeem(endpoint, code, verifier, data=post)  # Basic and the form: two methods
        other_client = _redeem(endpoint, code, verifier, auth=("strict-portal", SECRET))
        still_good = _redeem(endpoint, code, verifier)
    for answer in (wrong_secret, unknown, none, wrong_post, post_unknown):
        assert answer.status_code == 401
        assert answer.json()["error"] == "invalid_client"
    assert (both.status_code, both.json()["error"]) == (400, "invalid_request")
    assert other_client.json()["error"] == "invalid_grant"
    assert still_good.status_code == 400  # the other client's attempt used the code up


def _assertion(endpoint: str, *, key: ECKey = CLIENT_KEY, **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": "jwt-portal", "sub": "jwt-portal", "aud": endpoint, "iat": now,
            "exp": now + 120, "jti": secrets.token_urlsafe(12), **claims}  # fmt: skip
    return jwt.encode({"alg": "ES256", "kid": "client-1"}, body, key)


def test_private_key_jwt(provider: Provider) -> None:
    def redeem(assertion: str) -> httpx.Response:
        with provider.browser() as person:
            code, verifier, endpoint = _fresh_code(provider, person, "jwt-portal")
        return _redeem(
            endpoint,
            code,
            verifier,
            auth=None,
            data={
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion,
            },
        )

    endpoint = provider.metadata()["token_endpoint"]
    good = _assertion(endpoint)
    assert redeem(good).status_code == 200
    assert redeem(good).json()["error"] == "invalid_client"  # jti replayed
    other_key = ECKey.generate_key("P-256", parameters={"kid": "client-1"})
    for bad in (
        _assertion(endpoint, key=other_key),
        _assertion(endpoint, aud="https://elsewhere.example/token"),
        _assertion(endpoint, exp=int(time.time()) - 3600),
        _assertion(endpoint, sub="my-enterprise"),
    ):
        answer = redeem(bad)
        assert answer.status_code == 401, answer.text
        assert answer.json()["error"] == "invalid_client"


def test_a_client_allowed_to_leave_pkce_out_uses_a_nonce(provider: Provider) -> None:
    """``require_pkce = false``: no PKCE and a nonce (RFC 9700 2.1.1), and no downgrade."""
    metadata = provider.metadata()
    client = OAuth2Client(
        "confidential-portal", SECRET, scope="openid", redirect_uri=PORTAL
    )  # Authlib without PKCE, as a Keycloak broker or Spring Security by default

    def code(**extra: str) -> str:
        url, _ = client.create_authorization_url(metadata["authorization_endpoint"], **extra)
        with provider.browser() as person:
            location = follow_to_portal(person, url).headers["location"]
        return location

    location = code(nonce="n-1")
    token = client.fetch_token(metadata["token_endpoint"], authorization_response=location)
    claims = jwt.decode(token["id_token"], KeySet.import_key_set(
        httpx.get(metadata["jwks_uri"]).json())).claims  # fmt: skip
    assert (claims["aud"], claims["nonce"]) == ("confidential-portal", "n-1")

    def redeem(location: str, verifier: str | None) -> httpx.Response:
        found = parse_qs(urlsplit(location).query)["code"][0]
        return _redeem(
            metadata["token_endpoint"], found, verifier, auth=("confidential-portal", SECRET)
        )

    downgrade = redeem(code(nonce="n-2"), secrets.token_urlsafe(48))
    assert (downgrade.status_code, downgrade.json()["error"]) == (400, "invalid_grant")
    verifier = secrets.token_urlsafe(48)
    with_pkce = code(nonce="n-3", code_challenge=s256(verifier), code_challenge_method="S256")
    without_verifier = redeem(with_pkce, None)
    assert (without_verifier.status_code, without_verifier.json()["error"]) == (
        400,
        "invalid_grant",
    )
    no_nonce = code()
    assert parse_qs(urlsplit(no_nonce).query)["error"] == ["invalid_request"]
    # Every other client must still use PKCE.
    plain = OAuth2Client("my-enterprise", SECRET, scope="openid", redirect_uri=PORTAL)
    url, _ = plain.create_authorization_url(metadata["authorization_endpoint"], nonce="n")
    with provider.browser() as person:
        refused = person.get(url)
    assert parse_qs(urlsplit(refused.headers["location"]).query)["error"] == ["invalid_request"]


def test_authorization_errors(provider: Provider) -> None:
    endpoint = provider.metadata()["authorization_endpoint"]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(b"v" * 43).digest()).rstrip(b"=").decode()
    good = {"client_id": "my-enterprise", "redirect_uri": PORTAL, "response_type": "code",
            "scope": "openid", "state": "s1", "code_challenge": challenge,
            "code_challenge_method": "S256"}  # fmt: skip
    with provider.browser() as person:
        bad_uri = person.get(endpoint, params={**good, "redirect_uri": PORTAL + "/../evil"})
        unknown = person.get(endpoint, params={**good, "client_id": "nobody"})
        plain = person.get(endpoint, params={**good, "code_challenge_method": "plain"})
        no_pkce = person.get(
            endpoint, params={k: v for k, v in good.items() if k != "code_challenge"}
        )
        no_openid = person.get(endpoint, params={**good, "scope": "profile"})
        silent = person.get(endpoint, params={**good, "prompt": "none"})
    assert bad_uri.status_code == 400
    assert "redirect_uri_mismatch" in bad_uri.text
    assert "location" not in bad_uri.headers
    assert unknown.status_code == 400
    assert "portal_unknown" in unknown.text
    for answer, error in ((plain, "invalid_request"), (no_pkce, "invalid_request"),
                          (no_openid, "invalid_scope"), (silent, "login_required")):  # fmt: skip
        assert answer.status_code == 303
        query = parse_qs(urlsplit(answer.headers["location"]).query)
        assert query["error"] == [error]
        assert query["state"] == ["s1"]


def test_single_sign_on_prompt_none_and_login(provider: Provider) -> None:
    client = authlib_client(provider)
    with provider.browser() as person:
        code_flow(provider, client, person)
        metadata = provider.metadata()
        verifier = secrets.token_urlsafe(48)
        url, _ = client.create_authorization_url(
            metadata["authorization_endpoint"], code_verifier=verifier, prompt="none"
        )
        silent = person.get(url)
        assert silent.status_code == 303
        assert "code=" in silent.headers["location"]
        url, _ = client.create_authorization_url(
            metadata["authorization_endpoint"], code_verifier=verifier, prompt="login"
        )
        forced = person.get(url)
        forced = person.get(forced.headers["location"])
        assert forced.headers["location"].startswith("/login?flow=")
        url, _ = client.create_authorization_url(
            metadata["authorization_endpoint"], code_verifier=verifier, prompt="consent"
        )
        asked = person.get(person.get(url).headers["location"])
        assert asked.status_code == 200
        assert 'action="/consent"' in asked.text


def test_level_too_low_for_the_portal(provider: Provider) -> None:
    client = authlib_client(provider, "strict-portal")
    metadata = provider.metadata()
    url, _ = client.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=secrets.token_urlsafe(48)
    )
    with provider.browser() as person:
        answer = follow_to_portal(person, url)
    assert answer.status_code == 403
    assert "needs a higher level of assurance" in answer.text


def test_acr_values_raise_the_level(provider: Provider) -> None:
    client = authlib_client(provider)
    metadata = provider.metadata()
    url, _ = client.create_authorization_url(
        metadata["authorization_endpoint"],
        code_verifier=secrets.token_urlsafe(48),
        acr_values="http://eidas.europa.eu/LoA/substantial",
    )
    with provider.browser() as person:
        answer = follow_to_portal(person, url)
    assert answer.status_code == 403
    assert "assurance_level_too_low" in answer.text


def test_ui_locales_choose_the_language(provider: Provider) -> None:
    client = authlib_client(provider)
    url, _ = client.create_authorization_url(
        provider.metadata()["authorization_endpoint"],
        code_verifier=secrets.token_urlsafe(48),
        ui_locales="de-BE fr",
    )
    with provider.browser() as person:
        first = person.get(url)
        page = person.get(person.get(first.headers["location"]).headers["location"])
    assert '<html lang="de">' in page.text
    assert "Mit der Virtual eID anmelden" in page.text


def test_userinfo_needs_a_valid_token(provider: Provider) -> None:
    endpoint = provider.metadata()["userinfo_endpoint"]
    assert httpx.get(endpoint).status_code == 401
    bad = httpx.get(endpoint, headers={"Authorization": "Bearer forged"})
    assert bad.status_code == 401
    assert "invalid_token" in bad.headers["www-authenticate"]
