"""Challenge nonces: issued once, used once, within their time to live.

A store remembers each nonce until a while after it expires, so that a late or
repeated answer is told apart: `NonceExpired`, `NonceReplayed`, or `NonceUnknown`
for a nonce never issued (or long forgotten). Use `MemoryNonceStore` for one
process and `RedisNonceStore` when several instances share the work.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from eid.errors import NonceExpired, NonceReplayed, NonceUnknown

if TYPE_CHECKING:
    import redis

__all__ = ["MemoryNonceStore", "NonceRecord", "NonceStore", "RedisNonceStore"]

RETENTION = timedelta(hours=1)
"""How long a nonce is remembered after it expires (to report 'expired', not 'unknown')."""


@dataclass(frozen=True)
class NonceRecord:
    """What was recorded when a nonce was issued."""

    origin: str
    expires_at: datetime


class NonceStore(Protocol):
    """Where issued nonces wait for their one use."""

    def issue(self, nonce: str, record: NonceRecord) -> None:
        """Remember a newly issued nonce."""
        ...

    def consume(self, nonce: str, *, now: datetime) -> NonceRecord:
        """Mark ``nonce`` used and return its record; raise if unknown, used or expired."""
        ...


def _checked(record: NonceRecord, now: datetime) -> NonceRecord:
    if now > record.expires_at:
        raise NonceExpired(f"the challenge expired at {record.expires_at.isoformat()}")
    return record


class MemoryNonceStore:
    """A nonce store in this process's memory (thread-safe)."""

    def __init__(self, *, retention: timedelta = RETENTION) -> None:
        self._retention = retention
        self._entries: dict[str, tuple[NonceRecord, bool]] = {}
        self._lock = threading.Lock()
        self._next_purge = datetime.now(UTC)

    def issue(self, nonce: str, record: NonceRecord) -> None:
        """Remember a newly issued nonce."""
        with self._lock:
            self._purge(datetime.now(UTC))
            if nonce in self._entries:
                raise NonceReplayed("this nonce was already issued")
            self._entries[nonce] = (record, False)

    def consume(self, nonce: str, *, now: datetime) -> NonceRecord:
        """Mark ``nonce`` used and return its record; raise if unknown, used or expired."""
        with self._lock:
            entry = self._entries.get(nonce)
            if entry is None:
                raise NonceUnknown("this challenge was not issued here")
            record, used = entry
            if used:
                raise NonceReplayed("this challenge was already answered")
            self._entries[nonce] = (record, True)
        return _checked(record, now)

    def _purge(self, now: datetime) -> None:
        if now < self._next_purge:
            return
        horizon = now - self._retention
        self._entries = {n: e for n, e in self._entries.items() if e[0].expires_at > horizon}
        self._next_purge = now + timedelta(seconds=60)


# Atomically: read the entry, and mark it used unless it already was. Returns the entry
# as it was before ('u' prefix: already used), or nil when there is none.
_CONSUME = """
local value = redis.call('GET', KEYS[1])
if not value then return false end
if string.sub(value, 1, 1) == 'u' then return value end
redis.call('SET', KEYS[1], 'u' .. value, 'KEEPTTL')
return value
"""


class RedisNonceStore:
    """A nonce store in Redis, shared by every instance of a service."""

    def __init__(
        self, client: redis.Redis, *, prefix: str = "eid:nonce:", retention: timedelta = RETENTION
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._retention = retention
        self._consume = client.register_script(_CONSUME)

    @classmethod
    def from_url(
        cls, url: str, *, prefix: str = "eid:nonce:", retention: timedelta = RETENTION
    ) -> RedisNonceStore:
        """A store on the Redis server at ``url`` (``redis://host:port/db``, ``unix:///path``)."""
        import redis

        return cls(redis.Redis.from_url(url), prefix=prefix, retention=retention)

    def issue(self, nonce: str, record: NonceRecord) -> None:
        """Remember a newly issued nonce (until it expires, plus the retention time)."""
        ttl = record.expires_at - datetime.now(UTC) + self._retention
        value = f"n{record.expires_at.timestamp():.6f}|{record.origin}"
        if not self._client.set(
            self._prefix + nonce, value, nx=True, px=max(1, int(ttl / timedelta(milliseconds=1)))
        ):
            raise NonceReplayed("this nonce was already issued")

    def consume(self, nonce: str, *, now: datetime) -> NonceRecord:
        """Mark ``nonce`` used and return its record; raise if unknown, used or expired."""
        raw = self._consume(keys=[self._prefix + nonce])
        if raw is None:
            raise NonceUnknown("this challenge was not issued here")
        value = raw.decode() if isinstance(raw, bytes) else str(raw)
        if value.startswith("u"):
            raise NonceReplayed("this challenge was already answered")
        expires, _, origin = value[1:].partition("|")
        return _checked(NonceRecord(origin, datetime.fromtimestamp(float(expires), UTC)), now)
