"""OIDC ``response_mode`` (query, fragment, form_post) and ``max_age`` over real HTTP.

The portal's redirect URI is a real relying party on loopback (a Starlette app that keeps
what is posted to it); Authlib and plain httpx redeem the codes; headless Chromium submits
the form_post page, with and without its script, and axe-core checks it.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import markupsafe
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jwt
from joserfc.jwk import KeySet
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from eid.tokens.virtual import VirtualCard

from .browser_support import block_autopost, check_page, chromium
from .web_support import Browser, browser, csrf_of, flow_of, follow_to_portal, new_port, serving
from .web_support import serving_provider as provider_serving

pytestmark = pytest.mark.parametrize("virtual_card", ["ec"], indirect=True)

SECRET = "relying-party-secret-0123456789"
MODES = ["query", "fragment", "form_post"]
HOSTILE_STATE = '"><script>alert(\'x\')</script><input name="code" value="forged'


@dataclass
class RelyingParty:
    """A portal's redirect URI on loopback that keeps every form posted to it."""

    received: list[dict[str, str]] = field(default_factory=list)
    posted: threading.Event = field(default_factory=threading.Event)

    async def callback(self, request: Request) -> HTMLResponse:
        form = await request.form()
        self.received.append({k: v for k, v in form.items() if isinstance(v, str)})
        self.posted.set()
        return HTMLResponse(
            '<!doctype html><html lang="en"><head><title>Portal</title></head>'
            "<body><main><h1>Received</h1></main></body></html>"
        )

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/callback", self.callback, methods=["GET", "POST"])])


@dataclass
class World:
    base: str
    portal: str
    rp: RelyingParty

    def client(self) -> OAuth2Client:
        return OAuth2Client(
            "rp", SECRET, scope="openid profile", redirect_uri=self.portal,
            code_challenge_method="S256",
        )  # fmt: skip

    def metadata(self) -> dict[str, Any]:
        return httpx.get(f"{self.base}/.well-known/openid-configuration").json()

    def authorization(self, **extra: str) -> tuple[str, str, str, str]:
        """An Authlib authorization URL with ``extra`` parameters; its verifier, nonce, state."""
        verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
        url, state = self.client().create_authorization_url(
            f"{self.base}/authorize", code_verifier=verifier, nonce=nonce, **extra
        )
        return url, verifier, nonce, state

    def claims(self, code: str, verifier: str) -> dict[str, Any]:
        """The ID token's claims for ``code`` (Authlib redeems it), checked with the JWKS."""
        token = self.client().fetch_token(f"{self.base}/token", code=code, code_verifier=verifier)
        keys = KeySet.import_key_set(httpx.get(f"{self.base}/jwks").json())
        return dict(jwt.decode(token["id_token"], keys).claims)


@pytest.fixture
def world(virtual_card: VirtualCard, tmp_path: Path) -> Iterator[World]:
    rp = RelyingParty()
    rp_port = new_port()
    portal = f"http://127.0.0.1:{rp_port}/callback"
    portals = [
        {
            "id": "rp",
            "kind": "oidc",
            "name": "Relying Party",
            "redirect_uris": [portal],
            "attributes": ["given_name"],
            "client_secret": SECRET,
        }
    ]
    with (
        serving(rp.app(), rp_port),
        provider_serving(virtual_card, tmp_path, portals=portals) as base,
    ):
        yield World(base, portal, rp)


