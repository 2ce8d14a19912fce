"""A Tune run stopped by Ctrl-C mid-trial, then the script ends and Ray shuts down.

Run as a child process by tests/test_lifecycle.py, which sends the SIGINT once
the trials have logged for a while. Mixin trials and logger trials run at once.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import ray
import wandb
from ray import tune

from tune_wandb import WandbLogger, wandb_mixin


def slow(config: dict[str, Any]) -> None:
    for i in range(600):
        if config.get("mixin"):
            wandb.log({"i": i})
        tune.report({"i": i})
        if i == 3:
            Path(config["ready"], f"{config['name']}.ready").touch()
        time.sleep(0.1)


def main(storage: str, ready: str) -> None:
    ray.init(address="local", num_cpus=2, include_dashboard=False, configure_logging=False)
    name = sys.argv[3]
    trainable = wandb_mixin(slow) if name == "mixin" else slow
    callbacks = [] if name == "mixin" else [WandbLogger(project="interrupt")]
    tune.run(
        trainable,
        config={
            "mixin": name == "mixin",
            "ready": ready,
            "name": tune.grid_search([f"{name}-a", f"{name}-b"]),
            "wandb": {"project": "interrupt"},
        },
        storage_path=storage,
        name=name,
        verbose=0,
        callbacks=callbacks,
        raise_on_failed_trial=False,
    )
    print("tune.run returned", flush=True)


if __name__ == "__main__":
    os.environ.setdefault("WANDB_MODE", "offline")
    main(sys.argv[1], sys.argv[2])
