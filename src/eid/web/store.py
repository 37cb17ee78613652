"""Short-lived shared state of the service: sessions, pending requests, codes, counters.

Values are JSON objects under string keys, each with a time to live. `MemoryStore`
serves one process; `RedisStore` lets several instances share one login flow.
`take` reads and deletes in one step, so a code or a request is used at most once
even when two instances race for it; `move` does so and keeps the value under a new
key in the same step (Redis: one script, one round trip). The methods are coroutines:
a request waiting on Redis never holds up the others.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import TYPE_CHECKING, Any, Protocol

import orjson

if TYPE_CHECKING:
    import redis.asyncio

__all__ = ["MemoryStore", "RedisStore", "Store", "open_store"]


def _dump(value: dict[str, Any]) -> bytes:
    return orjson.dumps(value)


def _load(raw: bytes | str | None) -> dict[str, Any] | None:
    return None if raw is None else dict(orjson.loads(raw))


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

    async def move(self, key: str, to: str, ttl: float) -> dict[str, Any] | None:
        """Take the value under ``key`` and keep it under ``to`` for ``ttl`` seconds, in one step.

        The value, or None (and ``to`` left alone) when ``key`` held none: like `take`,
        only one caller ever gets it.
        """
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
            self._values[key] = (now + ttl, _dump(value))

    async def add(self, key: str, value: dict[str, Any], ttl: float) -> bool:
        """Store ``value`` only when ``key`` is free; True when it was stored."""
        now = time.monotonic()
        with self._lock:
            if self._live(key, now) is not None:
                return False
            self._values[key] = (now + ttl, _dump(value))
            return True

    async def get(self, key: str) -> dict[str, Any] | None:
        """The value under ``key``, or None when absent or expired."""
        with self._lock:
            raw = self._live(key, time.monotonic())
        return _load(raw)

    async def take(self, key: str) -> dict[str, Any] | None:
        """Read and delete in one step: only one caller ever gets the value."""
        with self._lock:
            raw = self._live(key, time.monotonic())
            self._values.pop(key, None)
        return _load(raw)

    async def move(self, key: str, to: str, ttl: float) -> dict[str, Any] | None:
        """Take the value under ``key`` and keep it under ``to`` for ``ttl`` seconds, in one step."""
        now = time.monotonic()
        with self._lock:
            raw = self._live(key, now)
            if raw is not None:
                del self._values[key]
                self._values[to] = (now + ttl, raw)
        return _load(raw)

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


_MOVE = """
local value = redis.call('GETDEL', KEYS[1])
if value then redis.call('SET', KEYS[2], value, 'PX', ARGV[1]) end
return value
"""


class RedisStore:
    """State in Redis, shared by every instance that names the same server.

    At most ``connections`` commands are in flight at once (a request past them waits for
    a free slot); each takes a connection from the client's pool. An operation, the wait
    for its slot included, that has not finished after ``timeout`` seconds raises
    `TimeoutError` (its connection is closed, not reused).
    """

    def __init__(
        self,
        client: redis.asyncio.Redis,
        *,
        prefix: str = "eid:web:",
        connections: int = 64,
        timeout: float = 5.0,
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._slots = asyncio.Semaphore(connections)
        self._timeout = timeout

    @classmethod
    def from_url(
        cls, url: str, *, prefix: str = "eid:web:", connections: int = 64, timeout: float = 5.0
    ) -> RedisStore:
        """A store on the Redis server at ``url`` (``redis://host:port/db``).

        The store's own ``timeout`` bounds each operation, so the connections get no socket
        timeout of their own: with one, redis-py runs every send as a task of its own
        (``asyncio.wait_for``), ~10 us a command.
        """
        import redis.asyncio

        pool = redis.asyncio.ConnectionPool.from_url(
            url, max_connections=connections, socket_timeout=None
        )
        client = redis.asyncio.Redis(connection_pool=pool)
        return cls(client, prefix=prefix, connections=connections, timeout=timeout)

    @staticmethod
    def _ms(ttl: float) -> int:
        return max(1, int(ttl * 1000))

    async def put(self, key: str, value: dict[str, Any], ttl: float) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds (replacing any earlier value)."""
        async with asyncio.timeout(self._timeout), self._slots:
            await self._client.set(self._prefix + key, _dump(value), px=self._ms(ttl))

    async def add(self, key: str, value: dict[str, Any], ttl: float) -> bool:
        """Store ``value`` only when ``key`` is free; True when it was stored."""
        name = self._prefix + key
        async with asyncio.timeout(self._timeout), self._slots:
            return bool(await self._client.set(name, _dump(value), px=self._ms(ttl), nx=True))

    async def get(self, key: str) -> dict[str, Any] | None:
        """The value under ``key``, or None when absent or expired."""
        async with asyncio.timeout(self._timeout), self._slots:
            return _load(await self._client.get(self._prefix + key))

    async def take(self, key: str) -> dict[str, Any] | None:
        """Read and delete in one step (GETDEL): only one caller ever gets the value."""
        async with asyncio.timeout(self._timeout), self._slots:
            return _load(await self._client.getdel(self._prefix + key))

    async def move(self, key: str, to: str, ttl: float) -> dict[str, Any] | None:
        """Take the value under ``key`` and keep it under ``to`` for ``ttl`` seconds (one script)."""
        source, target = self._prefix + key, self._prefix + to
        async with asyncio.timeout(self._timeout), self._slots:
            # EVAL rather than redis-py's Script (EVALSHA, then EVAL after a NOSCRIPT): the
            # server keeps the compiled script either way, and the wrapper costs ~3 us a call.
            raw = await self._client.eval(_MOVE, 2, source, target, self._ms(ttl))
        return _load(raw)

    async def delete(self, key: str) -> None:
        """Forget ``key``."""
        async with asyncio.timeout(self._timeout), self._slots:
            await self._client.delete(self._prefix + key)

    async def count(self, key: str, window: float) -> int:
        """Add one to the counter ``key`` (started with a life of ``window`` seconds); its new value."""
        name = self._prefix + key
        async with asyncio.timeout(self._timeout), self._slots, self._client.pipeline() as pipe:
            pipe.incr(name)
            pipe.pexpire(name, self._ms(window), nx=True)
            value, _ = await pipe.execute()
        return int(value)


def open_store(redis_url: str | None) -> Store:
    """Redis when a URL is configured, else this process's memory."""
    return RedisStore.from_url(redis_url) if redis_url else MemoryStore()
