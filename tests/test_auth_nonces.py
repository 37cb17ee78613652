"""Challenge nonces in memory and in a real Redis: once, in time, and only once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from eid.auth.nonces import MemoryNonceStore, NonceRecord, NonceStore, RedisNonceStore
from eid.errors import NonceExpired, NonceReplayed, NonceUnknown

from .redis_server import redis_server


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> NonceStore:
    if request.param == "memory":
        return MemoryNonceStore()
    return RedisNonceStore.from_url(
        request.getfixturevalue("redis_url"), prefix=f"test:{request.node.name}:"
    )


def record(minutes: float = 5) -> NonceRecord:
    return NonceRecord("https://portal.example", datetime.now(UTC) + timedelta(minutes=minutes))


def test_a_nonce_is_used_once(store: NonceStore) -> None:
    store.issue("n1", record())
    assert store.consume("n1", now=datetime.now(UTC)).origin == "https://portal.example"
    with pytest.raises(NonceReplayed):
        store.consume("n1", now=datetime.now(UTC))


def test_unknown_and_expired(store: NonceStore) -> None:
    with pytest.raises(NonceUnknown):
        store.consume("never-issued", now=datetime.now(UTC))
    store.issue("n2", record())
    with pytest.raises(NonceExpired):
        store.consume("n2", now=datetime.now(UTC) + timedelta(minutes=6))
    with pytest.raises(NonceReplayed):  # an expired answer still used the nonce up
        store.consume("n2", now=datetime.now(UTC))


def test_issuing_the_same_nonce_twice_is_refused(store: NonceStore) -> None:
    store.issue("n3", record())
    with pytest.raises(NonceReplayed):
        store.issue("n3", record())


def test_sixteen_threads_race_for_one_nonce(store: NonceStore) -> None:
    store.issue("race", record())
    outcomes: list[str] = []
    barrier = threading.Barrier(16)

    def answer() -> None:
        barrier.wait()
        try:
            store.consume("race", now=datetime.now(UTC))
            outcomes.append("ok")
        except NonceReplayed:
            outcomes.append("replayed")

    threads = [threading.Thread(target=answer) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok"] + ["replayed"] * 15


def test_two_instances_share_nonces_through_redis(redis_url: str) -> None:
    first = RedisNonceStore.from_url(redis_url, prefix="shared:")
    second = RedisNonceStore.from_url(redis_url, prefix="shared:")
    first.issue("n4", record())
    assert second.consume("n4", now=datetime.now(UTC)).expires_at > datetime.now(UTC)
    with pytest.raises(NonceReplayed):
        first.consume("n4", now=datetime.now(UTC))


def test_redis_forgets_a_nonce_after_its_retention(redis_url: str) -> None:
    store = RedisNonceStore.from_url(
        redis_url, prefix="short:", retention=timedelta(milliseconds=1)
    )
    store.issue(
        "n5", NonceRecord("https://portal.example", datetime.now(UTC) + timedelta(milliseconds=50))
    )
    time.sleep(0.2)
    with pytest.raises(NonceUnknown):
        store.consume("n5", now=datetime.now(UTC))
