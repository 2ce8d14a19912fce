"""No W&B at all: the baseline, and what the two logger callbacks log."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from ray import tune


def loss(config: dict[str, Any], step: int) -> float:
    """A deterministic, decreasing metric for trial ``config["i"]``."""
    return float(config["i"] + 1) / (step + 1)


def plain(config: dict[str, Any]) -> None:
    """Report ``config["steps"]`` results to Tune."""
    for step in range(config["steps"]):
        tune.report({"loss": loss(config, step), "step_metric": step})


def report_step(config: dict[str, Any], step: int, metrics: dict[str, Any]) -> None:
    """Report ``metrics``; every ``checkpoint_every`` steps with a ``checkpoint_mib`` checkpoint."""
    every = config.get("checkpoint_every", 0)
    if not every or (step + 1) % every:
        tune.report(metrics)
        return
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "model.bin").write_bytes(bytes(config["checkpoint_mib"] << 20))
        tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(folder))


def plain_checkpoints(config: dict[str, Any]) -> None:
    """``plain`` with a checkpoint every ``checkpoint_every`` steps."""
    for step in range(config["steps"]):
        report_step(config, step, {"loss": loss(config, step), "step_metric": step})


class PlainClass(tune.Trainable):
    """The same, as a class Trainable: the baseline for ``WandbTrainableMixin``.

    Tune drives a class trainable with one actor call per step, and a function
    through a thread and a queue, so each kind needs its own baseline.
    """

    def setup(self, config: dict[str, Any]) -> None:
        self.steps = config["steps"]
        self.i = config["i"]

    def step(self) -> dict[str, Any]:
        step = self.iteration
        metrics = {"loss": float(self.i + 1) / (step + 1), "step_metric": step}
        return {**metrics, "done": step + 1 >= self.steps}

    def reset_config(self, new_config: dict[str, Any]) -> bool:
        self.setup(new_config)
        return True
