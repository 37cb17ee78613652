"""The provider's keys fetched over HTTPS and cached, as a portal keeps them across key rollover.

`RemoteKeys` fetches the JWKS from the provider's ``jwks_uri`` (given, or found through
OpenID Connect discovery with the issuer checked, as OpenID Connect Discovery 1.0 section
4.3 asks), keeps it for as long as its ``Cache-Control: max-age`` says (within the bounds
of `CacheRules`), and fetches it again when a token names a ``kid`` it does not hold: a
provider publishes its next key before it signs with it, so a portal that cached the old
set still imports tokens signed by the new key. An unknown ``kid`` fetches at most once per
``min_refresh``, so tokens with made-up ``kid`` values cannot make the portal hammer the
provider.

`RemoteMetadata` does the same for a SAML identity provider's metadata: fetched, checked
(signed by a pinned certificate when one is given, not past its ``validUntil``), kept for
its ``Cache-Control`` max-age but never past ``validUntil``, then fetched again.

Only ``https`` URLs are fetched (``http`` only on loopback, for tests and development),
without redirects, with a timeout and a size limit. A failed fetch is
`ProviderKeysUnavailable`, and what is too old is never used in its place.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

import requests
import urllib3
from cryptography import x509

from eid.errors import AssertionKeyUnknown, EidError, ProviderKeysUnavailable, UsageError
from eid.sso.algorithms import Verifier
from eid.sso.jwks import VerificationKeys
from eid.sso.saml_import import SamlIdentityProvider
from eid.sso.saml_metadata import idp_from_metadata

__all__ = [
    "MAX_DOCUMENT_SIZE",
    "CacheRules",
    "RemoteKeys",
    "RemoteMetadata",
    "cache_lifetime",
    "discovered_jwks_uri",
    "is_loopback_host",
]

MAX_DOCUMENT_SIZE = 1 << 20
"""The largest JWKS, discovery document or metadata fetched (bytes)."""

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d{1,10})\"?\s*(?:,|$)", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|,)\s*(?:no-cache|no-store)\s*(?:,|$)", re.IGNORECASE)


_T = TypeVar("_T")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` is ``localhost`` or a loopback address: where plain http stays local."""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _fetchable(url: str) -> str:
    """``url`` when it may be fetched: https, or http to a loopback host."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname and is_loopback_host(parts.hostname):
        return url
    raise UsageError(f"{url!r}: the provider's keys are fetched over https only")


@dataclass(frozen=True)
class CacheRules:
    """How long a fetched document is kept: its ``Cache-Control`` max-age within bounds.

    ``min_refresh`` is also the least time between two fetches; ``default_age`` applies
    without a max-age; ``max_age`` bounds any.
    """

    min_refresh: dt.timedelta = dt.timedelta(seconds=60)
    default_age: dt.timedelta = dt.timedelta(hours=1)
    max_age: dt.timedelta = dt.timedelta(hours=24)


class _Remote(Generic[_T]):
    """A document at ``url``, read on each fetch and kept by ``cache``; fetched again when old."""

    def __init__(
        self,
        url: str,
        *,
        cache: CacheRules = CacheRules(),
        timeout: float = 10.0,
        clock: Callable[[], dt.datetime] = _now,
    ) -> None:
        """Fetch lazily, on first use; a fetch waits at most ``timeout`` seconds."""
        self.url = _fetchable(url)
        self._cache, self._timeout, self._clock = cache, timeout, clock
        self._lock = threading.Lock()
        self._value: _T | None = None
        self._fetched_at: dt.datetime | None = None
        self._expires_at: dt.datetime | None = None

    def _read(self, body: bytes, now: dt.datetime) -> tuple[_T, dt.datetime | None]:
        """What ``body`` holds, and the end of its validity (None: no end of its own)."""
        raise NotImplementedError

    def _current(self) -> _T:
        with self._lock:
            if self._value is None or self._expires_at is None or self._clock() >= self._expires_at:
                return self._fetch()
            return self._value

    def _fetch(self) -> _T:
        """Fetch and read the document (the caller holds the lock)."""
        body, cache_control = _get(self.url, self._timeout)
        now = self._clock()
        try:
            value, valid_until = self._read(body, now)
        except EidError as error:
            raise ProviderKeysUnavailable(f"{self.url}: {error.message}") from None
        rules = self._cache
        lifetime = cache_lifetime(
            cache_control, least=rules.min_refresh, default=rules.default_age, most=rules.max_age
        )
        expires_at = now + lifetime
        self._value, self._fetched_at = value, now
        self._expires_at = min(expires_at, valid_until) if valid_until else expires_at
        return value


class RemoteKeys(_Remote[VerificationKeys]):
    """The provider's JWKS from its URL, cached, and fetched again for an unknown ``kid``.

    Pass it as ``keys`` to `eid.sso.import_id_token`. The JWKS is kept as `CacheRules`
    say; once it is older, the next use fetches it again, and a failed fetch fails the
    import. ``clock`` gives the time.
    """

    @classmethod
    def from_discovery(cls, issuer: str, **options: Any) -> RemoteKeys:
        """The keys named by ``issuer``'s ``/.well-known/openid-configuration``.

        The document's ``issuer`` must be ``issuer`` exactly (OpenID Connect Discovery 4.3),
        and its ``jwks_uri`` is fetched under the same rules (``options`` as for the class).
        """
        url = _fetchable(issuer.rstrip("/") + "/.well-known/openid-configuration")
        body, _ = _get(url, float(options.get("timeout", 10.0)))
        return cls(discovered_jwks_uri(body, issuer=issuer, source=url), **options)

    def _read(self, body: bytes, now: dt.datetime) -> tuple[VerificationKeys, None]:
        return VerificationKeys.from_jwks(body), None

    def keys(self) -> VerificationKeys:
        """The cached keys, fetched first when there are none yet or they are too old."""
        return self._current()

    def select(self, kid: str | None, algorithm: str) -> Verifier:
        """`VerificationKeys.select` on the cached keys; an unknown ``kid`` fetches them again.

        A second fetch within ``min_refresh`` of the last one is not made: the ``kid`` is
        then `AssertionKeyUnknown`.
        """
        keys = self._current()
        try:
            return keys.select(kid, algorithm)
        except AssertionKeyUnknown:
            with self._lock:
                if self._value is not keys and self._value is not None:
                    keys = self._value  # another caller fetched them meanwhile
                elif self._fetched_at is not None and (
                    self._clock() < self._fetched_at + self._cache.min_refresh
                ):
                    raise
                else:
                    keys = self._fetch()
            return keys.select(kid, algorithm)


class RemoteMetadata(_Remote[SamlIdentityProvider]):
    """A SAML identity provider from the metadata at ``url``, cached and fetched again when old.

    Pass ``remote.idp()`` as ``idp`` to `eid.sso.import_saml_response`. ``signer`` pins the
    certificate the metadata must be signed with (recommended whenever the metadata comes
    over a network); ``allow_sha1``, ``require_signed_assertion`` and ``allow_cbc`` as in
    `idp_from_metadata`. The metadata is kept as `CacheRules` say, never past its
    ``validUntil``.
    """

    def __init__(
        self,
        url: str,
        *,
        signer: x509.Certificate | None = None,
        allow_sha1: bool = False,
        require_signed_assertion: bool = True,
        allow_cbc: bool = False,
        cache: CacheRules = CacheRules(),
        timeout: float = 10.0,
        clock: Callable[[], dt.datetime] = _now,
    ) -> None:
        """Fetch lazily: the first `idp` fetches."""
        super().__init__(url, cache=cache, timeout=timeout, clock=clock)
        self._signer = signer
        self._policy = {
            "allow_sha1": allow_sha1,
            "require_signed_assertion": require_signed_assertion,
            "allow_cbc": allow_cbc,
        }

    def _read(
        self, body: bytes, now: dt.datetime
    ) -> tuple[SamlIdentityProvider, dt.datetime | None]:
        idp = idp_from_metadata(body, signer=self._signer, at=now, **self._policy)
        return idp, idp.valid_until

    def idp(self) -> SamlIdentityProvider:
        """The identity provider of the cached metadata, fetched first when it is too old."""
        return self._current()


def discovered_jwks_uri(body: bytes, *, issuer: str, source: str) -> str:
    """The ``jwks_uri`` of the discovery document ``body``, which must name ``issuer`` exactly.

    `ProviderKeysUnavailable` (naming ``source``) for anything else.
    """
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise ProviderKeysUnavailable(f"{source}: the discovery document is not JSON") from None
    if not isinstance(document, dict) or document.get("issuer") != issuer:
        raise ProviderKeysUnavailable(f"{source}: the discovery document names another issuer")
    jwks_uri = document.get("jwks_uri")
    if not isinstance(jwks_uri, str):
        raise ProviderKeysUnavailable(f"{source}: the discovery document has no jwks_uri")
    return jwks_uri


def cache_lifetime(
    cache_control: str, *, least: dt.timedelta, default: dt.timedelta, most: dt.timedelta
) -> dt.timedelta:
    """How long to keep an answer with this ``Cache-Control``: its max-age within the bounds.

    ``no-cache``/``no-store`` keep it ``least``; no max-age keeps it ``default``.
    """
    if _NO_CACHE.search(cache_control):
        return least
    found = _MAX_AGE.search(cache_control)
    age = dt.timedelta(seconds=int(found.group(1))) if found else default
    return max(least, min(age, most))


def _get(url: str, timeout: float) -> tuple[bytes, str]:
    """The body and Cache-Control of a GET of ``url``; `ProviderKeysUnavailable` otherwise."""
    try:
        with requests.get(url, timeout=timeout, allow_redirects=False, stream=True) as answer:
            if answer.status_code != 200:
                raise ProviderKeysUnavailable(f"{url}: HTTP {answer.status_code}")
            body = answer.raw.read(MAX_DOCUMENT_SIZE + 1, decode_content=True)
            cache_control = answer.headers.get("Cache-Control", "")
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as error:
        raise ProviderKeysUnavailable(f"{url}: {type(error).__name__}") from None
    if len(body) > MAX_DOCUMENT_SIZE:
        raise ProviderKeysUnavailable(f"{url}: larger than {MAX_DOCUMENT_SIZE} bytes")
    return body, cache_control
