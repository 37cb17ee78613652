"""The service's shared state, in memory and on a real Redis: one-time values stay one-time."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from eid.web.store import MemoryStore, RedisStore, Store

from .redis_server import redis_server


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    with redis_server(tmp_path) as url:
        yield RedisStore.from_url(url, prefix="test:")


def test_move_hands_the_value_over_in_one_step(store: Store) -> None:
    async def scenario() -> None:
        await store.put("code", {"who": "a"}, 60)
        assert await store.move("code", "access", 60) == {"who": "a"}
        assert await store.get("code") is None
        assert await store.get("access") == {"who": "a"}
        # Nothing to move: None, and the target keeps what it had.
        assert await store.move("code", "access", 60) is None
        assert await store.get("access") == {"who": "a"}

    asyncio.run(scenario())


def test_a_moved_value_lives_for_the_new_time(store: Store) -> None:
    async def scenario() -> None:
        await store.put("code", {"who": "a"}, 60)
        await store.move("code", "access", 0.2)
        await asyncio.sleep(0.4)
        assert await store.get("access") is None

    asyncio.run(scenario())


@pytest.mark.parametrize("how", ["take", "move"])
def test_sixteen_racers_for_one_value_make_one_winner(store: Store, how: str) -> None:
    async def scenario() -> list[object]:
        await store.put("code", {"who": "a"}, 60)
        if how == "take":
            racers = [store.take("code") for _ in range(16)]
        else:
            racers = [store.move("code", f"access-{i}", 60) for i in range(16)]
        return list(await asyncio.gather(*racers))

    won = [value for value in asyncio.run(scenario()) if value is not None]
    assert won == [{"who": "a"}]


def test_a_silent_redis_is_given_up_on_after_the_timeout() -> None:
    """A server that takes connections and never answers: each operation, its wait for a
    free connection included, ends with TimeoutError after the store's timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        port = listener.getsockname()[1]
        store = RedisStore.from_url(f"redis://127.0.0.1:{port}/0", connections=1, timeout=0.3)

        async def attempt() -> float:
            start = time.monotonic()
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(store.move("code", "access", 60), 10)
            return time.monotonic() - start

        async def scenario() -> list[float]:
            # Two at once (the second waits for the only connection), then one more.
            together = await asyncio.gather(attempt(), attempt())
            return [*together, await attempt()]

        for elapsed in asyncio.run(scenario()):
            assert 0.25 < elapsed < 3
