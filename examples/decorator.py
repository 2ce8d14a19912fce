"""The seed's ``@wandb_mixin`` usage on Ray 2: ``wandb.log`` inside a function trainable.

Only ``tune.report(loss=loss)`` changed, to Ray 2's ``tune.report({"loss": loss})``
(and the seed's ``self.config`` typo to ``config``).
Run it: ``python -m examples.decorator``.
"""

from __future__ import annotations

from typing import Any

import wandb
from ray import tune

from examples._common import setup
from tune_wandb import wandb_mixin


@wandb_mixin
def train_fn(config: dict[str, Any]) -> None:
    for _ in range(10):
        loss = config["a"] + config["b"]
        wandb.log({"loss": loss})
        tune.report({"loss": loss})


def main(storage_path: str | None = None) -> tune.ExperimentAnalysis:
    return tune.run(
        train_fn,
        config={
            # define search space here
            "a": tune.choice([1, 2, 3]),
            "b": tune.choice([4, 5, 6]),
            # wandb configuration
            "wandb": {"project": "Optimization_Project"},
        },
        num_samples=2,
        storage_path=setup(storage_path, "example_results"),
        name="decorator_example",
        verbose=1,
    )


if __name__ == "__main__":
    main()
