"""Ray Train V2 with W&B: ``setup_wandb`` in the loop, or ``WandbTrainCallback`` on the run.

Two workers train a toy model; rank 0 logs. No ``wandb.finish()`` anywhere:
tune-wandb finishes each run when its training ends. No torch needed.
Run it: ``python -m examples.train``.
"""

from __future__ import annotations

from typing import Any

import ray.train
import wandb
from ray.train.v2.api.data_parallel_trainer import DataParallelTrainer

from examples._common import setup
from tune_wandb import WandbTrainCallback, setup_wandb


def train_loop_per_worker(config: dict[str, Any]) -> None:
    """Each rank trains; setup_wandb gives rank 0 the run, the others a disabled one."""
    setup_wandb(config)
    rank = ray.train.get_context().get_world_rank()
    weight = 0.0
    for epoch in range(5):
        weight += config["lr"] * (1.0 - weight)
        loss = (1.0 - weight) ** 2
        wandb.log({"loss": loss, "epoch": epoch})  # rank 0's go to W&B
        ray.train.report({"loss": loss, "rank": rank})


def reports_only(config: dict[str, Any]) -> None:
    """A loop with no W&B code: the callback logs what it reports."""
    for epoch in range(5):
        ray.train.report({"loss": 1.0 / (epoch + 1), "epoch": epoch})


def main(storage_path: str | None = None) -> None:
    storage = setup(storage_path, "example_results")
    DataParallelTrainer(
        train_loop_per_worker,
        train_loop_config={"lr": 0.3, "wandb": {"project": "train-example"}},
        scaling_config=ray.train.ScalingConfig(num_workers=2),
        run_config=ray.train.RunConfig(name="setup_wandb_example", storage_path=storage),
    ).fit()
    DataParallelTrainer(
        reports_only,
        scaling_config=ray.train.ScalingConfig(num_workers=2),
        run_config=ray.train.RunConfig(
            name="callback_example",
            storage_path=storage,
            callbacks=[WandbTrainCallback(project="train-example")],
        ),
    ).fit()


if __name__ == "__main__":
    main()
