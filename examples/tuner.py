"""The Tuner API with WandbLogger: settings as keyword arguments, no "wandb" key needed.

Run it: ``python -m examples.tuner``.
"""

from __future__ import annotations

from typing import Any

from ray import tune

from examples._common import setup
from examples._model import train_epochs
from tune_wandb import WandbLogger


def train_fn(config: dict[str, Any]) -> None:
    for metrics in train_epochs(config, epochs=5):
        tune.report(metrics)


def main(storage_path: str | None = None) -> tune.ResultGrid:
    tuner = tune.Tuner(
        train_fn,
        param_space={"lr": tune.loguniform(1e-3, 1.0), "l2": 1e-4, "batch_size": 64},
        tune_config=tune.TuneConfig(metric="val_loss", mode="min", num_samples=3),
        run_config=tune.RunConfig(
            name="tuner_example",
            storage_path=setup(storage_path, "example_results"),
            callbacks=[
                WandbLogger(
                    project="tuner-example",
                    tags=["example"],
                    excludes=["time_since_restore"],
                    summary_metric="val_loss",
                )
            ],
            verbose=1,
        ),
    )
    return tuner.fit()


if __name__ == "__main__":
    main()
