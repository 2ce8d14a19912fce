"""The logger, online, samples each trial on another node there, into the trial's own run."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import run_cluster_check


def test_trials_on_another_node_have_their_own_system_metrics(tmp_path: Path) -> None:
    """Two trials on the worker node, runs on the head: each run samples its own trial's pid.

    The cluster (ray.cluster_utils.Cluster: a head with 0 CPUs and a worker node
    with 2) runs in a child process, since this test session already has Ray.
    """
    # The logger is told mode="online": the suite's WANDB_MODE=offline does not apply.
    facts = run_cluster_check("tests.node_share_check", str(tmp_path))
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
