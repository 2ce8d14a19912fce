"""The GPUs Ray assigned reach the run's W&B settings; on this CPU-only machine, none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ray import tune

from tune_wandb._ray._resources import assigned_gpus


def reports_gpus(config: dict[str, Any]) -> None:
    tune.report({"gpus": len(assigned_gpus() or [])})


def test_a_cpu_trial_is_assigned_no_gpu(tune_run: Any, results: Path) -> None:
    """In a trial without GPUs Ray assigns none, so the run selects none of the node's."""
    analysis = tune_run(reports_gpus)
    (trial,) = analysis.trials
    assert trial.last_result["gpus"] == 0
