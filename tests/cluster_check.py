"""Sweeps on a two-node Ray cluster (head with 0 CPUs), run in a child process.

1. mixin and logger trials, offline: every run arrives;
2. online mixin trials whose key file exists on the driver's machine only (the
   worker node has another home directory): the key must reach the worker
   through tune-wandb, proven by what a local W&B stand-in server receives.

Prints one JSON line of facts for tests/test_cluster.py.
"""

from __future__ import annotations

import base64
import http.server
import json
import os
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any, ClassVar

import ray
import wandb
from ray import tune
from ray.cluster_utils import Cluster

from examples.decorator import train_fn
from tune_wandb import WandbLogger, wandb_mixin

KEY_FILE = "~/tune-wandb-key"


def plain(config: dict[str, Any]) -> None:
    for i in range(3):
        tune.report({"i": i, "node": ray.get_runtime_context().get_node_id()})


class Recorder(http.server.BaseHTTPRequestHandler):
    """Stands in for W&B: records each Authorization header, answers 401."""

    seen: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.seen.append(self.headers.get("Authorization", ""))
        self.send_response(401)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@wandb_mixin
def keyed(config: dict[str, Any]) -> None:
    """Logs three rows; says whether the key file exists where it runs."""
    here = Path(KEY_FILE).expanduser().exists()
    for i in range(3):
        wandb.log({"i": i})
        tune.report({"i": i, "key_file_here": here})


def main(storage: str, key: str) -> None:
    homes = Path(tempfile.mkdtemp(prefix="tune-wandb-homes-"))
    (homes / "driver").mkdir()
    (homes / "worker").mkdir()
    os.environ["HOME"] = str(homes / "driver")
    Path(KEY_FILE).expanduser().write_text(key + "\n")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    worker = cluster.add_node(num_cpus=2, env_vars={"HOME": str(homes / "worker")})
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
    online = {
        "project": "cluster",
        "mode": "online",
        "api_key_file": KEY_FILE,
        "init_timeout": 5,
        "settings": {"base_url": f"http://127.0.0.1:{server.server_address[1]}"},
    }
    key_sweep = tune.run(
        keyed,
        config={"a": tune.grid_search([1, 2]), "b": 1, "wandb": online},
        storage_path=storage,
        name="key",
        verbose=0,
        raise_on_failed_trial=False,
    )
    expected = "Basic " + base64.b64encode(f"api:{key}".encode()).decode()
    facts = {
        "head": head_id,
        "worker": worker.node_id,
        "trial_nodes": nodes,
        "key_file_where_trials_ran": [t.last_result.get("key_file_here") for t in key_sweep.trials],
        "key_trial_errors": [
            Path(t.error_file).read_text()[-400:] for t in key_sweep.trials if t.error_file
        ],
        "auth_requests": len(Recorder.seen),
        "auth_with_key": sum(1 for h in Recorder.seen if h == expected),
        "session_dir": cluster.head_node.get_session_dir_path(),
    }
    print(json.dumps(facts))
    ray.shutdown()
    cluster.shutdown()
    server.shutdown()


if __name__ == "__main__":
    os.environ.setdefault("WANDB_MODE", "offline")
    main(sys.argv[1], sys.argv[2])
