"""Ours: ``@wandb_mixin`` and ``WandbTrainableMixin``, logging every step."""

from __future__ import annotations

from typing import Any

import wandb
from ray import tune

from benchmarks.trainables.plain import loss
from tune_wandb import WandbTrainableMixin, wandb_mixin


@wandb_mixin
def decorated(config: dict[str, Any]) -> None:
    """``wandb.log`` beside each report."""
    for step in range(config["steps"]):
        metrics = {"loss": loss(config, step), "step_metric": step}
        wandb.log(metrics)
        tune.report(metrics)


class ClassMixin(WandbTrainableMixin, tune.Trainable):
    """``self.wandb.log`` in each step."""

    def setup(self, config: dict[str, Any]) -> None:
        self.steps = config["steps"]
        self.i = config["i"]

    def step(self) -> dict[str, Any]:
        step = self.iteration
        metrics = {"loss": float(self.i + 1) / (step + 1), "step_metric": step}
        self.wandb.log(metrics)
        return {**metrics, "done": step + 1 >= self.steps}

    def reset_config(self, new_config: dict[str, Any]) -> bool:
        self.setup(new_config)
        return True
