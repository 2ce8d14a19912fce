"""``make profile``: where a workload's time goes, by process and by function.

Runs one workload once per variant (no logging first, in this one Ray instance),
and for each prints the wall time, the CPU seconds of each kind of process
(:mod:`benchmarks.cpu_roles`) and what the variant added to no logging's, the
logger's writer memory per concurrent trial, and, with ``--py-spy``, the
functions the driver and the logger's writer process spent their CPU in
(py-spy samples them from outside; nothing in tune-wandb is instrumented).
Writes the same as Markdown to ``--output``.

Usage: ``python -m benchmarks.profile --workloads 32x1000,256x5 [--variants
none,ours_logger] [--py-spy] [--output PATH]``.
"""

from __future__ import annotations

import argparse
import collections
import functools
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from benchmarks.cpu_roles import ROLES, RoleProfile, profile_roles
from benchmarks.measure import writer_process
from benchmarks.session import bench_session
from benchmarks.targets import report as targets_report
from benchmarks.workloads import WORKLOADS, Workload, run_variant

#: py-spy's samples per second: enough for a profile, little enough for 2 CPUs.
RATE = 25


def _spy(pid: int, out: Path) -> subprocess.Popen[bytes]:
    py_spy = Path(sys.executable).with_name("py-spy")
    return subprocess.Popen(
        [
            *(str(py_spy), "record", "--pid", str(pid), "--rate", str(RATE)),
            *("--format", "raw", "--full-filenames", "--nonblocking", "--output", str(out)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


class _Spies:
    """py-spy on the driver at once, and on the logger's writer as soon as it starts."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.spies = [_spy(os.getpid(), folder / "driver.txt")]
        self._done = threading.Event()
        self._watch = threading.Thread(target=self._find_writer, daemon=True)
        self._watch.start()

    def _find_writer(self) -> None:
        while not self._done.wait(0.05):
            writer = writer_process(psutil.Process())
            if writer is not None:
                self.spies.append(_spy(writer.pid, self.folder / "writer.txt"))
                return

    def stop(self) -> None:
        self._done.set()
        self._watch.join()
        for spy in self.spies:
            spy.send_signal(2)  # SIGINT: py-spy writes what it sampled and exits
            spy.wait(60)


def read_samples(raw: Path) -> list[tuple[list[tuple[str, str]], int]]:
    """py-spy's raw samples: each stack as (function, file) frames, outermost first."""
    samples = []
    for line in raw.read_text().splitlines():
        stack, _, hits = line.rpartition(" ")
        if not stack or not hits.isdigit():
            continue
        frames = []
        for frame in stack.split(";")[1:]:  # [0] names the thread
            func, _, where = frame.partition(" (")
            frames.append((func, where.rsplit(":", 1)[0]))
        samples.append((frames, int(hits)))
    return samples


def package(path: str) -> str:
    """The package a file is in: ``ray/tune``, ``tune_wandb/_logger``, ``python: threading``."""
    parts = Path(path).parts
    for top in ("tune_wandb", "benchmarks"):
        if top in parts:
            rest = parts[parts.index(top) :]
            return "/".join(rest[:2]) if len(rest) > 2 else top
    if "site-packages" in parts:
        rest = parts[parts.index("site-packages") + 1 :]
        return "/".join(rest[:2]) if len(rest) > 2 else rest[0].removesuffix(".py")
    return f"python: {Path(path).stem}" if path else "?"


def by_package(raw: Path, count: int = 8) -> list[tuple[str, float]]:
    """Where the on-CPU samples were, by the package of their innermost frame."""
    own: collections.Counter[str] = collections.Counter()
    for frames, hits in read_samples(raw):
        own[package(frames[-1][1]) if frames else "?"] += hits
    total = max(sum(own.values()), 1)
    return [(name, hits / total) for name, hits in own.most_common(count)]


def top_functions(
    raw: Path, count: int = 10, within: tuple[str, ...] = ("tune_wandb", "wandb")
) -> list[tuple[str, float, float]]:
    """The functions of packages ``within`` most often on CPU: inclusive and self share.

    The first row is the packages' whole share (any of their frames in a stack).
    """
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = anywhere = 0
    for frames, hits in read_samples(raw):
        total += hits
        ours = {
            f"{func} ({package(path)})"
            for func, path in frames
            if package(path).split("/")[0] in within
        }
        anywhere += hits if ours else 0
        for frame in ours:
            inclusive[frame] += hits
        if frames:
            own[f"{frames[-1][0]} ({package(frames[-1][1])})"] += hits
    rows = [(f"all of {', '.join(within)}", anywhere / max(total, 1), 0.0)]
    return rows + [
        (frame, hits / max(total, 1), own[frame] / max(total, 1))
        for frame, hits in inclusive.most_common(count)
    ]


def _roles_table(names: list[str], profiles: list[RoleProfile]) -> str:
    head = ["CPU seconds", *names]
    if len(profiles) > 1:
        head += [f"{n} - {names[0]}" for n in names[1:]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for role in (*ROLES, "all but the profiler"):
        values = [
            p.cpu[role] if role in p.cpu else sum(p.cpu.values()) - p.cpu["profiler"]
            for p in profiles
        ]
        cells = [f"{v:.1f}" for v in values]
        cells += [f"{v - values[0]:+.1f}" for v in values[1:]]
        lines.append("| " + " | ".join([role, *cells]) + " |")
    walls = [f"{p.seconds:.1f}" for p in profiles]
    walls += [f"{p.seconds - profiles[0].seconds:+.1f}" for p in profiles[1:]]
    lines.append("| " + " | ".join(["wall seconds", *walls]) + " |")
    return "\n".join(lines)


def _memory_lines(names: list[str], profiles: list[RoleProfile]) -> list[str]:
    lines = []
    for name, prof in zip(names, profiles, strict=True):
        writer = prof.peak_mib["writer"] + prof.peak_mib["writer's wandb-core"]
        line = (
            f"- `{name}`: at most {prof.peak_trials} trials at once; driver peak "
            f"{prof.peak_mib['driver']:.0f} MiB"
        )
        if writer:
            line += (
                f"; the writer with its wandb service peaked at {writer:.0f} MiB, "
                f"{prof.writer_mib_per_trial():.1f} MiB per concurrent trial"
            )
        lines.append(line + ".")
    return lines


def _spy_section(name: str, folder: Path) -> list[str]:
    parts = []
    for process in ("driver", "writer"):
        raw = folder / f"{process}.txt"
        if not raw.is_file() or not raw.stat().st_size:
            continue
        lines = [
            f"`{name}`, the {process}'s on-CPU samples (py-spy, {RATE} a second): by the "
            "package they were in, and tune-wandb's and wandb's functions (inclusive: "
            "anywhere in the stack; self: innermost).",
            "",
            "| package | share |",
            "|---|---|",
        ]
        lines += [f"| `{pkg}` | {share:.0%} |" for pkg, share in by_package(raw)]
        lines += ["", "| function | inclusive | self |", "|---|---|---|"]
        lines += [f"| `{f}` | {inc:.0%} | {own:.0%} |" for f, inc, own in top_functions(raw)]
        parts.append("\n".join(lines))
    return parts


#: The writer's memory per concurrent trial at scale stays under this (MiB).
WRITER_MIB_PER_TRIAL = 8.0


def _profile(
    workload: Workload, variants: list[str], spy: bool, scratch: Path
) -> tuple[str, dict[str, float]]:
    """The workload's tables, and each variant's wall time."""
    profiles = []
    spies: list[str] = []
    for variant in variants:
        folder = scratch / f"{workload.name}-{variant}"
        folder.mkdir(parents=True)
        spies_running = _Spies(folder) if spy else None
        try:
            profiles.append(
                profile_roles(functools.partial(run_variant, variant, workload, folder / "runs"))
            )
        finally:
            if spies_running is not None:
                spies_running.stop()
        print(f"  {workload.name} {variant}: {profiles[-1].seconds:.1f} s", file=sys.stderr)
        if spy:
            spies += _spy_section(variant, folder)
    memory = _memory_lines(variants, profiles)
    if workload.concurrent and "ours_logger" in variants:
        per_trial = profiles[variants.index("ours_logger")].writer_mib_per_trial()
        met = "met" if per_trial < WRITER_MIB_PER_TRIAL else "**not met**"
        memory.append(
            f"- Target: the writer under {WRITER_MIB_PER_TRIAL:.0f} MiB per concurrent "
            f"trial: {per_trial:.1f} MiB, {met}."
        )
    parts = [f"## {workload.title}", _roles_table(variants, profiles), "\n".join(memory), *spies]
    return "\n\n".join(parts), {v: p.seconds for v, p in zip(variants, profiles, strict=True)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--workloads", default="32x1000,256x5")
    parser.add_argument("--variants", default="none,ours_logger")
    parser.add_argument("--py-spy", action="store_true", dest="spy")
    parser.add_argument("--output", default=str(Path(__file__).with_name("PROFILE.md")))
    args = parser.parse_args(argv)
    chosen = [WORKLOADS[w] for w in args.workloads.split(",")]
    variants = args.variants.split(",")
    started = time.monotonic()
    sections = []
    walls: dict[str, dict[str, float]] = {}
    with bench_session(chosen, variants, "tune-wandb-profile") as scratch:
        for workload in chosen:
            section, walls[workload.name] = _profile(workload, variants, args.spy, scratch)
            sections.append(section)
            print(section, flush=True)
    total = time.monotonic() - started
    import ray

    ray_version = ray.__version__
    report = "\n\n".join(
        [
            "# Profiles",
            f"`python -m benchmarks.profile` on {os.cpu_count()} CPUs, Ray {ray_version}; "
            f"one run per variant; took {total / 60:.1f} min. CPU seconds are summed over "
            "every process of a kind while it ran (sampled every 0.25 s).",
            *filter(None, [targets_report(walls, "One run of each variant")]),
            *sections,
        ]
    )
    Path(args.output).write_text(report + "\n")
    print(f"\nwrote {args.output} ({total / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
