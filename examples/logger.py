"""The seed's WandbLogger usage on Ray 2: a Tune callback instead of ``loggers=``.

Ray 1.x: ``tune.run(train_fn, config=..., loggers=DEFAULT_LOGGERS + (WandbLogger,))``.
Run it: ``python -m examples.logger``.
"""

from __future__ import annotations

from typing import Any

from ray import tune

from examples._common import setup
from tune_wandb import WandbLogger


def train_fn(config: dict[str, Any]) -> None:
    for step in range(10):
        tune.report({"loss": config["parameter_1"] * config["parameter_2"] / (step + 1)})


def main(storage_path: str | None = None) -> tune.ExperimentAnalysis:
    return tune.run(
        train_fn,
        config={
            # define search space here
            "parameter_1": tune.choice([1, 2, 3]),
            "parameter_2": tune.choice([4, 5, 6]),
            # wandb configuration
            "wandb": {"project": "Optimization_Project", "log_config": True},
        },
        num_samples=3,
        callbacks=[WandbLogger(summary_metric="loss")],
        storage_path=setup(storage_path, "example_results"),
        name="logger_example",
        verbose=1,
    )


if __name__ == "__main__":
    main()