class _Page(HTMLParser):
    """A page as a browser reads it: its forms (attributes, hidden fields), scripts, buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[dict[str, str | None], list[tuple[str, str]]]] = []
        self.scripts: list[dict[str, str | None]] = []
        self.buttons: list[str] = []
        self._in_button = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self.forms.append((values, []))
        elif tag == "input" and values.get("type") == "hidden" and self.forms:
            self.forms[-1][1].append((values.get("name") or "", values.get("value") or ""))
        elif tag == "script":
            self.scripts.append(values)
        elif tag == "button":
            self._in_button = True
            self.buttons.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "button":
            self._in_button = False

    def handle_data(self, data: str) -> None:
        if self._in_button:
            self.buttons[-1] += data.strip()


def posted_page(response: httpx.Response, portal: str) -> tuple[dict[str, str], _Page]:
    """The fields a form_post page sends to ``portal``, after checking the page is one."""
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "form-action *" in csp  # the post to the portal's redirect URI is allowed
    page = _Page()
    page.feed(response.text)
    [(form, fields)] = page.forms
    assert (form["method"], form["action"]) == ("post", portal)
    assert page.scripts == [{"src": "/static/autopost.js", "defer": None}]
    assert len(dict(fields)) == len(fields), "a field is sent twice"
    return dict(fields), page


def answer_values(response: httpx.Response, mode: str, portal: str) -> dict[str, str]:
    """The parameters of an authorization answer, checked to travel the way ``mode`` says."""
    if mode == "form_post":
        return posted_page(response, portal)[0]
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    assert location._replace(query="", fragment="").geturl() == portal
    if mode == "fragment":
        assert not location.query
        encoded = location.fragment
    else:
        assert not location.fragment
        encoded = location.query
    return {name: values[0] for name, values in parse_qs(encoded).items()}


def test_discovery_lists_the_modes(world: World) -> None:
    assert world.metadata()["response_modes_supported"] == ["query", "fragment", "form_post"]


@pytest.mark.parametrize("mode", [*MODES, ""])
def test_a_code_in_each_mode(world: World, mode: str) -> None:
    """Authlib as the portal: the code, state and iss arrive in the mode asked (empty: query)."""
    url, verifier, nonce, state = world.authorization(response_mode=mode)
    with browser(world.base) as person:
        values = answer_values(follow_to_portal(person, url), mode or "query", world.portal)
    assert set(values) == {"code", "state", "iss"}
    assert (values["state"], values["iss"]) == (state, world.base)
    claims = world.claims(values["code"], verifier)
    assert (claims["aud"], claims["nonce"], claims["given_name"]) == ("rp", nonce, "Alice Geldig")
    assert time.time() - 60 < claims["auth_time"] <= time.time()


def _login(person: Browser, flow: str) -> httpx.Response:
    page = person.get(f"/login?flow={flow}")
    return person.post(
        "/login/virtual", data={"csrf": csrf_of(page.text), "pin": "1234", "flow": flow}
    )


@pytest.mark.parametrize("mode", MODES)
def test_every_refusal_goes_back_in_the_mode_asked(world: World, mode: str) -> None:
    """A refused request, prompt=none without a login, a refused consent and a cancel."""
    refused_url, _, _, refused_state = world.authorization(response_mode=mode, prompt="bogus")
    silent_url, _, _, silent_state = world.authorization(response_mode=mode, prompt="none")
    deny_url, _, _, deny_state = world.authorization(response_mode=mode)
    cancel_url, _, _, cancel_state = world.authorization(response_mode=mode)
    with browser(world.base) as person:
        refused = person.get(refused_url)
        silent = person.get(silent_url)
        flow = flow_of(person.get(deny_url).headers["location"])
        consent = person.get(_login(person, flow).headers["location"])
        deny = person.post(
            "/consent", data={"csrf": csrf_of(consent.text), "flow": flow, "decision": "deny"}
        )
    with browser(world.base) as other:
        flow = flow_of(other.get(cancel_url).headers["location"])
        login = other.get(f"/login?flow={flow}")
        cancel = other.post("/cancel", data={"csrf": csrf_of(login.text), "flow": flow})
    for answer, state, error, words in (
        (refused, refused_state, "invalid_request", "prompt must be"),
        (silent, silent_state, "login_required", "no one is logged in"),
        (deny, deny_state, "access_denied", "did not agree"),
        (cancel, cancel_state, "access_denied", "cancelled"),
    ):
        values = answer_values(answer, mode, world.portal)
        assert set(values) == {"error", "error_description", "state", "iss"}
        assert (values["error"], values["state"], values["iss"]) == (error, state, world.base)
        assert words in values["error_description"]


@pytest.mark.parametrize("value", ["form_post.jwt", "FORM_POST", "web_message", "query "])
def test_an_unknown_mode_is_refused_in_the_default_mode(world: World, value: str) -> None:
    url, _, _, state = world.authorization(response_mode=value)
    with browser(world.base) as person:
        values = answer_values(person.get(url), "query", world.portal)
    assert (values["error"], values["state"]) == ("invalid_request", state)
    assert "response_mode must be one of query, fragment, form_post" in values["error_description"]


def test_a_hostile_state_is_escaped_in_the_form_post_page(world: World) -> None:
    url, _, _, _ = world.authorization(
        response_mode="form_post", prompt="none", state=HOSTILE_STATE
    )
    with browser(world.base) as person:
        page = person.get(url)
    values, _ = posted_page(page, world.portal)
    assert values["state"] == HOSTILE_STATE  # sent back exactly, as data
    assert "code" not in values
    assert "<script>alert" not in page.text
    assert f'name="state" value="{markupsafe.escape(HOSTILE_STATE)}"' in page.text


@pytest.mark.parametrize(
    ("language", "button"),
    [("nl", "Verdergaan"), ("fr", "Continuer"), ("de", "Weiter"), ("en", "Continue")],
)
def test_the_form_post_button_speaks_the_persons_language(
    world: World, language: str, button: str
) -> None:
    url, _, _, _ = world.authorization(
        response_mode="form_post", prompt="none", ui_locales=language
    )
    with browser(world.base) as person:
        page = person.get(url)
    _, parsed = posted_page(page, world.portal)
    assert f'<html lang="{language}">' in page.text
    assert parsed.buttons == [button]


def _code(world: World, person: Browser, **extra: str) -> tuple[httpx.Response, str]:
    """The first answer to an authorization request with ``extra``, and its verifier."""
    url, verifier, _, _ = world.authorization(**extra)
    return person.get(url), verifier


def _needs_login(world: World, person: Browser, **extra: str) -> bool:
    """Whether the provider asks the person to log in for a request with ``extra``."""
    first, _ = _code(world, person, **extra)
    step = person.get(first.headers["location"])
    location = step.headers.get("location", "")
    assert location.startswith(("/login?flow=", world.portal)), step.text
    return location.startswith("/login?flow=")


def test_max_age_asks_for_a_new_login_when_the_login_is_older(world: World) -> None:
    with browser(world.base) as person:
        url, verifier, _, _ = world.authorization()
        answer = follow_to_portal(person, url)
        first = world.claims(answer_values(answer, "query", world.portal)["code"], verifier)
        assert not _needs_login(world, person, max_age="3600")
        assert _needs_login(world, person, max_age="0")
        time.sleep(2.2)
        assert _needs_login(world, person, max_age="2")
        assert not _needs_login(world, person, max_age="60")
        url, verifier, _, _ = world.authorization(max_age="2")
        answer = follow_to_portal(person, url)
        # The new login satisfies the same max_age at once (2 s: room for a loaded machine).
        assert not _needs_login(world, person, max_age="2")
        renewed = world.claims(answer_values(answer, "query", world.portal)["code"], verifier)
    assert renewed["auth_time"] > first["auth_time"]


def test_max_age_with_prompt_none(world: World) -> None:
    with browser(world.base) as person:
        follow_to_portal(person, world.authorization()[0])
        recent, _ = _code(world, person, prompt="none", max_age="3600")
        time.sleep(1.2)
        too_old, _ = _code(world, person, prompt="none", max_age="1")
        now, _ = _code(world, person, prompt="none", max_age="0")
    assert "code" in answer_values(recent, "query", world.portal)
    for answer in (too_old, now):
        values = answer_values(answer, "query", world.portal)
        assert values["error"] == "login_required"
        assert values["error_description"] == "the login is older than the portal accepts"


@pytest.mark.parametrize(
    "value", ["-1", "1.5", "abc", "1e3", " 5", "+5", "\u0661", "1" * 13, "0x10"]
)
def test_a_malformed_max_age_is_refused(world: World, value: str) -> None:
    with browser(world.base) as person:
        plain, _ = _code(world, person, max_age=value, state="s")
        with_login, _ = _code(world, person, max_age=value, prompt="login", state="s")
        empty, _ = _code(world, person, max_age="")
    for answer in (plain, with_login):
        values = answer_values(answer, "query", world.portal)
        assert (values["error"], values["state"]) == ("invalid_request", "s")
        assert "max_age must be a non-negative integer" in values["error_description"]
    assert empty.headers["location"].startswith("/continue?flow=")  # empty: as if not sent


@pytest.fixture(scope="module")
def driver() -> Iterator[webdriver.Chrome]:
    with chromium() as chrome:
        yield chrome


def test_the_form_post_page_posts_in_chromium(driver: webdriver.Chrome, world: World) -> None:
    """Without its script the page waits for its button; with it, it posts by itself."""
    driver.delete_all_cookies()
    block_autopost(driver, True)
    try:
        url, verifier, _, state = world.authorization(response_mode="form_post", ui_locales="en")
        driver.get(url)
        driver.find_element(By.NAME, "pin").send_keys("1234")
        driver.find_element(By.CSS_SELECTOR, "form[action='/login/virtual'] button").click()
        WebDriverWait(driver, 30).until(lambda d: 'action="/consent"' in d.page_source)
        driver.find_element(By.CSS_SELECTOR, "button[value='accept']").click()
        WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "autopost"))
        check_page(driver, "form_post page")
        button = driver.find_element(By.CSS_SELECTOR, "#autopost button")
        assert button.is_displayed()
        assert button.accessible_name == "Continue"
        assert not world.rp.received  # nothing went without the script or the button
        button.click()
        assert world.rp.posted.wait(30)
    finally:
        block_autopost(driver, False)
    [first] = world.rp.received
    assert (first["state"], first["iss"]) == (state, world.base)
    # A plain httpx portal redeems the posted code.
    token = httpx.post(
        f"{world.base}/token",
        data={"grant_type": "authorization_code", "code": first["code"],
              "redirect_uri": world.portal, "code_verifier": verifier},
        auth=("rp", SECRET),
    )  # fmt: skip
    assert token.status_code == 200, token.text
    assert token.json()["id_token"].count(".") == 2
    # With the script, single sign-on posts the next answer without a click.
    world.rp.posted.clear()
    url, _, _, state = world.authorization(response_mode="form_post", prompt="none")
    driver.get(url)
    assert world.rp.posted.wait(30)
    WebDriverWait(driver, 30).until(lambda d: "Received" in d.page_source)
    assert world.rp.received[-1]["state"] == state
    assert "code" in world.rp.received[-1]


@pytest.mark.parametrize("language", ["nl", "fr", "de"])
def test_the_form_post_page_is_accessible_in_each_language(
    driver: webdriver.Chrome, world: World, language: str
) -> None:
    """An error answer's page (no login needed), held by blocking its script."""
    driver.delete_all_cookies()
    block_autopost(driver, True)
    try:
        url, _, _, _ = world.authorization(
            response_mode="form_post", prompt="none", ui_locales=language
        )
        driver.get(url)
        assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == language
        check_page(driver, f"form_post page ({language})")
    finally:
        block_autopost(driver, False)
    assert not world.rp.received
