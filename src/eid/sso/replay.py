"""One-time use of imported assertions: each ID (SAML ``ID``, JWT ``jti``) is accepted once.

A replay store remembers an identifier until the assertion it came with expires (after
that the time-window check refuses it anyway). `MemoryReplayStore` serves one process;
`RedisReplayStore` several instances (``SET NX PX`` is atomic), as `eid.auth.nonces` does
for challenges.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from eid.errors import AssertionReplayed

if TYPE_CHECKING:
    import redis

__all__ = ["MemoryReplayStore", "RedisReplayStore", "ReplayStore"]

_MIN_TTL = timedelta(seconds=1)
_PURGE_INTERVAL = timedelta(seconds=60)


class ReplayStore(Protocol):
    """Where identifiers of imported assertions are remembered until they expire."""

    def use(self, identifier: str, *, expires_at: datetime, now: datetime) -> None:
        """Record ``identifier`` as used; `AssertionReplayed` if it already was."""
        ...


def _replayed() -> AssertionReplayed:
    return AssertionReplayed("this assertion was already imported once (replay)")


class MemoryReplayStore:
    """A replay store in this process's memory (thread-safe)."""

    def __init__(self) -> None:
        """Start empty."""
        self._seen: dict[str, datetime] = {}
        self._lock = threading.Lock()
        self._next_purge: datetime | None = None

    def use(self, identifier: str, *, expires_at: datetime, now: datetime) -> None:
        """Record ``identifier`` as used; `AssertionReplayed` if it already was."""
        kept_until = now + _MIN_TTL
        if expires_at > kept_until:  # one comparison: max() of two datetimes costs twice as much
            kept_until = expires_at
        with self._lock:
            if self._next_purge is None or now >= self._next_purge:
                self._seen = {k: v for k, v in self._seen.items() if v > now}
                self._next_purge = now + _PURGE_INTERVAL
            if identifier in self._seen:
                raise _replayed()
            self._seen[identifier] = kept_until


class RedisReplayStore:
    """A replay store in Redis, shared by every instance of a portal or service."""

    def __init__(self, client: redis.Redis, *, prefix: str = "eid:replay:") -> None:
        """Use ``client``; keys are ``prefix`` + identifier."""
        self._client = client
        self._prefix = prefix

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "eid:replay:") -> RedisReplayStore:
        """A store on the Redis server at ``url`` (``redis://host:port/db``, ``unix:///path``)."""
        import redis

        return cls(redis.Redis.from_url(url), prefix=prefix)

    def use(self, identifier: str, *, expires_at: datetime, now: datetime) -> None:
        """Record ``identifier`` as used; `AssertionReplayed` if it already was."""
        ttl = max(expires_at - now, _MIN_TTL)
        key = self._prefix + identifier
        if not self._client.set(key, b"1", nx=True, px=int(ttl / timedelta(milliseconds=1))):
            raise _replayed()
