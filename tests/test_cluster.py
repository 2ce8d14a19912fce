"""A real two-node Ray cluster: mixin trials on the worker node, the logger on the driver."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.wandb_reader import read_runs

ROOT = Path(__file__).parent.parent


def test_runs_arrive_from_a_worker_node(tmp_path: Path) -> None:
    """Every run of both entry points is written, and the trials ran on the worker node.

    The cluster (ray.cluster_utils.Cluster: a head with 0 CPUs and a worker node
    with 2) runs in a child process, since this test session already has Ray.
    """
    env = dict(os.environ, PYTHONPATH=str(ROOT), WANDB_MODE="offline")
    done = subprocess.run(
        [sys.executable, "-m", "tests.cluster_check", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    assert facts["trial_nodes"] == [facts["worker"]]
    assert facts["head"] != facts["worker"]
    mixin = read_runs(tmp_path / "mixin")
    logger = read_runs(tmp_path / "logger")
    assert len(mixin) == 2
    assert all(len(run.history) == 10 and run.exit_code == 0 for run in mixin.values())
    assert len(logger) == 2
    assert all(len(run.history) == 3 and run.exit_code == 0 for run in logger.values())
