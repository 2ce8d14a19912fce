"""The logger's operations: each crosses to the writer process as it was made."""

from __future__ import annotations

import pickle
from pathlib import Path

from tests.helpers import logger_start
from tune_wandb._core._checkpoint_files import CheckpointFiles
from tune_wandb._core._checkpoint_policy import CheckpointVersion
from tune_wandb._logger._ops import Close, Experiment, Finish, Log, Save


def test_every_operation_survives_pickling(tmp_path: Path) -> None:
    """Start (with its plan), Log, Save, Finish, Experiment and Close round-trip unchanged."""
    start = logger_start(tmp_path, "o_00000", {"lr": 0.1})
    ops = [
        start,
        Log("o_00000", {"loss": 0.5}, {"/tmp/a.png": b"png"}),
        Save("o_00000", CheckpointVersion(CheckpointFiles("/c"), ("latest",), {"i": 1})),
        Finish("o_00000", 1, "error"),
        Experiment(plan=start.plan, trials=[], earlier={}, metric="loss", mode="min"),
        Close(),
    ]
    assert [pickle.loads(pickle.dumps(op)) for op in ops] == ops


def test_the_experiment_run_is_kept_by_its_run_id(tmp_path: Path) -> None:
    """The experiment operation is filed under its plan's id, beside the trials' records."""
    start = logger_start(tmp_path, "exp-1234")
    op = Experiment(plan=start.plan, trials=[], earlier={}, metric=None, mode=None)
    assert op.trial_id == "exp-1234"
