"""Timing helpers: interleaved rounds, best-of, so two contenders see the same machine."""

from __future__ import annotations

import time
from collections.abc import Callable


def rate(function: Callable[[], object], count: int) -> float:
    """Operations per second of ``count`` calls."""
    start = time.perf_counter()
    for _ in range(count):
        function()
    return count / (time.perf_counter() - start)


def compare(
    contenders: dict[str, Callable[[], object]], *, count: int, rounds: int = 5
) -> dict[str, float]:
    """Best rate of each contender over ``rounds`` interleaved rounds of ``count`` calls."""
    for function in contenders.values():
        function()  # warm up
    best = dict.fromkeys(contenders, 0.0)
    for _ in range(rounds):
        for name, function in contenders.items():
            best[name] = max(best[name], rate(function, count))
    return best
