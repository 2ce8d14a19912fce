"""No W&B at all: the baseline, and what the two logger callbacks log."""

from __future__ import annotations

from typing import Any

from ray import tune


def loss(config: dict[str, Any], step: int) -> float:
    """A deterministic, decreasing metric for trial ``config["i"]``."""
    return float(config["i"] + 1) / (step + 1)


def plain(config: dict[str, Any]) -> None:
    """Report ``config["steps"]`` results to Tune."""
    for step in range(config["steps"]):
        tune.report({"loss": loss(config, step), "step_metric": step})
