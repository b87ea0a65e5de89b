"""The timer the benchmarks share: best of N alternating calls, wall and CPU time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

__all__ = ["best"]


def best(fns: list[Callable[[], Any]], repeats: int) -> list[tuple[float, float]]:
    """(wall, CPU) seconds, best of `repeats` alternating calls of each function.

    Each function is called once first, untimed (to compile); the calls then
    alternate so that a disturbance of the machine falls on all of them alike,
    and the least disturbed call of each counts.
    """
    for fn in fns:
        fn()  # compile
    walls: list[list[float]] = [[] for _ in fns]
    cpus: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for k, fn in enumerate(fns):
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            walls[k].append(time.perf_counter() - wall)
            cpus[k].append(time.process_time() - cpu)
    return [(min(w), min(c)) for w, c in zip(walls, cpus, strict=True)]
