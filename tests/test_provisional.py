"""Provisional runs (opened on an actor Tune then dropped) are deleted, and nothing else."""

from __future__ import annotations

import time
from pathlib import Path

import wandb
from wandb.sdk.wandb_run import Run

from tune_wandb._wandb import _provisional


def open_run(root: Path) -> Run:
    """An offline run with the trial's id in ``root`` (a new folder: wandb names them by second)."""
    time.sleep(1.1)
    return wandb.init(project="p", id="trial_00003", dir=root, mode="offline", reinit="create_new")


def folders(root: Path) -> list[str]:
    return sorted(path.name for path in (root / "wandb").glob("offline-run-*"))


def test_the_run_that_trains_deletes_a_killed_provisional_copy(tmp_path: Path) -> None:
    """confirm() deletes same-id siblings carrying the marker; an earlier real attempt stays."""
    earlier = open_run(tmp_path)  # a failed attempt of the trial (max_failures): real rows
    earlier.finish(exit_code=1)
    provisional = open_run(tmp_path)  # opened by an actor Tune removed, then killed
    _provisional.mark_provisional(provisional)
    provisional.finish()  # its process died before discarding it
    real = open_run(tmp_path)
    _provisional.mark_provisional(real)
    assert len(folders(tmp_path)) == 3

    _provisional.confirm(real)
    real.finish()
    assert folders(tmp_path) == sorted(Path(run.settings.sync_dir).name for run in (earlier, real))
    assert not (Path(real.settings.sync_dir) / _provisional.MARKER).exists()


def test_discard_deletes_only_a_marked_run(tmp_path: Path) -> None:
    """A run whose trial trained in it (marker removed) survives discard(); a marked one goes."""
    kept = open_run(tmp_path)
    _provisional.mark_provisional(kept)
    _provisional.confirm(kept)
    kept.finish()
    _provisional.discard(kept)
    dropped = open_run(tmp_path)
    _provisional.mark_provisional(dropped)
    dropped.finish()
    _provisional.discard(dropped)
    assert folders(tmp_path) == [Path(kept.settings.sync_dir).name]
