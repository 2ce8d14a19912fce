"""Run a mixin sweep and a logger sweep on a two-node Ray cluster (head with 0 CPUs)."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import ray
from ray import tune
from ray.cluster_utils import Cluster

from examples.decorator import train_fn
from tune_wandb import WandbLogger


def plain(config: dict[str, Any]) -> None:
    for i in range(3):
        tune.report({"i": i, "node": ray.get_runtime_context().get_node_id()})


def main(storage: str) -> None:
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    worker = cluster.add_node(num_cpus=2)
    ray.init(address=cluster.address)
    head_id = ray.get_runtime_context().get_node_id()
    tune.run(
        train_fn,
        config={"a": tune.grid_search([1, 2]), "b": 1, "wandb": {"project": "cluster"}},
        storage_path=storage,
        name="mixin",
        verbose=0,
    )
    analysis = tune.run(
        plain,
        config={"a": tune.grid_search([1, 2]), "wandb": {"project": "cluster"}},
        storage_path=storage,
        name="logger",
        verbose=0,
        callbacks=[WandbLogger(summary=False)],
    )
    nodes = sorted({t.last_result["node"] for t in analysis.trials})
    print(json.dumps({"head": head_id, "worker": worker.node_id, "trial_nodes": nodes}))
    ray.shutdown()
    cluster.shutdown()


if __name__ == "__main__":
    os.environ.setdefault("WANDB_MODE", "offline")
    main(sys.argv[1])
