"""The provider's keys fetched over HTTPS and cached, as a portal keeps them across key rollover.

`RemoteMetadata` does the same for a SAML identity provider's metadata: fetched, checked
(signed by a pinned certificate when one is given, not past its ``validUntil``), kept for
its ``Cache-Control`` max-age but never past ``validUntil``, then fetched again. A provider
publishes its next key in its metadata before it signs with it, so a portal that refreshes
in time follows a rollover.

`RemoteKeys` fetches the JWKS from the provider's ``jwks_uri`` (given, or found through
OpenID Connect discovery with the issuer checked, as OpenID Connect Discovery 1.0 section
4.3 asks), keeps it for as long as its ``Cache-Control: max-age`` says (within bounds), and
fetches it again when a token names a ``kid`` it does not hold: a provider publishes its
next key before it signs with it, so a portal that cached the old set still imports tokens
signed by the new key. An unknown ``kid`` fetches at most once per ``min_refresh``, so
tokens with made-up ``kid`` values cannot make the portal hammer the provider. Only
``https`` URLs are fetched (``http`` only on loopback, for tests and development), without
redirects, with a timeout and a size limit; a failure is `ProviderKeysUnavailable`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from cryptography import x509

from eid.errors import (
    AssertionKeyUnknown,
    EidError,
    MalformedInput,
    ProviderKeysUnavailable,
    UsageError,
)
from eid.sso.algorithms import Verifier
from eid.sso.jwks import VerificationKeys
from eid.sso.saml_import import SamlIdentityProvider
from eid.sso.saml_metadata import idp_from_metadata

__all__ = [
    "MAX_DOCUMENT_SIZE",
    "RemoteKeys",
    "RemoteMetadata",
    "cache_lifetime",
    "discovered_jwks_uri",
]

MAX_DOCUMENT_SIZE = 1 << 20
"""The largest JWKS or discovery document fetched (bytes)."""

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d{1,10})\"?\s*(?:,|$)", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|,)\s*(?:no-cache|no-store)\s*(?:,|$)", re.IGNORECASE)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _fetchable(url: str) -> str:
    """``url`` when it may be fetched: https, or http to a loopback host."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname:
        host = parts.hostname
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if loopback:
            return url
    raise UsageError(f"{url!r}: the provider's keys are fetched over https only")


class RemoteKeys:
    """The provider's JWKS from ``jwks_uri``, cached, and fetched again for an unknown ``kid``.

    Pass it as ``keys`` to `eid.sso.import_id_token`. ``min_refresh`` is the least time
    between two fetches; the JWKS is kept for its ``Cache-Control`` max-age, between
    ``min_refresh`` and ``max_age`` (``default_age`` without one); once it is older, the
    next use fetches it again, and a failed fetch fails the import (stale keys are not used).
    A fetch waits at most ``timeout`` seconds; ``clock`` gives the time.
    """

    def __init__(
        self,
        jwks_uri: str,
        *,
        min_refresh: dt.timedelta = dt.timedelta(seconds=60),
        default_age: dt.timedelta = dt.timedelta(hours=1),
        max_age: dt.timedelta = dt.timedelta(hours=24),
        timeout: float = 10.0,
        clock: Callable[[], dt.datetime] = _now,
    ) -> None:
        """Fetch lazily: the first `select` (or `keys`) fetches."""
        self.jwks_uri = _fetchable(jwks_uri)
        self._min_refresh, self._default_age, self._max_age = min_refresh, default_age, max_age
        self._timeout, self._clock = timeout, clock
        self._lock = threading.Lock()
        self._keys: VerificationKeys | None = None
        self._fetched_at: dt.datetime | None = None
        self._expires_at: dt.datetime | None = None

    @classmethod
    def from_discovery(cls, issuer: str, **options: Any) -> RemoteKeys:
        """The keys named by ``issuer``'s ``/.well-known/openid-configuration``.

        The document's ``issuer`` must be ``issuer`` exactly (OpenID Connect Discovery 4.3),
        and its ``jwks_uri`` is fetched under the same rules.
        """
        url = _fetchable(issuer.rstrip("/") + "/.well-known/openid-configuration")
        body, _ = _get(url, float(options.get("timeout", 10.0)))
        jwks_uri = discovered_jwks_uri(body, issuer=issuer, source=url)
        return cls(jwks_uri, **options)

    def keys(self) -> VerificationKeys:
        """The cached keys, fetched first when there are none yet or they are too old."""
        with self._lock:
            if self._keys is None or self._expires_at is None or self._clock() >= self._expires_at:
                return self._refresh()
            return self._keys

    def select(self, kid: str | None, algorithm: str) -> Verifier:
        """`VerificationKeys.select` on the cached keys; an unknown ``kid`` fetches them again.

        A second fetch within ``min_refresh`` of the last one is not made: the ``kid`` is
        then `AssertionKeyUnknown`.
        """
        keys = self.keys()
        try:
            return keys.select(kid, algorithm)
        except AssertionKeyUnknown:
            with self._lock:
                if self._keys is not keys and self._keys is not None:
                    keys = self._keys  # another caller fetched them meanwhile
                elif self._fetched_at is not None and (
                    self._clock() < self._fetched_at + self._min_refresh
                ):
                    raise
                else:
                    keys = self._refresh()
            return keys.select(kid, algorithm)

    def _refresh(self) -> VerificationKeys:
        body, cache_control = _get(self.jwks_uri, self._timeout)
        try:
            keys = VerificationKeys.from_jwks(body)
        except MalformedInput as error:
            raise ProviderKeysUnavailable(f"{self.jwks_uri}: {error.message}") from None
        now = self._clock()
        self._keys, self._fetched_at = keys, now
        self._expires_at = now + cache_lifetime(
            cache_control, least=self._min_refresh, default=self._default_age, most=self._max_age
        )
        return keys


