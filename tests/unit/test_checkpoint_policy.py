"""CheckpointPicker: which checkpoints become versions, with which aliases and metadata."""

from __future__ import annotations

import math

from tests.helpers import LOSSES
from tune_wandb._core._best import BestTracker
from tune_wandb._core._checkpoint_files import CheckpointFiles
from tune_wandb._core._checkpoint_policy import CheckpointPicker, checkpoint_metadata


def test_picker_logs_improvements_for_best_and_the_last_for_end() -> None:
    """ "best" passes only improvements (aliased best); "end" holds back all but the last."""
    best = CheckpointPicker("t", "best", BestTracker("loss", "min"))
    kept = [
        best.saved(CheckpointFiles(f"/c{i}"), {"loss": x, "training_iteration": i})
        for i, x in enumerate(LOSSES, 1)
    ]
    assert [s.files.path if s else None for s in kept] == ["/c1", "/c2", None, "/c4"]
    assert all("best" in s.aliases for s in kept if s)
    end = CheckpointPicker("t", "end", None)
    assert [end.saved(CheckpointFiles(f"/c{i}"), {"training_iteration": i}) for i in (1, 2)] == [
        None,
        None,
    ]
    last = end.ended()
    assert last is not None
    assert (last.files.path, last.aliases) == ("/c2", ("latest", "iter-2"))
    assert end.ended() is None


def test_all_keeps_every_checkpoint_and_marks_each_improvement_best() -> None:
    """ "all" passes every checkpoint; "best" is on those that beat the best so far."""
    picker = CheckpointPicker("t", "all", BestTracker("loss", "min"))
    kept = [
        picker.saved(CheckpointFiles(f"/c{i}"), {"loss": x, "training_iteration": i})
        for i, x in enumerate(LOSSES, 1)
    ]
    assert [v.aliases if v else None for v in kept] == [
        ("latest", "iter-1", "best"),
        ("latest", "iter-2", "best"),
        ("latest", "iter-3"),
        ("latest", "iter-4", "best"),
    ]
    assert picker.ended() is None


def test_metadata_holds_the_trial_iteration_and_finite_scalar_metrics() -> None:
    """Bookkeeping keys, non-scalars and NaN stay out of a version's metrics."""
    flat = {"loss": 0.5, "acc": math.nan, "hostname": "h", "training_iteration": 3, "v": [1]}
    assert checkpoint_metadata("t1", flat) == {
        "trial_id": "t1",
        "training_iteration": 3,
        "metrics": {"loss": 0.5, "training_iteration": 3},
    }
