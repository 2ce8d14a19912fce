"""Wall time, peak memory of the process tree, and processes started, around one call."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

import attrs
import psutil


@attrs.frozen
class Measurement:
    """One timed run of a variant."""

    seconds: float
    peak_rss_mib: float
    processes_per_trial: float


def _tree() -> list[psutil.Process]:
    me = psutil.Process()
    try:
        return [me, *me.children(recursive=True)]
    except psutil.Error:
        return [me]


def _rss(procs: list[psutil.Process]) -> int:
    total = 0
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            total += proc.memory_info().rss
    return total


def measure(call: Callable[[], object], *, trials: int, interval: float = 0.2) -> Measurement:
    """Run ``call``; sample the process tree every ``interval`` seconds meanwhile."""
    before = {p.pid for p in _tree()}
    seen: set[int] = set()
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            procs = _tree()
            seen.update(p.pid for p in procs)
            peak = max(peak, _rss(procs))
            done.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    try:
        call()
    finally:
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
    return Measurement(
        seconds=seconds,
        peak_rss_mib=peak / 2**20,
        processes_per_trial=len(seen - before) / max(trials, 1),
    )
