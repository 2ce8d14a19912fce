"""``make demo``: a small real sweep logged to W&B, offline unless you ask for online.

Part 1 tunes a logistic regression (lr, l2, batch size) with ASHA early stopping,
every result logged by ``WandbLogger``. Part 2 runs the best settings again with
``@wandb_mixin``, logging per-batch-group progress from inside the trial.
Needs no account and no network; ``--online`` logs to W&B if you are logged in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import wandb
from ray import tune
from ray.tune.schedulers import ASHAScheduler

from examples._common import setup
from examples._model import train_epochs
from tune_wandb import WandbLogger, wandb_mixin

EPOCHS = 15


def train_fn(config: dict[str, Any]) -> None:
    for metrics in train_epochs(config, epochs=EPOCHS):
        tune.report(metrics)


@wandb_mixin
def train_best(config: dict[str, Any]) -> None:
    best = float("inf")
    for epoch, metrics in enumerate(train_epochs(config, epochs=EPOCHS), start=1):
        best = min(best, metrics["val_loss"])
        wandb.log({**metrics, "best_val_loss": best, "epoch": epoch})
        tune.report(metrics)


def main(storage_path: str | None = None, samples: int = 8) -> None:
    storage = setup(storage_path, "demo_results")
    print(f"\n== 1/2: a sweep of {samples} trials with ASHA, logged by WandbLogger ==\n")
    grid = tune.Tuner(
        train_fn,
        param_space={
            "lr": tune.loguniform(1e-3, 1.0),
            "l2": tune.loguniform(1e-5, 1e-2),
            "batch_size": tune.choice([32, 64, 128]),
            "wandb": {"tags": ["demo"]},
        },
        tune_config=tune.TuneConfig(
            metric="val_loss",
            mode="min",
            num_samples=samples,
            scheduler=ASHAScheduler(max_t=EPOCHS, grace_period=3),
        ),
        run_config=tune.RunConfig(
            name="demo_sweep",
            storage_path=storage,
            callbacks=[WandbLogger(project="tune-wandb-demo", summary_metric="val_loss")],
            verbose=1,
        ),
    ).fit()
    best = grid.get_best_result()
    assert best.config is not None
    params = {k: best.config[k] for k in ("lr", "l2", "batch_size")}
    print(f"\n== 2/2: the best settings {params} again, logged from inside with @wandb_mixin ==\n")
    tune.run(
        train_best,
        config={
            **params,
            "seed": tune.grid_search([1, 2]),
            "wandb": {"project": "tune-wandb-demo"},
        },
        storage_path=storage,
        name="demo_best",
        verbose=1,
    )
    runs = sorted(Path(storage, "demo_best").rglob("offline-run-*"))
    if runs:
        print("\nW&B runs of part 2 (one per trial):")
        for run in runs:
            print(f"  {run}")
    print(f"\nAll runs are under {storage}.")
    if runs:
        print(f"  Browse one in the terminal: wandb leet {runs[0]}")
    print(f"  Upload them all to W&B:     wandb sync {storage}/*/*/wandb/offline-run-*")


if __name__ == "__main__":
    main()
