"""A trial's run samples its own process: in the mixins, and in the logger on its machine."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import wandb
from ray import tune

from tests.wandb_reader import read_runs
from tune_wandb import WandbLogger, wandb_mixin

#: W&B samples every 15 s by default; a second keeps these trials short.
FAST: dict[str, Any] = {"settings": {"x_stats_sampling_interval": 1.0}}


def holds_memory(config: dict[str, Any]) -> None:
    """Hold ``mib`` MiB (written, so resident) for a few seconds, reporting the pid."""
    held = b"x" * (config["mib"] << 20)
    for i in range(4):
        time.sleep(1)
        row = {"i": i, "my_pid": os.getpid(), "held": len(held)}
        if wandb.run is not None:  # the mixin's run, written here
            wandb.log(row)
        tune.report(row)


def peak_rss(run: Any) -> float:
    return max(float(sample.get("proc.memory.rssMB", 0.0)) for sample in run.stats)


def check_each_run_samples_its_trial(runs: dict[str, Any]) -> None:
    assert len(runs) == 2
    for run in runs.values():
        assert run.stats, f"no system metrics in {run.path}"
        assert run.summary["tune/pid"] == run.column("my_pid")[0]
        mib = run.config["mib"]
        # The trial's own process: its memory, not the driver's or the other trial's.
        assert mib <= peak_rss(run) < mib + 400, (mib, peak_rss(run))


def test_the_loggers_runs_sample_the_trials_process(tune_run: Any, results: Path) -> None:
    """The logger's runs, on the driver, hold the system metrics of each trial's own process."""
    tune_run(
        holds_memory,
        config={"mib": tune.grid_search([150, 900])},
        callbacks=[WandbLogger(project="p", experiment_run=False, **FAST)],
    )
    check_each_run_samples_its_trial(read_runs(results))


def test_the_mixins_runs_sample_the_trials_process(tune_run: Any, results: Path) -> None:
    """A mixin's run, written in the trial's process, samples that process."""
    tune_run(
        wandb_mixin(holds_memory),
        config={"mib": tune.grid_search([150, 900]), "wandb": {"project": "p", **FAST}},
    )
    check_each_run_samples_its_trial(read_runs(results))


def test_log_system_metrics_false_samples_nothing(tune_run: Any, results: Path) -> None:
    """``log_system_metrics=False`` leaves the runs of both entry points without samples."""
    off: dict[str, Any] = {"project": "p", "log_system_metrics": False, **FAST}
    tune_run(
        wandb_mixin(holds_memory),
        name="mixin",
        config={"mib": 1, "wandb": off},
    )
    tune_run(
        holds_memory,
        name="logger",
        config={"mib": 1},
        callbacks=[WandbLogger(experiment_run=False, **off)],
    )
    runs = read_runs(results)
    assert len(runs) == 2
    for run in runs.values():
        assert run.stats == []
        assert "tune/pid" not in run.summary
