"""The identity provider on loopback for the service tests: real HTTP, a real virtual card."""

from __future__ import annotations

import html
import io
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import uvicorn
from starlette.types import ASGIApp

from eid.pki.services import TestServices
from eid.tokens.virtual import VirtualCard
from eid.web import create_app
from eid.web.audit import AuditLog
from eid.web.config import WebConfig, config_from_mapping
from eid.web.dev import development_config
from eid.web.service import build_service

from .redis_server import free_port


@contextmanager
def serving(app: ASGIApp, port: int) -> Iterator[str]:
    """Run ``app`` with uvicorn on 127.0.0.1:``port`` in a thread; yield its base URL."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class Browser(httpx.Client):
    """An HTTP client that keeps cookies as a browser does on loopback, Secure ones included.

    Browsers treat http://127.0.0.1 as a secure context; httpx's jar does not, so this
    client keeps its cookies itself (one site, path /). It does not follow redirects.
    """

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(
            base_url=base_url,
            timeout=30,
            event_hooks={"request": [self._send_cookies], "response": [self._keep_cookies]},
            **kwargs,
        )
        self.jar: dict[str, str] = {}
        self.set_cookie_headers: list[str] = []

    def _send_cookies(self, request: httpx.Request) -> None:
        if self.jar:
            request.headers["cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())

    def _keep_cookies(self, response: httpx.Response) -> None:
        for header in response.headers.get_list("set-cookie"):
            self.set_cookie_headers.append(header)
            parsed = SimpleCookie()
            parsed.load(header)
            for name, morsel in parsed.items():
                if morsel["max-age"] == "0" or morsel["expires"].startswith("Thu, 01 Jan 1970"):
                    self.jar.pop(name, None)
                else:
                    self.jar[name] = morsel.value


def browser(base_url: str, **kwargs: Any) -> Browser:
    """A browser-like HTTP client on ``base_url``."""
    return Browser(base_url, **kwargs)


def web_config(
    card: VirtualCard,
    port: int,
    tmp: Path,
    *,
    portals: list[dict[str, Any]] | None = None,
    tables: dict[str, dict[str, Any]] | None = None,
    **server: Any,
) -> WebConfig:
    """A development configuration on ``port`` around ``card`` (extra ``[server]`` settings)."""
    data = development_config(card, directory=tmp, port=port, portals=portals)
    data["server"].update(server)
    for name, table in (tables or {}).items():
        data.setdefault(name, {}).update(table)
    return config_from_mapping(data, base=tmp)


def client_certificate_header(card: VirtualCard) -> dict[str, str]:
    """The header a TLS-terminating proxy sends with ``card``'s authentication certificate."""
    from urllib.parse import quote

    from cryptography.hazmat.primitives.serialization import Encoding

    from eid.tokens import Role

    with card.open() as token:
        pem = token.certificate(Role.AUTHENTICATION).certificate.public_bytes(Encoding.PEM)
    return {"X-SSL-Client-Cert": quote(pem.decode())}


def new_port() -> int:
    return free_port()


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, "the page has no CSRF field"
    return match.group(1)


def flow_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["flow"][0]


def follow_to_portal(client: Browser, url: str, *, pin: str = "1234") -> httpx.Response:
    """From a portal's request URL, through login (virtual eID) and consent, to the answer.

    Returns the provider's last response: a redirect to the portal, or a page (SAML POST form).
    """
    response = client.get(url)
    for _ in range(10):
        location = response.headers.get("location", "")
        if response.status_code in (302, 303) and location.startswith("/login"):
            page = client.get(location)
            response = client.post(
                "/login/virtual",
                data={"csrf": csrf_of(page.text), "pin": pin, "flow": flow_of(location)},
            )
        elif response.status_code in (302, 303) and location.startswith("/"):
            response = client.get(location)
        elif response.status_code == 200 and 'action="/consent"' in response.text:
            flow = re.search(r'name="flow" value="([^"]+)"', response.text)
            assert flow
            response = client.post(
                "/consent",
                data={"csrf": csrf_of(response.text), "flow": flow.group(1), "decision": "accept"},
            )
        else:
            return response
    raise AssertionError("the flow did not end")


@contextmanager
def serving_with_services(
    card: VirtualCard,
    tmp: Path,
    *,
    portals: list[dict[str, Any]] | None = None,
    tables: dict[str, dict[str, Any]] | None = None,
    audit: io.StringIO | None = None,
    **server: Any,
) -> Iterator[tuple[str, TestServices]]:
    """The provider on a free loopback port, and the card's OCSP/CRL services running.

    ``portals``, ``tables`` and ``server`` go to `web_config`; the audit log is written to
    ``audit`` when given. Yields the provider's base URL and the services.
    """
    pki = card.pki()
    port = new_port()
    config = web_config(card, port, tmp, portals=portals, tables=tables, **server)
    service = build_service(config)
    if audit is not None:
        service.audit = AuditLog(config.secret, stream=audit)
    with (
        TestServices(pki, port=urlsplit(pki.base_url).port or 0) as services,
        serving(create_app(config, service=service), port) as base,
    ):
        yield base, services


@contextmanager
def serving_provider(
    card: VirtualCard,
    tmp: Path,
    *,
    portals: list[dict[str, Any]],
    tables: dict[str, dict[str, Any]] | None = None,
) -> Iterator[str]:
    """The provider on a free loopback port with ``portals``, and the card's OCSP/CRL services.

    Yields the provider's base URL.
    """
    with serving_with_services(card, tmp, portals=portals, tables=tables) as (base, _):
        yield base


def posted_fields(page: httpx.Response, action: str) -> dict[str, str]:
    """The SAMLResponse/SAMLRequest and RelayState of a POST-binding page whose form goes to ``action``."""
    assert page.status_code == 200, page.text
    assert f'action="{action}"' in page.text
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'name="([^"]+)" value="([^"]*)"', page.text)
        if name in ("SAMLResponse", "SAMLRequest", "RelayState")
    }
