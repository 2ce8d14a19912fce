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
from benchmarks.targets import Rounds
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


#: The variants that log nothing, each the baseline of its kind of trainable.
BASELINES = ("none", "none_class")


def round_ratios(seconds: dict[str, list[float]], pairs: list[tuple[str, str]]) -> str:
    """A table of ``variant / against`` in each round, for the pairs that both ran.

    Rounds are interleaved, so round ``i`` of both ran on the machine as it was
    then: the spread of these ratios says how far to trust the medians.

    Example::

        >>> print(round_ratios({"a": [2.0, 3.0], "none": [1.0, 2.0]}, [("a", "none")]))
        | variant | against | round 1 | round 2 |
        |---|---|---|---|
        | a | none | 2.00x | 1.50x |
    """
    rows = [
        [v, of, *(f"{t / b:.2f}x" for t, b in zip(seconds[v], seconds[of], strict=False))]
        for v, of in pairs
        if seconds.get(v) and seconds.get(of)
    ]
    if not rows:
        return ""
    head = ["variant", "against", *(f"round {i + 1}" for i in range(len(rows[0]) - 2))]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


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
    rounds: Rounds = {}
    with bench_session(chosen, variants, "tune-wandb-bench") as scratch:
        for workload in chosen:
            section, rounds[workload.name] = _bench(workload, variants, args.repeats, scratch)
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
            *filter(None, [targets_report(medians_of(rounds), rounds=rounds)]),
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


def medians_of(rounds: Rounds) -> dict[str, dict[str, float]]:
    """Each workload's and variant's median of its rounds' seconds."""
    return {w: {v: statistics.median(t) for v, t in each.items()} for w, each in rounds.items()}


def _bench(
    workload: Workload, variants: list[str], repeats: int, scratch: Path
) -> tuple[str, dict[str, list[float]]]:
    """The workload's tables, and each variant's wall time in each round."""
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
    seconds = {v: [m.seconds for m in samples[v]] for v in variants}
    medians = {v: statistics.median(t) for v, t in seconds.items()}
    rows = [_row(v, samples[v], medians.get(_baseline(v), 1.0)) for v in variants]
    parts = [f"## {workload.title}", _table(rows)]
    rounds = round_ratios(seconds, [(v, _baseline(v)) for v in variants if v not in BASELINES])
    if rounds:
        parts += ["Each round's ratio to the same round's no logging:", rounds]
    offline = [(v, v.removesuffix("_online")) for v in variants if v.endswith("_online")]
    online = round_ratios(seconds, offline)
    if online:
        lines = [
            f"- `{v}`: {medians[v] / medians[of]:.2f}x of offline (`{of}`, medians)"
            for v, of in offline
            if of in medians
        ]
        parts += ["Online against offline:", "\n".join(lines), online]
    return "\n\n".join(parts), seconds


if __name__ == "__main__":
    sys.exit(main())
