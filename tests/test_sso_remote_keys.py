"""`RemoteKeys`: the provider's JWKS fetched over HTTP on loopback, cached, refetched on rollover.

A small HTTP server on 127.0.0.1 plays the provider: it serves the discovery document and
the JWKS of an `IdentityProvider` whose keys rotate, counts every fetch, and can answer
with another status, a redirect, a body too large or no JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from eid.errors import EidError, ProviderKeysUnavailable, UsageError
from eid.sso import KeySet, PortalRegistry, RemoteKeys
from eid.sso.id_token import import_id_token
from eid.sso.provider import IdentityProvider
from eid.sso.remote import MAX_DOCUMENT_SIZE
from tests.sso_support import ec_key, login, minter, portal, rsa_key

NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
CLIENT = "portal-a"


@dataclass
class Provider:
    """What the loopback provider serves, and what it was asked."""

    idp: IdentityProvider
    issuer: str
    cache_control: str = "max-age=300"
    status: int = 200
    body: bytes | None = None  # instead of the JWKS
    discovery_issuer: str | None = None  # instead of the issuer
    fetches: list[str] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    provider: Provider

    def do_GET(self) -> None:
        provider = self.provider
        provider.fetches.append(self.path)
        if self.path == "/.well-known/openid-configuration":
            issuer = provider.discovery_issuer or provider.issuer
            body = json.dumps({"issuer": issuer, "jwks_uri": provider.issuer + "/jwks"}).encode()
        elif self.path == "/jwks":
            body = provider.body or json.dumps(provider.idp.jwks()).encode()
        else:
            body = b""
        self.send_response(provider.status if self.path == "/jwks" else 200)
        if provider.status in (301, 302):
            self.send_header("Location", provider.issuer + "/elsewhere")
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", provider.cache_control)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def served() -> Iterator[Provider]:
    handler = type("Handler", (_Handler,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    issuer = f"http://127.0.0.1:{server.server_address[1]}"
    idp = IdentityProvider(
        issuer,
        KeySet(ec_key("old"), next=rsa_key("new")),
        PortalRegistry([portal()]),
        subjects=minter(),
        clock=lambda: NOW,
    )
    handler.provider = Provider(idp, issuer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler.provider
    server.shutdown()
    server.server_close()
    thread.join(5)


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


def _import(token: str, keys: RemoteKeys, issuer: str) -> str:
    return import_id_token(token, issuer=issuer, audience=CLIENT, keys=keys, at=NOW).subject


def test_rollover_published_keys_need_no_fetch_and_unseen_ones_fetch_once(
    served: Provider,
) -> None:
    clock = Clock()
    keys = RemoteKeys.from_discovery(served.issuer, clock=clock)
    before = served.idp.issue_id_token(login(), CLIENT)
    assert _import(before, keys, served.issuer)
    assert served.fetches == ["/.well-known/openid-configuration", "/jwks"]
    served.idp.rotate(ec_key("newer"))  # the published next key signs: already cached
    assert _import(served.idp.issue_id_token(login(), CLIENT), keys, served.issuer)
    assert served.fetches.count("/jwks") == 1
    served.idp.rotate(None)  # a key the portal has not seen yet signs
    after = served.idp.issue_id_token(login(), CLIENT)
    clock.now += dt.timedelta(seconds=61)  # past min_refresh, within max-age
    assert _import(after, keys, served.issuer) == _import(before, keys, served.issuer)
    assert served.fetches.count("/jwks") == 2


def test_an_unknown_kid_within_min_refresh_fetches_nothing(served: Provider) -> None:
    keys = RemoteKeys(served.issuer + "/jwks", clock=Clock())
    assert _import(served.idp.issue_id_token(login(), CLIENT), keys, served.issuer)
    served.idp.rotate(ec_key("newer"))
    served.idp.rotate(None)
    with pytest.raises(EidError) as caught:
        _import(served.idp.issue_id_token(login(), CLIENT), keys, served.issuer)
    assert caught.value.code == "assertion_key_unknown"
    assert served.fetches == ["/jwks"]


def test_the_jwks_is_kept_for_its_max_age_then_fetched_again(served: Provider) -> None:
    clock = Clock()
    keys = RemoteKeys(served.issuer + "/jwks", clock=clock)
    keys.keys()
    clock.now += dt.timedelta(seconds=299)
    keys.keys()
    assert served.fetches == ["/jwks"]
    clock.now += dt.timedelta(seconds=1)
    keys.keys()
    assert served.fetches == ["/jwks", "/jwks"]


@pytest.mark.parametrize(
    ("cache_control", "kept"),
    [("no-store", 60), ("max-age=5", 60), ("public, max-age=999999", 86400), ("", 3600)],
)
def test_the_cache_lifetime_is_bounded(served: Provider, cache_control: str, kept: int) -> None:
    served.cache_control = cache_control
    clock = Clock()
    keys = RemoteKeys(served.issuer + "/jwks", clock=clock)
    keys.keys()
    clock.now += dt.timedelta(seconds=kept - 1)
    keys.keys()
    assert len(served.fetches) == 1
    clock.now += dt.timedelta(seconds=1)
    keys.keys()
    assert len(served.fetches) == 2


def test_a_failed_fetch_after_expiry_fails_the_import(served: Provider) -> None:
    clock = Clock()
    keys = RemoteKeys(served.issuer + "/jwks", clock=clock)
    token = served.idp.issue_id_token(login(), CLIENT)
    assert _import(token, keys, served.issuer)
    served.status = 503
    clock.now += dt.timedelta(hours=2)
    with pytest.raises(ProviderKeysUnavailable, match="HTTP 503"):
        _import(token, keys, served.issuer)


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (500, None, "HTTP 500"),
        (302, None, "HTTP 302"),
        (200, b"not json", "not JSON"),
        (200, b'{"keys": [{"kty": "oct", "k": "AAAA"}]}', "not accepted"),
        (200, b" " * (MAX_DOCUMENT_SIZE + 1), "larger than"),
    ],
    ids=["error", "redirect", "not-json", "symmetric-key", "too-large"],
)
def test_a_bad_answer_is_provider_keys_unavailable(
    served: Provider, status: int, body: bytes | None, reason: str
) -> None:
    served.status, served.body = status, body
    with pytest.raises(ProviderKeysUnavailable, match=reason) as caught:
        RemoteKeys(served.issuer + "/jwks").keys()
    assert caught.value.code == "provider_keys_unavailable"
    assert caught.value.exit_code == 1


def test_a_provider_that_does_not_answer_is_unavailable() -> None:
    with ThreadingHTTPServer(("127.0.0.1", 0), _Handler) as server:
        port = server.server_address[1]
    with pytest.raises(ProviderKeysUnavailable, match="ConnectionError"):
        RemoteKeys(f"http://127.0.0.1:{port}/jwks", timeout=2).keys()


def test_discovery_naming_another_issuer_is_refused(served: Provider) -> None:
    served.discovery_issuer = "https://attacker.example.test"
    with pytest.raises(ProviderKeysUnavailable, match="another issuer"):
        RemoteKeys.from_discovery(served.issuer)


@pytest.mark.parametrize(
    "url",
    ["http://idp.example.test/jwks", "ftp://127.0.0.1/jwks", "file:///etc/passwd", "/jwks"],
)
def test_only_https_or_loopback_http_is_fetched(url: str) -> None:
    with pytest.raises(UsageError, match="https only"):
        RemoteKeys(url)


def test_https_and_loopback_urls_are_accepted() -> None:
    for url in ("https://idp.example.test/jwks", "http://[::1]:8080/jwks", "http://localhost/j"):
        assert RemoteKeys(url).jwks_uri == url
