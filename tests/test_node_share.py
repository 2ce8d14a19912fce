"""The logger, online, samples each trial on another node there, into the trial's own run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_trials_on_another_node_have_their_own_system_metrics(tmp_path: Path) -> None:
    """Two trials on the worker node, runs on the head: each run samples its own trial's pid.

    The cluster (ray.cluster_utils.Cluster: a head with 0 CPUs and a worker node
    with 2) runs in a child process, since this test session already has Ray.
    """
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("WANDB_MODE", None)
    done = subprocess.run(
        [sys.executable, "-m", "tests.node_share_check", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    assert not facts["key_sent"]
    assert len(facts["trials"]) == 2
    for trial in facts["trials"]:
        assert trial["node"] == facts["worker"] != facts["head"]
        assert trial["rows"] == 8
        assert trial["complete"]
        # Sampled on its node, labelled with its pid, and that pid in the summary.
        assert trial["labels"] == [f"pid_{trial['pid']}"]
        assert trial["summary_pid"] == trial["pid"]
        assert trial["rss"], trial
        assert trial["mib"] <= max(trial["rss"]) < trial["mib"] + 400, trial
