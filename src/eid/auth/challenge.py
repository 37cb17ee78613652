"""Challenge–response login: a portal issues a nonce, the card signs it, the portal verifies.

The card's answer is a Web eID token (`eid.auth.webeid`), so a portal verifies the
browser extension's tokens and `eid`'s own the same way. The `Authenticator` adds
what a portal must keep: each challenge is issued for the portal's origin, lives
five minutes by default, and is accepted once (`NonceStore`: memory, or Redis
for several instances).
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from eid.errors import OriginMismatch, UsageError
from eid.pki import RevocationSettings, TrustStore
from eid.tokens import Token

from . import webeid
from .nonces import MemoryNonceStore, NonceRecord, NonceStore
from .result import AuthResult
from .webeid_format import normalise_origin

__all__ = ["Authenticator", "Challenge", "respond"]


@dataclass(frozen=True)
class Challenge:
    """A nonce (256 random bits, as base64 text) issued for one origin, valid until ``expires_at``."""

    nonce: str
    origin: str
    expires_at: dt.datetime


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Authenticator:
    """The portal side of a login: issues challenges and verifies the answers."""

    def __init__(
        self,
        *,
        origin: str,
        trust: TrustStore,
        store: NonceStore | None = None,
        ttl: dt.timedelta = dt.timedelta(minutes=5),
        revocation: RevocationSettings | None = None,
        disallowed_policies: Iterable[str] = (),
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        if ttl <= dt.timedelta(0):
            raise UsageError("a challenge's time to live must be positive")
        self.origin = normalise_origin(origin)
        self.trust = trust
        self.store: NonceStore = store if store is not None else MemoryNonceStore()
        self.ttl = ttl
        self.revocation = revocation
        self.disallowed_policies = tuple(disallowed_policies)
        self._clock = clock

    def new_challenge(self) -> Challenge:
        """Issue a fresh challenge for this portal's origin."""
        nonce = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
        challenge = Challenge(nonce, self.origin, self._clock() + self.ttl)
        self.store.issue(nonce, NonceRecord(self.origin, challenge.expires_at))
        return challenge

    def verify(self, token: str | bytes | Mapping[str, Any], *, challenge: str) -> AuthResult:
        """Verify the answer to ``challenge``: the nonce once and in time, for this origin, then the token.

        The nonce is used up whatever the outcome, so an answer cannot be tried twice.
        """
        now = self._clock()
        record = self.store.consume(challenge, now=now)
        if record.origin != self.origin:
            raise OriginMismatch(f"the challenge was issued for {record.origin}, not {self.origin}")
        return webeid.validate(
            token,
            origin=self.origin,
            challenge=challenge,
            trust=self.trust,
            at=now,
            revocation=self.revocation,
            disallowed_policies=self.disallowed_policies,
            method="challenge_response",
        )


def respond(
    token: Token, challenge: Challenge, *, include_signing_certificate: bool = False
) -> str:
    """The card side: sign ``challenge`` with the authentication key (the PIN is asked once)."""
    return webeid.create_token(
        token,
        origin=challenge.origin,
        challenge=challenge.nonce,
        include_signing_certificate=include_signing_certificate,
    )
