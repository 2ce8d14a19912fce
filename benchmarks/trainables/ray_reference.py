"""Ray's own: ``setup_wandb`` inside the function, finished as it must be."""

from __future__ import annotations

from typing import Any

from ray import tune
from ray.air.integrations.wandb import setup_wandb

from benchmarks.trainables.plain import loss, trial_setup

PROJECT = "tune-wandb-bench"


def ray_setup_wandb(config: dict[str, Any]) -> None:
    """``setup_wandb(config)``, ``run.log`` each step, ``run.finish()`` at the end."""
    run = setup_wandb(config, project=PROJECT)
    trial_setup(config)
    for step in range(config["steps"]):
        metrics = {"loss": loss(config, step), "step_metric": step}
        run.log(metrics)
        tune.report(metrics)
    run.finish()
