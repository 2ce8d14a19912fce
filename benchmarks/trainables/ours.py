"""Ours: ``@wandb_mixin`` and ``WandbTrainableMixin``, logging every step."""

from __future__ import annotations

from typing import Any

import wandb
from ray import tune

from benchmarks.trainables.plain import PlainClass, loss
from tune_wandb import WandbTrainableMixin, wandb_mixin


@wandb_mixin
def decorated(config: dict[str, Any]) -> None:
    """``wandb.log`` beside each report."""
    for step in range(config["steps"]):
        metrics = {"loss": loss(config, step), "step_metric": step}
        wandb.log(metrics)
        tune.report(metrics)


class ClassMixin(WandbTrainableMixin, PlainClass):
    """``PlainClass`` with ``self.wandb.log`` of each step's metrics."""

    def step(self) -> dict[str, Any]:
        result = super().step()
        self.wandb.log({k: result[k] for k in ("loss", "step_metric")})
        return result
