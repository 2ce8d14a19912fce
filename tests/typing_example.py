"""The public API as users write it: mypy checks this file, pytest never runs it."""

from __future__ import annotations

from typing import Any

import wandb
from ray import tune
from wandb.sdk.wandb_run import Run

from tune_wandb import WandbLogger, WandbSettings, WandbTrainableMixin, wandb_mixin


@wandb_mixin
def train_fn(config: dict[str, Any]) -> None:
    for _ in range(3):
        wandb.log({"loss": config["lr"]})
        tune.report({"loss": config["lr"]})


class MyTrainable(WandbTrainableMixin, tune.Trainable):
    def setup(self, config: dict[str, Any]) -> None:
        self.lr: float = config["lr"]
        run: Run = self.wandb
        run.log({"lr": self.lr})

    def step(self) -> dict[str, Any]:
        self.wandb.log({"loss": self.lr})
        return {"loss": self.lr}


def main() -> None:
    settings: WandbSettings = WandbSettings.from_config({"project": "p", "excludes": ["x"]})
    logger: WandbLogger = WandbLogger(settings, upload_checkpoints=False, summary_metric="loss")
    trainable: type[tune.Trainable] = train_fn
    tune.run(trainable, config={"lr": 0.1, "wandb": {"project": "p"}})
    tune.run(MyTrainable, config={"lr": 0.1}, callbacks=[logger])
    tuner = tune.Tuner(
        train_fn,
        param_space={"lr": tune.loguniform(1e-4, 1e-1)},
        run_config=tune.RunConfig(callbacks=[WandbLogger(project="p")]),
    )
    tuner.fit()
