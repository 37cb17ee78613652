"""Short-lived shared state of the service: sessions, pending requests, codes, counters.

Values are JSON objects under string keys, each with a time to live. `MemoryStore`
serves one process; `RedisStore` lets several instances share one login flow.
`take` reads and deletes in one step, so a code or a request is used at most once
even when two instances race for it. The methods are coroutines: a request waiting on
Redis never holds up the others.
"""

from __future__ import annotations

import json
import threading
import time
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import redis.asyncio

__all__ = ["MemoryStore", "RedisStore", "Store", "open_store"]


class Store(Protocol):
    """Key-value state with expiry, shared by every instance of the service."""

    async def put(self, key: str, value: dict[str, Any], ttl: float) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds (replacing any earlier value)."""
        ...

    async def add(self, key: str, value: dict[str, Any], ttl: float) -> bool:
        """Store ``value`` only when ``key`` is free; True when it was stored."""
        ...

    async def get(self, key: str) -> dict[str, Any] | None:
        """The value under ``key``, or None when absent or expired."""
        ...

    async def take(self, key: str) -> dict[str, Any] | None:
        """Read and delete in one step: only one caller ever gets the value."""
        ...

    async def delete(self, key: str) -> None:
        """Forget ``key``."""
        ...

    async def count(self, key: str, window: float) -> int:
        """Add one to the counter ``key`` (started with a life of ``window`` seconds); its new value."""
        ...


class MemoryStore:
    """State in this process's memory (thread-safe)."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self._next_purge = 0.0

    def _live(self, key: str, now: float) -> Any:
        entry = self._values.get(key)
        if entry is None or entry[0] <= now:
            self._values.pop(key, None)
            return None
        return entry[1]

    def _purge(self, now: float) -> None:
        if now >= self._next_purge:
            self._values = {k: v for k, v in self._values.items() if v[0] > now}
            self._next_purge = now + 60

    async def put(self, key: str, value: dict[str, Any], ttl: float) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds (replacing any earlier value)."""
        now = time.monotonic()
        with self._lock:
            self._purge(now)
            self._values[key] = (now + ttl, json.dumps(value))

    async def add(self, key: str, value: dict[str, Any], ttl: float) -> bool:
        """Store ``value`` only when ``key`` is free; True when it was stored."""
        now = time.monotonic()
        with self._lock:
            if self._live(key, now) is not None:
                return False
            self._values[key] = (now + ttl, json.dumps(value))
            return True

    async def get(self, key: str) -> dict[str, Any] | None:
        """The value under ``key``, or None when absent or expired."""
        with self._lock:
            raw = self._live(key, time.monotonic())
        return None if raw is None else dict(json.loads(raw))

    async def take(self, key: str) -> dict[str, Any] | None:
        """Read and delete in one step: only one caller ever gets the value."""
        with self._lock:
            raw = self._live(key, time.monotonic())
            self._values.pop(key, None)
        return None if raw is None else dict(json.loads(raw))

    async def delete(self, key: str) -> None:
        """Forget ``key``."""
        with self._lock:
            self._values.pop(key, None)

    async def count(self, key: str, window: float) -> int:
        """Add one to the counter ``key`` (started with a life of ``window`` seconds); its new value."""
        now = time.monotonic()
        with self._lock:
            current = self._live(key, now)
            expires = self._values[key][0] if current is not None else now + window
            value = int(current or 0) + 1
            self._values[key] = (expires, value)
            return value


class RedisStore:
    """State in Redis, shared by every instance that names the same server."""

    def __init__(self, client: redis.asyncio.Redis, *, prefix: str = "eid:web:") -> None:
        self._client = client
        self._prefix = prefix

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "eid:web:", connections: int = 64) -> RedisStore:
        """A store on the Redis server at ``url`` (``redis://host:port/db``).

        At most ``connections`` at once; a request past them waits for a free one.
        """
        import redis.asyncio

        pool = redis.asyncio.BlockingConnectionPool.from_url(
            url, max_connections=connections, timeout=10
        )
        return cls(redis.asyncio.Redis(connection_pool=pool), prefix=prefix)

    @staticmethod
    def _ms(ttl: float) -> int:
        return max(1, int(ttl * 1000))

    @staticmethod
    def _load(raw: Any) -> dict[str, Any] | None:
        return None if raw is None else dict(json.loads(raw))

    async def put(self, key: str, value: dict[str, Any], ttl: float) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds (replacing any earlier value)."""
        await self._client.set(self._prefix + key, json.dumps(value), px=self._ms(ttl))

    async def add(self, key: str, value: dict[str, Any], ttl: float) -> bool:
        """Store ``value`` only when ``key`` is free; True when it was stored."""
        return bool(
            await self._client.set(self._prefix + key, json.dumps(value), px=self._ms(ttl), nx=True)
        )

    async def get(self, key: str) -> dict[str, Any] | None:
        """The value under ``key``, or None when absent or expired."""
        return self._load(await self._client.get(self._prefix + key))

    async def take(self, key: str) -> dict[str, Any] | None:
        """Read and delete in one step (GETDEL): only one caller ever gets the value."""
        return self._load(await self._client.getdel(self._prefix + key))

    async def delete(self, key: str) -> None:
        """Forget ``key``."""
        await self._client.delete(self._prefix + key)

    async def count(self, key: str, window: float) -> int:
        """Add one to the counter ``key`` (started with a life of ``window`` seconds); its new value."""
        name = self._prefix + key
        async with self._client.pipeline() as pipe:
            pipe.incr(name)
            pipe.pexpire(name, self._ms(window), nx=True)
            value, _ = await pipe.execute()
        return int(value)


def open_store(redis_url: str | None) -> Store:
    """Redis when a URL is configured, else this process's memory."""
    return RedisStore.from_url(redis_url) if redis_url else MemoryStore()
