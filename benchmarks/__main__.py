"""``make bench``: what W&B logging costs a Tune experiment, ours against Ray's.

Runs every workload in this one process (one Ray instance), interleaving the
variants and repeating each round, then prints the median wall time, the
ratio to no logging (``ours_class`` against ``none_class``, the same class
Trainable without W&B; every other variant against the function ``none``), the
peak resident memory of the whole process tree, of the driver alone and of the
logger's writer process with its wandb service, and how many processes each
trial started. Writes the same tables as Markdown to ``benchmarks/RESULTS.md``,
opening with the targets (:mod:`benchmarks.targets`): met or not in this run.

Usage: ``python -m benchmarks [--repeats N] [--profile quick|full] [--workloads a,b]
[--variants a,b]``.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import time
from pathlib import Path

from benchmarks.measure import Measurement, measure
from benchmarks.session import bench_session
from benchmarks.targets import report as targets_report
from benchmarks.workloads import (
    PROFILES,
    VARIANTS,
    WORKLOADS,
    Workload,
    is_special,
    run_variant,
)


def _row(name: str, samples: list[Measurement], base: float) -> list[str]:
    wall = statistics.median(m.seconds for m in samples)
    rss = max(m.peak_rss_mib for m in samples)
    procs = statistics.median(m.processes_per_trial for m in samples)
    driver = max(m.driver_peak_mib for m in samples)
    writer = max(m.writer_peak_mib for m in samples)
    return [
        name,
        f"{wall:.2f}",
        f"{wall / base:.2f}x",
        f"{rss:.0f}",
        f"{driver:.0f}",
        f"{writer:.0f}" if writer else "-",
        f"{procs:.2f}",
    ]


def _baseline(variant: str) -> str:
    """What ``variant`` is compared with: no logging, in the same kind of trainable."""
    return "none_class" if variant.endswith("_class") else "none"


def _table(rows: list[list[str]]) -> str:
    head = [
        "variant",
        "median s",
        "vs no logging",
        "peak RSS MiB",
        "driver MiB",
        "writer MiB",
        "procs/trial",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="quick")
    parser.add_argument("--workloads", default=None, help="comma-separated; overrides --profile")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--output", default=str(Path(__file__).with_name("RESULTS.md")))
    args = parser.parse_args(argv)

    names = args.workloads.split(",") if args.workloads else PROFILES[args.profile]
    chosen = [WORKLOADS[w] for w in names]
    variants = args.variants.split(",")
    started = time.monotonic()
    sections = []
    medians: dict[str, dict[str, float]] = {}
    with bench_session(chosen, variants, "tune-wandb-bench") as scratch:
        for workload in chosen:
            section, medians[workload.name] = _bench(workload, variants, args.repeats, scratch)
            sections.append(section)
            print(section, flush=True)
    total = time.monotonic() - started
    report = "\n\n".join(
        [
            "# Benchmark results",
            f"`make bench` on {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
            f"Ray {_ray_version()}, wandb {_wandb_version()}; W&B offline (`_online` "
            f"variants: a local W&B-protocol server in the idle scheduling class); median of "
            f"{args.repeats} interleaved rounds (profile: "
            f"{args.workloads or args.profile}); took {total / 60:.1f} min.",
            *filter(None, [targets_report(medians)]),
            *sections,
        ]
    )
    Path(args.output).write_text(report + "\n")
    print(f"\nwrote {args.output} ({total / 60:.1f} min)")
    return 0


def _ray_version() -> str:
    import ray

    return str(ray.__version__)


def _wandb_version() -> str:
    import wandb

    return str(wandb.__version__)


def _bench(
    workload: Workload, variants: list[str], repeats: int, scratch: Path
) -> tuple[str, dict[str, float]]:
    """The workload's tables, and each variant's median wall time."""
    # A workload that names its variants runs those; the others run every variant but
    # the story's parts and the online ones, which only the workloads naming them run.
    variants = [
        v for v in variants if (v in workload.variants if workload.variants else not is_special(v))
    ]
    samples: dict[str, list[Measurement]] = {v: [] for v in variants}
    for round_ in range(repeats):
        for variant in variants if round_ % 2 == 0 else reversed(variants):
            storage = scratch / f"{workload.name}-{variant}-{round_}"
            samples[variant].append(
                measure(
                    functools.partial(run_variant, variant, workload, storage),
                    trials=workload.trials,
                )
            )
            print(
                f"  {workload.name:>12} {variant:>16} round {round_ + 1}: "
                f"{samples[variant][-1].seconds:.2f} s",
                file=sys.stderr,
                flush=True,
            )
    medians = {v: statistics.median(m.seconds for m in samples[v]) for v in variants}
    rows = [_row(v, samples[v], medians.get(_baseline(v), 1.0)) for v in variants]
    base = samples.get("none", [])
    rounds = [
        [v, *(f"{m.seconds / b.seconds:.2f}x" for m, b in zip(samples[v], base, strict=False))]
        for v in variants
        if v != "none" and _baseline(v) == "none"
    ]
    online = [
        f"- `{v}`: {medians[v] / medians[v.removesuffix('_online')]:.2f}x of offline "
        f"(`{v.removesuffix('_online')}`)"
        for v in variants
        if v.endswith("_online") and v.removesuffix("_online") in medians
    ]
    parts = [f"## {workload.title}", _table(rows)]
    if base and rounds:
        head = ["variant", *(f"round {i + 1}" for i in range(len(base)))]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r) + " |" for r in rounds]
        parts += ["Each round's ratio to that round's no logging:", "\n".join(lines)]
    if online:
        parts += ["Online against offline (medians):", "\n".join(online)]
    return "\n\n".join(parts), medians


if __name__ == "__main__":
    sys.exit(main())
