"""Ours: ``@wandb_mixin``, ``WandbTrainableMixin`` and ``setup_wandb``, logging every step."""

from __future__ import annotations

import time
from typing import Any

import wandb
from ray import tune

from benchmarks.trainables.plain import PlainClass, chatter, loss, report_step, trial_setup
from tune_wandb import WandbTrainableMixin, setup_wandb, wandb_mixin

PROJECT = "tune-wandb-bench"


@wandb_mixin
def decorated(config: dict[str, Any]) -> None:
    """``wandb.log`` beside each report."""
    trial_setup(config)
    for step in range(config["steps"]):
        chatter(config, step)
        metrics = {"loss": loss(config, step), "step_metric": step}
        wandb.log(metrics)
        tune.report(metrics)


@wandb_mixin
def decorated_checkpoints(config: dict[str, Any]) -> None:
    """``decorated`` with a checkpoint every ``checkpoint_every`` steps."""
    for step in range(config["steps"]):
        metrics = {"loss": loss(config, step), "step_metric": step}
        wandb.log(metrics)
        report_step(config, step, metrics)


class ClassMixin(WandbTrainableMixin, PlainClass):
    """``PlainClass`` with ``self.wandb.log`` of each step's metrics."""

    def step(self) -> dict[str, Any]:
        result = super().step()
        self.wandb.log({k: result[k] for k in ("loss", "step_metric")})
        if "to_first_step_s" in result:  # the first log waited for the run, if it had to
            result["to_first_step_s"] = time.perf_counter() - self._constructed
        return result


def set_up(config: dict[str, Any]) -> None:
    """``setup_wandb(config)`` and ``run.log`` each step; no finish (tune-wandb finishes it)."""
    run = setup_wandb(config, project=PROJECT)
    trial_setup(config)
    for step in range(config["steps"]):
        metrics = {"loss": loss(config, step), "step_metric": step}
        run.log(metrics)
        tune.report(metrics)
