"""`RemoteKeys` and `RemoteMetadata`: the provider's JWKS and SAML metadata fetched over HTTP
on loopback, cached, fetched again on rollover or when old, never used past validUntil.

A small HTTP server on 127.0.0.1 plays the provider: it serves the discovery document, the
JWKS and the signed SAML metadata of an `IdentityProvider` whose keys rotate, counts every
fetch, and can answer with another status, a redirect, a body too large or no JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from lxml import etree

from eid.errors import EidError, MetadataExpired, ProviderKeysUnavailable, UsageError
from eid.sso import KeySet, PortalRegistry, ProviderKey, RemoteKeys, RemoteMetadata
from eid.sso.id_token import import_id_token
from eid.sso.keystore import KeyKind, new_provider_key
from eid.sso.provider import IdentityProvider
from eid.sso.remote import MAX_DOCUMENT_SIZE, CacheRules
from eid.sso.saml_metadata import idp_from_metadata
from tests.sso_support import ec_key, login, minter, portal

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
    delay: float = 0.0  # seconds before each answer
    fetches: list[str] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    provider: Provider

    def do_GET(self) -> None:
        provider = self.provider
        provider.fetches.append(self.path)
        time.sleep(provider.delay)
        if self.path == "/.well-known/openid-configuration":
            issuer = provider.discovery_issuer or provider.issuer
            body = json.dumps({"issuer": issuer, "jwks_uri": provider.issuer + "/jwks"}).encode()
        elif self.path == "/jwks":
            body = provider.body or json.dumps(provider.idp.jwks()).encode()
        elif self.path == "/saml/metadata":
            body = provider.body or provider.idp.saml_metadata()
        else:
            body = b""
        self.send_response(200 if self.path.startswith("/.well-known") else provider.status)
        if provider.status in (301, 302):
            self.send_header("Location", provider.issuer + "/elsewhere")
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", provider.cache_control)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


def _certified(kind: KeyKind) -> ProviderKey:
    """A provider key with a self-signed certificate (SAML metadata publishes certificates)."""
    return ProviderKey.from_private_key(*new_provider_key(kind, NOW))


@pytest.fixture
def served() -> Iterator[Provider]:
    handler = type("Handler", (_Handler,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    issuer = f"http://127.0.0.1:{server.server_address[1]}"
    idp = IdentityProvider(
        issuer,
        KeySet(_certified("ec"), next=_certified("rsa")),
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


def test_callers_waiting_on_a_fetch_use_its_keys(served: Provider) -> None:
    """Imports that meet an unseen kid at once: one fetches, the others use what it fetched."""
    clock = Clock()
    keys = RemoteKeys(served.issuer + "/jwks", clock=clock)
    keys.keys()
    served.idp.rotate(ec_key("newer"))
    served.idp.rotate(None)
    token = served.idp.issue_id_token(login(), CLIENT)
    clock.now += dt.timedelta(seconds=61)
    served.delay = 0.5
    start = threading.Barrier(8)
    outcomes: list[tuple[str, str]] = []

    def one_import() -> None:
        start.wait()
        try:
            outcomes.append(("imported", _import(token, keys, served.issuer)))
        except EidError as error:
            outcomes.append(("refused", error.code))

    threads = [threading.Thread(target=one_import) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert [outcome for outcome, _ in outcomes] == ["imported"] * 8, outcomes
    assert served.fetches == ["/jwks", "/jwks"]


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
        (200, b'{"keys": [{"kty": "oct", "k": "AAAA"}]}', "public keys only"),
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
        assert RemoteKeys(url).url == url


# -- SAML metadata ---------------------------------------------------------------------------


def test_metadata_is_fetched_checked_and_cached(served: Provider) -> None:
    clock = Clock()
    signer = served.idp.keys.active.certificate
    remote = RemoteMetadata(served.issuer + "/saml/metadata", signer=signer, clock=clock)
    idp = remote.idp()
    assert idp.entity_id == served.issuer
    assert len(idp.certificates) == 2  # the active key and the published next one
    assert idp.valid_until == NOW + dt.timedelta(days=7)
    clock.now += dt.timedelta(seconds=299)
    assert remote.idp() is idp
    clock.now += dt.timedelta(seconds=1)
    assert remote.idp() is not idp
    assert served.fetches == ["/saml/metadata", "/saml/metadata"]


def test_the_portals_policy_for_the_provider_comes_with_its_metadata(served: Provider) -> None:
    url = served.issuer + "/saml/metadata"
    default = RemoteMetadata(url, clock=Clock()).idp()
    assert (default.allow_sha1, default.require_signed_assertion, default.allow_cbc) == (
        False,
        True,
        False,
    )
    policy = {"allow_sha1": True, "require_signed_assertion": False, "allow_cbc": True}
    relaxed = RemoteMetadata(url, clock=Clock(), **policy).idp()  # type: ignore[arg-type]
    assert (relaxed.allow_sha1, relaxed.require_signed_assertion, relaxed.allow_cbc) == (
        True,
        False,
        True,
    )


def test_metadata_is_not_kept_past_its_valid_until(served: Provider) -> None:
    served.cache_control = "max-age=99999999"
    clock = Clock()
    remote = RemoteMetadata(
        served.issuer + "/saml/metadata",
        clock=clock,
        cache=CacheRules(max_age=dt.timedelta(days=30)),
    )
    remote.idp()
    clock.now = NOW + dt.timedelta(days=7) - dt.timedelta(seconds=1)
    remote.idp()
    assert len(served.fetches) == 1
    clock.now += dt.timedelta(seconds=1)  # validUntil: fetched again, and what comes is expired
    with pytest.raises(ProviderKeysUnavailable, match="expired"):
        remote.idp()
    assert len(served.fetches) == 2


def test_metadata_signed_by_another_key_is_refused(served: Provider) -> None:
    other = _certified("ec").certificate  # the same kind of key, another key
    remote = RemoteMetadata(served.issuer + "/saml/metadata", signer=other, clock=Clock())
    with pytest.raises(ProviderKeysUnavailable, match="signature") as caught:
        remote.idp()
    assert caught.value.exit_code == 1


def test_metadata_errors_are_provider_keys_unavailable(served: Provider) -> None:
    served.body = b"<not-metadata/>"
    with pytest.raises(ProviderKeysUnavailable, match="EntityDescriptor"):
        RemoteMetadata(served.issuer + "/saml/metadata", clock=Clock()).idp()
    served.status, served.body = 404, None
    with pytest.raises(ProviderKeysUnavailable, match="HTTP 404"):
        RemoteMetadata(served.issuer + "/saml/metadata", clock=Clock()).idp()
    with pytest.raises(UsageError, match="https only"):
        RemoteMetadata("http://idp.example.test/saml/metadata")


def test_expired_metadata_is_refused_and_an_idp_stops_verifying_at_valid_until(
    served: Provider,
) -> None:
    metadata = served.idp.saml_metadata()
    end = NOW + dt.timedelta(days=7)
    idp = idp_from_metadata(metadata, at=end - dt.timedelta(seconds=1))
    with pytest.raises(MetadataExpired) as caught:
        idp_from_metadata(metadata, at=end)
    assert caught.value.code == "metadata_expired"
    with pytest.raises(MetadataExpired):
        idp.verify(etree.Element("Assertion"), end)


def test_the_earliest_valid_until_counts(served: Provider) -> None:
    root = etree.fromstring(served.idp.saml_metadata())
    descriptor = root.find("{urn:oasis:names:tc:SAML:2.0:metadata}IDPSSODescriptor")
    assert descriptor is not None
    descriptor.set("validUntil", "2026-06-02T12:00:00Z")
    idp = idp_from_metadata(etree.tostring(root), at=NOW)  # unsigned use: read as a local file
    assert idp.valid_until == NOW + dt.timedelta(days=1)
    descriptor.set("validUntil", "tomorrow")
    with pytest.raises(EidError) as caught:
        idp_from_metadata(etree.tostring(root), at=NOW)
    assert caught.value.code == "assertion_malformed"
