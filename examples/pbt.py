"""Population Based Training with ``log_config``: W&B shows each trial's learning rate change.

Run it: ``python -m examples.pbt``.
"""

from __future__ import annotations

from typing import Any

from ray import tune
from ray.tune.schedulers import PopulationBasedTraining

from examples._common import setup
from tune_wandb import WandbLogger


class Quadratic(tune.Trainable):
    """Minimise (x - 3)^2 by gradient steps; PBT tunes the step size."""

    def setup(self, config: dict[str, Any]) -> None:
        self.x = 0.0
        self.lr = config["lr"]

    def step(self) -> dict[str, Any]:
        self.x -= self.lr * 2 * (self.x - 3)
        return {"loss": (self.x - 3) ** 2}

    def save_checkpoint(self, checkpoint_dir: str) -> dict[str, Any]:
        return {"x": self.x}

    def load_checkpoint(self, checkpoint: Any) -> None:
        self.x = checkpoint["x"]

    def reset_config(self, new_config: dict[str, Any]) -> bool:
        self.lr = new_config["lr"]
        return True


def main(storage_path: str | None = None) -> tune.ResultGrid:
    pbt = PopulationBasedTraining(
        time_attr="training_iteration",
        perturbation_interval=3,
        hyperparam_mutations={"lr": tune.loguniform(1e-3, 0.4)},
        metric="loss",
        mode="min",
    )
    tuner = tune.Tuner(
        Quadratic,
        param_space={"lr": tune.loguniform(1e-3, 0.4), "wandb": {"log_config": True}},
        tune_config=tune.TuneConfig(scheduler=pbt, num_samples=4, reuse_actors=True),
        run_config=tune.RunConfig(
            name="pbt_example",
            storage_path=setup(storage_path, "example_results"),
            stop={"training_iteration": 12},
            checkpoint_config=tune.CheckpointConfig(checkpoint_frequency=3),
            callbacks=[WandbLogger(project="pbt-example", summary_metric="loss")],
            verbose=1,
        ),
    )
    return tuner.fit()


if __name__ == "__main__":
    main()
