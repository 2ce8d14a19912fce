"""A real two-node Ray cluster: mixin trials on the worker node, the logger on the driver."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import files_containing, run_cluster_check
from tests.wandb_reader import read_runs

ROOT = Path(__file__).parent.parent


KEY = "k" * 40


def test_runs_and_the_key_reach_a_worker_node(tmp_path: Path) -> None:
    """Runs of both entry points arrive from a worker node; the key gets there without its file.

    The cluster (ray.cluster_utils.Cluster: a head with 0 CPUs and a worker node
    with 2) runs in a child process, since this test session already has Ray.
    The worker node's processes have another home directory, so the
    ``~/tune-wandb-key`` file the online trials name exists on the driver only.
    """
    facts = run_cluster_check("tests.cluster_check", str(tmp_path), KEY, WANDB_MODE="offline")
    assert facts["trial_nodes"] == [facts["worker"]]
    assert facts["head"] != facts["worker"]
    mixin = read_runs(tmp_path / "mixin")
    logger = read_runs(tmp_path / "logger")
    assert len(mixin) == 2
    assert all(len(run.history) == 10 and run.exit_code == 0 for run in mixin.values())
    assert len(logger) == 2
    assert all(len(run.history) == 3 and run.exit_code == 0 for run in logger.values())
    # The key: not on the worker node as a file, yet every trial there sent it.
    assert facts["key_file_where_trials_ran"] == [False, False]
    assert facts["key_trial_errors"] == []
    assert facts["auth_requests"] >= 1
    assert facts["auth_with_key"] == facts["auth_requests"]
    keyed = read_runs(tmp_path / "key")  # the stand-in answered 401: offline, every row kept
    assert len(keyed) == 2
    assert all(run.column("i") == [0, 1, 2] for run in keyed.values())
    assert files_containing(tmp_path, KEY) == []
    assert files_containing(Path(facts["session_dir"]), KEY) == []
