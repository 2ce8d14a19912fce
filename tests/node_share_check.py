"""The logger online, its trials on another node of a two-node cluster, run in a child process.

The head has no CPUs, so both trials run on the worker node; the logger's runs
are written on the driver (the head). Each trial holds a different amount of
memory. Prints one JSON line of facts, read from what the client sent to a
live W&B-protocol server, for tests/test_node_share.py.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import ray
from ray import tune
from ray.cluster_utils import Cluster

from tests.wire import SERVER_KEY, Proxy, WandbServer
from tune_wandb import WandbLogger


def holds_memory(config: dict[str, Any]) -> None:
    held = b"x" * (config["mib"] << 20)
    for i in range(8):
        time.sleep(1)
        tune.report(
            {
                "i": i,
                "my_pid": os.getpid(),
                "node": ray.get_runtime_context().get_node_id(),
                "held": len(held),
            }
        )


def main(storage: str) -> None:
    server = WandbServer.start(Path(storage) / "server")
    proxy = Proxy(server.url)
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    worker = cluster.add_node(num_cpus=2)
    ray.init(address=cluster.address)
    logger = WandbLogger(
        project="nodes",
        mode="online",
        api_key=SERVER_KEY,
        experiment_run=False,
        settings={"base_url": proxy.url, "x_stats_sampling_interval": 1.0},
    )
    analysis = tune.run(
        holds_memory,
        config={"mib": tune.grid_search([50, 700])},
        storage_path=storage,
        name="nodes",
        verbose=0,
        callbacks=[logger],
    )
    sent = proxy.complete([t.trial_id for t in analysis.trials])
    trials = []
    for trial in analysis.trials:
        run = sent[trial.trial_id]
        pid = trial.last_result["my_pid"]
        key = f"system.proc.memory.rssMB/l:pid_{pid}"
        trials.append(
            {
                "mib": trial.config["mib"],
                "pid": pid,
                "node": trial.last_result["node"],
                "summary_pid": run.summary.get("tune/pid"),
                "rows": len(run.rows),
                "complete": run.complete,
                "rss": [float(s[key]) for s in run.stats if key in s],
                "labels": sorted({k.split("/l:")[1] for s in run.stats for k in s if "/l:" in k}),
            }
        )
    facts = {
        "head": ray.get_runtime_context().get_node_id(),
        "worker": worker.node_id,
        "trials": trials,
        "key_sent": any(SERVER_KEY.encode() in r.body for r in proxy.requests),
    }
    print(json.dumps(facts))
    ray.shutdown()
    cluster.shutdown()
    proxy.stop()
    server.stop()


if __name__ == "__main__":
    main(sys.argv[1])