class RemoteMetadata:
    """A SAML identity provider from the metadata at ``url``, cached and fetched again when old.

    Pass ``remote.idp()`` as ``idp`` to `eid.sso.import_saml_response`. ``signer`` pins the
    certificate the metadata must be signed with (recommended whenever the metadata comes
    over a network); ``allow_sha1`` as in `idp_from_metadata`. The metadata is kept for its
    ``Cache-Control`` max-age between ``min_refresh`` and ``max_age`` (``default_age``
    without one), never past its ``validUntil``; a failed fetch of old metadata fails (it is
    not used stale).
    """

    def __init__(
        self,
        url: str,
        *,
        signer: x509.Certificate | None = None,
        allow_sha1: bool = False,
        min_refresh: dt.timedelta = dt.timedelta(seconds=60),
        default_age: dt.timedelta = dt.timedelta(hours=1),
        max_age: dt.timedelta = dt.timedelta(hours=24),
        timeout: float = 10.0,
        clock: Callable[[], dt.datetime] = _now,
    ) -> None:
        """Fetch lazily: the first `idp` fetches."""
        self.url = _fetchable(url)
        self._signer, self._allow_sha1 = signer, allow_sha1
        self._min_refresh, self._default_age, self._max_age = min_refresh, default_age, max_age
        self._timeout, self._clock = timeout, clock
        self._lock = threading.Lock()
        self._idp: SamlIdentityProvider | None = None
        self._expires_at: dt.datetime | None = None

    def idp(self) -> SamlIdentityProvider:
        """The identity provider of the cached metadata, fetched first when it is too old."""
        with self._lock:
            if self._idp is None or self._expires_at is None or self._clock() >= self._expires_at:
                self._idp = self._refresh()
            return self._idp

    def _refresh(self) -> SamlIdentityProvider:
        body, cache_control = _get(self.url, self._timeout)
        now = self._clock()
        try:
            idp = idp_from_metadata(body, signer=self._signer, allow_sha1=self._allow_sha1, at=now)
        except EidError as error:
            raise ProviderKeysUnavailable(f"{self.url}: {error.message}") from None
        lifetime = cache_lifetime(
            cache_control, least=self._min_refresh, default=self._default_age, most=self._max_age
        )
        self._expires_at = min(now + lifetime, idp.valid_until or now + lifetime)
        return idp


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
