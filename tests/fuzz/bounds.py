"""Bounded time and memory: a context manager for the properties that feed large inputs."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def within(seconds: float, mebibytes: int) -> Iterator[None]:
    """Assert that the block takes less than ``seconds`` and allocates less than ``mebibytes``.

    Memory is what Python allocates (tracemalloc), at its peak; the bounds are generous
    (a shared, busy machine) and catch what is quadratic or unbounded, not slowness.
    """
    tracemalloc.start()
    started = time.monotonic()
    try:
        yield
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < seconds, f"took {elapsed:.1f} s (bound {seconds} s)"
    assert peak < mebibytes << 20, f"peaked at {peak >> 20} MiB (bound {mebibytes} MiB)"
