"""The seed's ``WandbTrainableMixin`` usage: a class trainable with its run as ``self.wandb``.

Run it: ``python -m examples.class_mixin``.
"""

from __future__ import annotations

from typing import Any

from ray import tune

from examples._common import setup
from examples._model import train_epochs
from tune_wandb import WandbTrainableMixin


class LogisticRegression(WandbTrainableMixin, tune.Trainable):
    def setup(self, config: dict[str, Any]) -> None:
        # The run already exists here, and config has no "wandb" key.
        self.epochs = train_epochs(config, epochs=5)

    def step(self) -> dict[str, Any]:
        metrics = next(self.epochs)
        self.wandb.log(metrics)
        return {**metrics, "done": self.iteration + 1 >= 5}


def main(storage_path: str | None = None) -> tune.ExperimentAnalysis:
    return tune.run(
        LogisticRegression,
        config={
            "lr": tune.grid_search([0.01, 0.1]),
            "l2": 1e-4,
            "batch_size": 64,
            "wandb": {"project": "Optimization_Project"},
        },
        storage_path=setup(storage_path, "example_results"),
        name="class_mixin_example",
        verbose=1,
    )


if __name__ == "__main__":
    main()
