"""CPU seconds and peak memory of each kind of process in a run's process tree.

A benchmark's wall time says how much a variant costs, not where: this sampler
walks the driver's process tree (Ray's processes, the trials, the logger's
writer, every wandb service and system monitor, the local W&B server) and sums,
per *role*, the CPU seconds each process used while it was seen. A process that
ends between two samples loses its CPU time since the last sample, so the
interval is short.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

import attrs
import psutil

from benchmarks.measure import WRITER_MODULE

#: The roles, in the order the tables show them.
ROLES = (
    "driver",
    "writer",
    "writer's wandb-core",
    "trials",
    "trials' wandb-core",
    "system monitors",
    "Ray's own",
    "W&B server",
    "profiler",
)


#: Ray's own processes that carry a ``ray::`` title, as trial workers do.
_RAY_ACTORS = ("ray::IDLE", "ray::DashboardAgent", "ray::RuntimeEnvAgent")


def _own_role(command: str) -> str | None:
    """The role a process has by itself, or ``None`` if it takes its parent's."""
    if "py-spy" in command:
        return "profiler"
    if WRITER_MODULE in command:
        return "writer"
    if "symon" in command:
        return "system monitors"
    if "wandb-core" in command:
        return None  # the writer's or a trial's service: known from its parent
    if command.startswith("ray::") and not command.startswith(_RAY_ACTORS):
        return "trials"
    if "openwandb" in command or "uvicorn" in command:
        return "W&B server"
    return "Ray's own"


@attrs.define
class RoleProfile:
    """CPU seconds per role, the peak RSS per role, and trials alive at once."""

    cpu: dict[str, float] = attrs.field(factory=lambda: dict.fromkeys(ROLES, 0.0))
    peak_mib: dict[str, float] = attrs.field(factory=lambda: dict.fromkeys(ROLES, 0.0))
    #: The most trial processes (Ray workers running a trial) seen at once.
    peak_trials: int = 0
    seconds: float = 0.0

    def writer_mib_per_trial(self) -> float:
        """The writer's peak (with its wandb service) over the most trials at once."""
        writer = self.peak_mib["writer"] + self.peak_mib["writer's wandb-core"]
        return writer / max(self.peak_trials, 1)


@attrs.frozen
class _Sample:
    """One process as one scan of ``/proc`` saw it."""

    key: tuple[int, float]
    role: str
    cpu: float
    rss_mib: float


def _scan(root: int) -> list[_Sample]:
    """Every process under ``root`` with its role (wandb-core takes its parent's): one
    pass over the system's processes, which is what a tree walk would cost per node."""
    info: dict[int, dict[str, Any]] = {}
    children: dict[int, list[int]] = {}
    attrs_ = ["pid", "ppid", "cmdline", "name", "cpu_times", "memory_info", "create_time"]
    for proc in psutil.process_iter(attrs_):
        info[proc.pid] = proc.info
        children.setdefault(proc.info["ppid"], []).append(proc.pid)
    found = []
    stack = [(root, "driver")]
    while stack:
        pid, role = stack.pop()
        got = info.get(pid)
        if got is None or got["cpu_times"] is None or got["memory_info"] is None:
            continue
        if pid != root:
            command = " ".join(got["cmdline"] or []) or str(got["name"])
            role = _own_role(command) or (
                "writer's wandb-core" if role == "writer" else "trials' wandb-core"
            )
        times = got["cpu_times"]
        found.append(
            _Sample(
                (pid, got["create_time"]),
                role,
                times.user + times.system,
                got["memory_info"].rss / 2**20,
            )
        )
        stack += [(child, role) for child in children.get(pid, [])]
    return found


def profile_roles(call: Callable[[], object], *, interval: float = 0.25) -> RoleProfile:
    """Run ``call``; meanwhile sample the process tree's CPU and memory by role.

    A process counts in the last role it had other than Ray's own: Ray's worker
    processes start as Ray's own and take a trial's title when they run one, and a
    process that is ending has no command line left to tell.
    """
    me = os.getpid()
    # Processes from before the call (Ray's, idle workers, a server) count only what
    # they use during it.
    before = {s.key: s.cpu for s in _scan(me)}
    last: dict[tuple[int, float], _Sample] = {}
    result = RoleProfile()
    done = threading.Event()
    own = 0.0  # CPU seconds of the sampling thread

    def sample() -> None:
        nonlocal own
        while not done.is_set():
            rss = dict.fromkeys(ROLES, 0.0)
            trials = 0
            for seen in _scan(me):
                held = last.get(seen.key)
                if held is not None and seen.role == "Ray's own" != held.role:
                    # An ending process loses its command line: it keeps its role.
                    seen = attrs.evolve(seen, role=held.role)
                last[seen.key] = seen
                rss[seen.role] += seen.rss_mib
                trials += seen.role == "trials"
            for role, mib in rss.items():
                result.peak_mib[role] = max(result.peak_mib[role], mib)
            result.peak_trials = max(result.peak_trials, trials)
            own = time.thread_time()
            done.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    try:
        call()
    finally:
        result.seconds = time.perf_counter() - start
        done.set()
        sampler.join()
    for key, seen in last.items():
        result.cpu[seen.role] += seen.cpu - before.get(key, 0.0)
    result.cpu["driver"] -= own
    result.cpu["profiler"] += own  # the sampler's scans are the profiler's, not the driver's
    return result
