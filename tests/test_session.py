"""RunSession: one run from start to finish, the same in every entry point (wandb offline)."""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import logger_start
from tests.wandb_reader import read_runs
from tune_wandb._core._checkpoint_files import CheckpointFiles
from tune_wandb._core._identity import TrialIdentity
from tune_wandb._core._prepare import prepare
from tune_wandb._core._settings import WandbSettings
from tune_wandb._wandb._session import PERTURBATIONS, STOP_REASON, RunSession


def session(folder: Path, **settings: Any) -> RunSession:
    plan = logger_start(folder, "s_00000", summary_metric="loss", **settings).plan
    return RunSession.start(plan, reinit="create_new")


def test_rows_best_and_why_it_ended_reach_the_run_and_the_record(tmp_path: Path) -> None:
    """Rows at their steps; the best value's step, the stop reason and a tag in the summary."""
    held = session(tmp_path)
    for step, loss in enumerate([0.5, 0.2, 0.3], start=1):
        held.log_row({"loss": loss}, step, warn=lambda key, why: None)
    held.perturbations = 2
    record = held.finish(0, stop_reason="early-stopped")
    assert (record.rows, record.best, record.best_step, record.perturbations) == (3, 0.2, 2, 2)
    assert (record.exit_code, record.finished, record.offline) == (0, True, True)
    assert held.finish(1) is record  # finished once
    (run,) = read_runs(tmp_path).values()
    assert run.steps == [1, 2, 3]
    assert run.summary["tune/best_step"] == 2
    assert (run.summary[STOP_REASON], run.summary[PERTURBATIONS]) == ("early-stopped", 2)
    assert run.tags == ["early-stopped"]
    assert run.exit_code == 0


def test_a_value_wandb_refuses_costs_only_itself(tmp_path: Path) -> None:
    """A value W&B cannot encode is warned about by key; the rest of its row is logged."""
    held = session(tmp_path)
    warned: list[str] = []
    held.log_row({"loss": 0.1, "odd": object()}, 1, warn=lambda key, why: warned.append(why))
    held.finish(0)
    (run,) = read_runs(tmp_path).values()
    assert run.column("loss") == [0.1]
    assert warned == [
        "is not logged: object failed (TypeError: Object of type object is not JSON serializable)"
    ]


def test_the_guarded_log_counts_wandbs_failures_and_raises_the_users(tmp_path: Path) -> None:
    """A call mistake still raises; rows after the run's service is gone are counted, once."""
    held = session(tmp_path)
    log = held.guard()
    assert held.run.log == log
    log({"loss": 1.0})
    with pytest.raises(TypeError):
        log("not a dict")  # the user's mistake, on purpose
    held.failures.record(ConnectionError("service gone"))
    log({"loss": 2.0})
    assert (held.failures.logged, held.failures.failed) == (1, 2)
    held.finish(0)


def test_a_nan_best_is_kept_true_in_the_summary(tmp_path: Path) -> None:
    """After a NaN, W&B's own min turns NaN; the finite best is written instead."""
    held = session(tmp_path)
    for step, loss in enumerate([0.4, math.nan, 0.3], start=1):
        held.log_row({"loss": loss}, step, warn=lambda key, why: None)
    held.finish(0)
    (run,) = read_runs(tmp_path).values()
    assert run.summary["loss"] == {"min": 0.3}


def test_a_run_without_the_metric_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A run that never logged its summary metric says so when it finishes (if asked)."""
    held = session(tmp_path)
    held.log_row({"other": 1}, 1, warn=lambda key, why: None)
    with caplog.at_level(logging.WARNING, logger="tune_wandb"):
        held.finish(0, warn_best=True)
    assert any("never logged a finite value of 'loss'" in r.getMessage() for r in caplog.records)


def test_checkpoints_are_picked_and_logged_before_the_finish(tmp_path: Path) -> None:
    """With a mode, each saved checkpoint the mode picks becomes a version, then the run ends."""
    identity = TrialIdentity(trial_id="s_1", trial_name="s", experiment="e", folder=str(tmp_path))
    settings = WandbSettings(project="p", summary_metric="loss", upload_checkpoints="best")
    plan = prepare(settings, identity, {}, entry="class mixin")
    held = RunSession.start(plan, reinit="create_new", checkpoints="best")
    for i, loss in enumerate([0.5, 0.7, 0.2], start=1):
        folder = tmp_path / "checkpoints" / f"checkpoint_{i}"
        folder.mkdir(parents=True)
        (folder / "model.txt").write_text(f"weights {i}")
        held.saved(CheckpointFiles(str(folder)), {"loss": loss, "training_iteration": i})
    held.finish(0)
    (run,) = read_runs(tmp_path).values()
    assert [sorted(a["aliases"]) for a in run.artifacts] == [
        ["best", "iter-1", "latest"],
        ["best", "iter-3", "latest"],
    ]
