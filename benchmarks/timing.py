"""Timing helpers: interleaved rounds, best-of, so two contenders see the same machine."""

from __future__ import annotations

import time
from collections.abc import Callable


def rate(
    function: Callable[[], object], count: int, clock: Callable[[], float] = time.perf_counter
) -> float:
    """Operations per second of ``count`` calls (``clock``: wall time, or process CPU time)."""
    start = clock()
    for _ in range(count):
        function()
    return count / (clock() - start)


def compare(
    contenders: dict[str, Callable[[], object]],
    *,
    count: int,
    rounds: int = 5,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
    """Best rate of each contender over ``rounds`` interleaved rounds of ``count`` calls.

    ``clock=time.process_time`` counts this process's CPU time only, which keeps the
    ratios steady on a machine other processes keep busy.
    """
    for function in contenders.values():
        function()  # warm up
    best = dict.fromkeys(contenders, 0.0)
    for _ in range(rounds):
        for name, function in contenders.items():
            best[name] = max(best[name], rate(function, count, clock))
    return best
