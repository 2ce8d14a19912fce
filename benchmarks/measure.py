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
    #: Peak resident memory of the driver process alone, and of the logger's writer
    #: process with its wandb service (0 where there is none).
    driver_peak_mib: float = 0.0
    writer_peak_mib: float = 0.0


def _tree() -> list[psutil.Process]:
    me = psutil.Process()
    try:
        return [me, *me.children(recursive=True)]
    except psutil.Error:
        return [me]


#: What the logger's writer process has in its command line (its module).
WRITER_MODULE = "tune_wandb._logger._child"


def writer_process(driver: psutil.Process) -> psutil.Process | None:
    """The logger's writer process, a child of the driver, if it is running."""
    for child in driver.children():
        with contextlib.suppress(psutil.Error):
            if WRITER_MODULE in " ".join(child.cmdline()):
                return child
    return None


def _writer_tree(driver: psutil.Process) -> list[psutil.Process]:
    """The logger's writer process (a child of the driver) and its wandb service."""
    writer = writer_process(driver)
    if writer is None:
        return []
    with contextlib.suppress(psutil.Error):
        return [writer, *writer.children(recursive=True)]
    return [writer]


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
    peak = driver = writer = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, driver, writer
        while not done.is_set():
            procs = _tree()
            seen.update(p.pid for p in procs)
            peak = max(peak, _rss(procs))
            driver = max(driver, _rss(procs[:1]))
            writer = max(writer, _rss(_writer_tree(procs[0])))
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
        driver_peak_mib=driver / 2**20,
        writer_peak_mib=writer / 2**20,
    )
