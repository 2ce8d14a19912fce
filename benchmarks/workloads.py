"""The workloads and the ways of logging them that ``make bench`` compares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
from ray import tune
from ray.air.integrations.wandb import WandbLoggerCallback

from benchmarks.trainables.ours import ClassMixin, decorated, decorated_checkpoints, set_up
from benchmarks.trainables.plain import PlainClass, plain, plain_checkpoints
from benchmarks.trainables.ray_reference import PROJECT, ray_setup_wandb
from tune_wandb import WandbLogger


@attrs.frozen
class Workload:
    """``trials`` trials of ``steps`` reported results each."""

    name: str
    title: str
    trials: int
    steps: int
    reuse_actors: bool = False
    concurrent: int | None = None
    #: A checkpoint of ``checkpoint_mib`` MiB every ``checkpoint_every`` steps, logged
    #: as artifacts by the variants that can (``upload_checkpoints``).
    checkpoint_every: int = 0
    checkpoint_mib: int = 0
    #: Seconds each trial spends before its first step, half sleeping, half on CPU.
    setup_s: float = 0.0
    #: Lines each trial prints per step, into Tune's ``log_to_file`` files (which the
    #: logger reads; the mixins capture them in the trial's process).
    prints: int = 0
    #: The variants that apply (all if empty).
    variants: tuple[str, ...] = ()


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in [
        Workload("8x100", "8 trials x 100 steps", 8, 100),
        Workload("2x2000", "2 trials x 2,000 steps (logging throughput)", 2, 2000),
        Workload("32x5", "32 trials x 5 steps (start-up cost per trial)", 32, 5),
        Workload("32x5-reuse", "32 trials x 5 steps, reuse_actors=True", 32, 5, reuse_actors=True),
        Workload(
            "256x5",
            "256 trials x 5 steps, 32 at once (scale)",
            256,
            5,
            concurrent=32,
        ),
        # The quick profile (`make bench`): the same shapes, scaled so the whole
        # run, six variants x three rounds, fits in well under 10 minutes here.
        Workload("4x25", "4 trials x 25 steps (start-up bound)", 4, 25),
        Workload("2x200", "2 trials x 200 steps (logging throughput)", 2, 200),
        Workload("16x5", "16 trials x 5 steps (start-up cost per trial)", 16, 5),
        Workload("16x5-reuse", "16 trials x 5 steps, reuse_actors=True", 16, 5, reuse_actors=True),
        Workload(
            "8x100-setup",
            "8 trials x 100 steps, each after a 2 s setup (1 s waiting, 1 s on CPU)",
            8,
            100,
            setup_s=2.0,
        ),
        Workload(
            "4x50-ckpt",
            "4 trials x 50 steps, a 20 MiB checkpoint every 5 steps, each an artifact version",
            4,
            50,
            checkpoint_every=5,
            checkpoint_mib=20,
            variants=("none", "ours_logger", "ours_decorator", "ray_logger"),
        ),
        # The trial's story: console output and system metrics on (the default), each
        # alone, and both off, for the logger and the decorator, beside no logging.
        Workload(
            "8x100-setup-story",
            "8 trials x 100 steps after a 2 s setup, printing 10 lines a step",
            8,
            100,
            setup_s=2.0,
            prints=10,
            variants=(
                "none",
                "ours_logger",
                "ours_logger_console",
                "ours_logger_stats",
                "ours_logger_quiet",
                "ours_decorator",
                "ours_decorator_console",
                "ours_decorator_stats",
                "ours_decorator_quiet",
                "none_class",
                "ours_class",
            ),
        ),
        # Online against offline: the same runs sent to the local W&B-protocol server of
        # the tests (niced, as a remote server would take none of this machine's CPU).
        Workload(
            "8x100-setup-online",
            "8 trials x 100 steps after a 2 s setup, printing 10 lines a step, online",
            8,
            100,
            setup_s=2.0,
            prints=10,
            variants=(
                "none",
                "ours_logger",
                "ours_logger_online",
                "ours_decorator",
                "ours_decorator_online",
            ),
        ),
        # The logger under a high report rate: results reported in a tight loop.
        Workload(
            "2x20000",
            "2 trials x 20,000 results in a tight loop (the logger's throughput)",
            2,
            20_000,
            variants=("none", "ours_logger", "ray_logger"),
        ),
        Workload(
            "32x1000",
            "32 trials x 1,000 results in a tight loop, 32 at once",
            32,
            1_000,
            concurrent=32,
            variants=("none", "ours_logger", "ray_logger"),
        ),
    ]
}

PROFILES: dict[str, list[str]] = {
    "quick": ["4x25", "2x200", "8x100-setup-story", "8x100-setup-online"],
    "startup": ["16x5", "16x5-reuse"],
    "full": ["8x100", "2x2000", "32x5", "32x5-reuse", "256x5"],
    "checkpoints": ["4x50-ckpt"],
    "realistic": ["8x100-setup", "8x100"],
    "high-rate": ["2x20000", "32x1000"],
    "story": ["8x100-setup-story"],
    "online": ["8x100-setup-online"],
}

#: Settings a variant's suffix adds: the trial's story off, or one part of it only.
SUFFIXES: dict[str, dict[str, Any]] = {
    "_quiet": {"log_console": False, "log_system_metrics": False},
    "_console": {"log_system_metrics": False},
    "_stats": {"log_console": False},
}
#: The ``_online`` variants' settings, once the server is up (see :func:`go_online`).
ONLINE: dict[str, Any] = {}


VARIANTS = [
    "none",
    "none_class",
    "ours_logger",
    "ours_logger_console",
    "ours_logger_stats",
    "ours_logger_quiet",
    "ours_logger_online",
    "ours_decorator",
    "ours_decorator_console",
    "ours_decorator_stats",
    "ours_decorator_quiet",
    "ours_decorator_online",
    "ours_class",
    "ours_setup_wandb",
    "ray_logger",
    "ray_setup_wandb",
]


def is_special(variant: str) -> bool:
    """Whether ``variant`` runs only where a workload names it (a story part, online)."""
    return any(variant.endswith(suffix) for suffix in [*SUFFIXES, "_online"])


def go_online(url: str, key: str) -> None:
    """The ``_online`` variants log to the W&B-protocol server at ``url`` with ``key``."""
    ONLINE.update(mode="online", api_key=key, settings={"base_url": url})


def run_variant(variant: str, workload: Workload, storage: Path) -> None:
    """Run ``workload`` once, logged the ``variant`` way."""
    config: dict[str, Any] = {
        "steps": workload.steps,
        "i": tune.grid_search(list(range(workload.trials))),
        "setup_s": workload.setup_s,
        "prints": workload.prints,
    }
    trainable: Any = plain
    callbacks: list[tune.Callback] = []
    checkpoints = workload.checkpoint_every > 0
    if checkpoints:
        config.update(
            checkpoint_every=workload.checkpoint_every, checkpoint_mib=workload.checkpoint_mib
        )
        trainable = plain_checkpoints
    quiet: dict[str, Any] = {}
    for suffix, settings in [*SUFFIXES.items(), ("_online", ONLINE)]:
        if variant.endswith(suffix):
            quiet = settings
            variant = variant.removesuffix(suffix)
    if variant == "ours_logger":
        callbacks = [
            WandbLogger(project=PROJECT, summary=False, upload_checkpoints=checkpoints, **quiet)
        ]
    elif variant == "ray_logger":
        callbacks = [WandbLoggerCallback(project=PROJECT, upload_checkpoints=checkpoints)]
    elif variant == "ours_decorator":
        trainable = decorated_checkpoints if checkpoints else decorated
        config["wandb"] = {"project": PROJECT, "upload_checkpoints": checkpoints, **quiet}
    elif variant == "none_class":
        trainable = PlainClass
    elif variant == "ours_class":
        trainable = ClassMixin
        config["wandb"] = {"project": PROJECT, **quiet}
    elif variant == "ours_setup_wandb":
        trainable = set_up
    elif variant == "ray_setup_wandb":
        trainable = ray_setup_wandb
    elif variant != "none":
        raise ValueError(f"unknown variant {variant!r}")
    resources = {"cpu": 2 / workload.concurrent} if workload.concurrent else None
    if resources is not None:
        trainable = tune.with_resources(trainable, resources)
    tune.run(
        trainable,
        config=config,
        # The experiment's metric, as users set it: the logger summarises each run's best
        # value of it and writes the experiment run's table (their cost is measured here).
        metric="loss",
        mode="min",
        storage_path=str(storage),
        name=variant,
        verbose=0,
        reuse_actors=workload.reuse_actors,
        max_concurrent_trials=workload.concurrent,
        callbacks=callbacks,
        log_to_file=workload.prints > 0,
    )
