"""``make demo``: a small real sweep logged to W&B, offline unless you ask for online.

Part 1 tunes a logistic regression (lr, l2, batch size) with ASHA early stopping,
every result logged by ``WandbLogger``. Part 2 runs the best settings again with
``@wandb_mixin``, logging per-batch-group progress from inside the trial. It
ends with the sweep as a whole: the experiment run, read from the logger's
records (``logger.runs``), and how to look at it.
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
from tune_wandb import RunRecord, WandbLogger, wandb_mixin

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
    logger = WandbLogger(project="tune-wandb-demo")
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
            callbacks=[logger],
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
    print_experiment(logger, grid, storage)


def print_experiment(logger: WandbLogger, grid: Any, storage: str) -> None:
    """The sweep as W&B holds it, from the logger's records: what its experiment run shows."""
    print("\n== The sweep in W&B: its experiment run ==\n")
    configs = {str(r.metrics["trial_id"]): r.config or {} for r in grid}
    records: list[RunRecord] = sorted(
        logger.runs.values(), key=lambda r: (r.best is None, r.best or 0.0)
    )
    print(
        f"  {'trial':<12} {'stop reason':<14} {'best val_loss':>13} {'at':>3}  lr, l2, batch_size"
    )
    for record in records:
        config = configs.get(record.trial_id, {})
        best = "-" if record.best is None else f"{record.best:.4f}"
        print(
            f"  {record.trial_id:<12} {record.stop_reason or '-':<14} {best:>13} "
            f"{record.best_step or '-':>3}  {config.get('lr', 0):.4g}, {config.get('l2', 0):.3g}, "
            f"{config.get('batch_size')}"
        )
    experiment = logger.experiment_run
    if experiment is None:
        return
    where = experiment.url or experiment.sync_dir
    print(f"\n  The same table is the experiment run's `trials` table: {where}")
    print("  Its config holds the search space, the searcher and the scheduler; its summary the")
    print("  best trial and its config (best/...). Each trial's run summarises val_loss as its")
    print("  minimum, with tune/best_step and tune/stop_reason (also a tag).")
    if experiment.offline and experiment.sync_dir:
        print(
            f"\n  Its summary and config:      wandb leet inspect --summary {experiment.sync_dir}"
        )
        print(f"  Browse it in the terminal:   wandb leet {experiment.sync_dir}")
        print(
            f"  Upload everything to W&B:    wandb sync {storage}/*/*/wandb/offline-run-* "
            f"{storage}/*/wandb/offline-run-*"
        )


if __name__ == "__main__":
    main()
