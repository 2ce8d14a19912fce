"""The logger's end-of-experiment summary: each run's best value, and globs that match the runs."""

from __future__ import annotations

import glob
import re
from pathlib import Path
from typing import Any

import pytest
from ray import tune

from tests.helpers import reports
from tune_wandb import WandbLogger
from tune_wandb._logger._summary import sync_pattern


def test_sync_pattern_matches_exactly_the_runs(tmp_path: Path) -> None:
    """One glob for runs in several trial folders matches those runs and nothing else."""
    runs = [tmp_path / "exp" / f"trial_{i}" / "wandb" / f"offline-run-2026_{i}" for i in range(3)]
    for run in runs:
        run.mkdir(parents=True)
    (tmp_path / "exp" / "trial_0" / "wandb" / "latest-run").mkdir()
    pattern = sync_pattern([str(r) for r in runs])
    assert sorted(glob.glob(pattern)) == sorted(str(r) for r in runs)
    assert sync_pattern([str(runs[0])]) == str(runs[0])


def test_summary_shows_best_values_and_commands_that_match(
    tune_run: Any, results: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each row's best value is Tune's own best; the printed globs match every run folder."""
    analysis = tune_run(
        reports,
        config={"a": tune.grid_search([1, 2, 3])},
        callbacks=[WandbLogger(project="p", summary_metric="loss", summary_mode="max")],
    )
    out = capsys.readouterr().out
    assert "W&B runs (3):" in out
    for trial in analysis.trials:
        (row,) = [line for line in out.splitlines() if line.strip().startswith(trial.trial_id)]
        best = trial.metric_analysis["loss"]["max"]
        assert best == trial.config["a"] * 5
        assert f" {best:.6g} " in row
        assert "finished" in row
        assert "completed" in row
    upload = re.search(r"Upload all:  wandb sync (.+)", out)
    assert upload is not None
    folders = sorted(str(p.parent) for p in results.rglob("run-*.wandb"))
    assert len(folders) == 4  # three trials and the experiment run
    matched = [path for pattern in upload.group(1).split() for path in glob.glob(pattern)]
    assert sorted(matched) == folders
    experiment = re.search(r"Experiment run (\S+) \(a table of every trial\): (\S+)", out)
    assert experiment is not None
    view = re.search(r"View it:     wandb leet (\S+)", out)
    assert view is not None
    assert view.group(1) == experiment.group(2)
    assert Path(view.group(1)).parent == results / "exp" / "wandb"
