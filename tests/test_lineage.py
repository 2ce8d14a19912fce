"""PBT lineage: each exploit in the trial's run, the parents in the table, the best's ancestry."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import run_pbt
from tests.wandb_reader import read_experiment_runs, read_runs, read_table


def pb2_missing() -> str | None:
    """Why Tune's PB2 cannot run here, if it cannot (its model's library is missing)."""
    try:
        import ray.tune.schedulers.pb2_utils  # noqa: F401 - scikit-learn (Ray 2.60), GPy (2.50)
    except ImportError as error:
        return f"PB2 needs {error.name}"
    return None


@pytest.mark.parametrize(
    ("reuse_actors", "pb2"),
    [(False, False), (True, False), (False, True)],
    ids=["new-actors", "reused-actors", "pb2"],
)
def test_each_exploit_is_in_its_run_and_the_experiment_run(
    tune_run: Any, results: Path, reuse_actors: bool, pb2: bool
) -> None:
    """Each exploit names the trial cloned in the row and summary; the table and ancestry agree.

    With ``reuse_actors=True`` Tune may hand a trial an actor another trial
    used (``reset_config``) instead of starting a new one; the lineage is the same,
    and so it is with PB2, whose new configs come from a model instead of a list.
    """
    if pb2 and (missing := pb2_missing()):
        pytest.skip(missing)
    analysis = run_pbt(tune_run, reuse_actors=reuse_actors, pb2=pb2)
    trial_ids = {trial.trial_id for trial in analysis.trials}
    runs = {run.config["trial_id"]: run for run in read_runs(results).values()}
    exploited = {t: run for t, run in runs.items() if run.summary.get("tune/lineage")}
    assert exploited, "PBT exploited no trial"
    for trial_id, run in exploited.items():
        lineage = run.summary["tune/lineage"]
        # Every exploit is kept; only those that changed the config count as perturbations.
        changed = [e for e in lineage if e["config_before"] != e["config_after"]]
        assert len(changed) == run.summary.get("tune/perturbations", 0)
        assert {e["parent"] for e in lineage} == trial_ids - {trial_id}
        assert run.column("tune/parent") == [e["parent"] for e in lineage]
        assert run.column("tune/parent_iteration") == [e["parent_iteration"] for e in lineage]
        # The exploit is on the row of the result PBT decided on, or, where synchronous
        # PBT decided on a result already logged (the trial waited paused at it), on
        # the next row; either way the trial goes on from the checkpoint it took.
        rows = run.history
        marked = [i for i, row in enumerate(rows) if "tune/parent" in row]
        for i, e in zip(marked, lineage, strict=True):
            iteration = rows[i]["tune/training_iteration"]
            if iteration == e["at_iteration"]:
                assert rows[i + 1]["tune/training_iteration"] == e["parent_iteration"] + 1
            else:
                assert rows[i - 1]["tune/training_iteration"] == e["at_iteration"]
                assert iteration == e["parent_iteration"] + 1
        for e in lineage:
            assert e["parent_run"] == runs[e["parent"]].run_id
            lr = e["config_after"]["lr"]
            assert 0.1 <= lr <= 2.0 if pb2 else lr in (0.1, 0.5, 1.0, 2.0)
    (experiment,) = read_experiment_runs(results)
    table = {row["trial_id"]: row for row in read_table(experiment)}
    for trial_id, row in table.items():
        lineage = runs[trial_id].summary.get("tune/lineage")
        assert row["parent"] == (lineage[-1]["parent"] if lineage else None)
    chain = experiment.summary["best/ancestry"]
    assert chain[-1]["trial_id"] == experiment.summary["best/trial_id"]
    assert chain[-1]["iterations"][1] == 8
    assert chain[0]["iterations"][0] == 1
    # Each link takes over where the one before it ended.
    for earlier, later in itertools.pairwise(chain):
        assert later["iterations"][0] == earlier["iterations"][1] + 1
