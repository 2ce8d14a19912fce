"""No W&B at all: the baseline, and what the two logger callbacks log."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from ray import tune


def loss(config: dict[str, Any], step: int) -> float:
    """A deterministic, decreasing metric for trial ``config["i"]``."""
    return float(config["i"] + 1) / (step + 1)


def trial_setup(config: dict[str, Any]) -> None:
    """What a real trial does before its first step, ``config["setup_s"]`` seconds of it.

    Half waiting (reading data: a sleep), half computing (building a model: a
    busy loop until this thread has used that much CPU).
    """
    seconds = config.get("setup_s", 0.0)
    if not seconds:
        return
    time.sleep(seconds / 2)
    started = time.thread_time()
    while time.thread_time() - started < seconds / 2:
        pass


def plain(config: dict[str, Any]) -> None:
    """Report ``config["steps"]`` results to Tune."""
    trial_setup(config)
    for step in range(config["steps"]):
        chatter(config, step)
        tune.report({"loss": loss(config, step), "step_metric": step})


def chatter(config: dict[str, Any], step: int) -> None:
    """Print ``config["prints"]`` lines, as a trial's progress output would."""
    for line in range(config.get("prints", 0)):
        print(f"trial {config['i']} step {step} line {line}: loss {loss(config, step):.6f}")


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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Before any setup (the mixin's included): the trial's start, for to_first_step_s.
        self._constructed = time.perf_counter()
        super().__init__(*args, **kwargs)

    def setup(self, config: dict[str, Any]) -> None:
        self.steps = config["steps"]
        self.i = config["i"]
        trial_setup(config)

    def step(self) -> dict[str, Any]:
        step = self.iteration
        chatter(self.config, step)
        metrics: dict[str, Any] = {"loss": float(self.i + 1) / (step + 1), "step_metric": step}
        if step == 0:
            metrics["to_first_step_s"] = time.perf_counter() - self._constructed
        return {**metrics, "done": step + 1 >= self.steps}

    def reset_config(self, new_config: dict[str, Any]) -> bool:
        self.setup(new_config)
        return True
