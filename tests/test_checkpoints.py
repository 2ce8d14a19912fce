"""upload_checkpoints: which checkpoints become artifact versions, their aliases and metadata."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    ALL_VERSIONS,
    LOSSES,
    SIX_LOSSES,
    KeepsOne,
    MixinKeepsOne,
    checkpoints_with_loss,
    keep_one,
)
from tests.test_writer import start
from tests.wandb_reader import read_runs
from tune_wandb import WandbLogger
from tune_wandb._core._checkpoint_files import SECURED, CheckpointFiles
from tune_wandb._core._checkpoint_mode import CheckpointMode
from tune_wandb._core._checkpoint_policy import CheckpointVersion
from tune_wandb._logger._ops import Finish, Log, Save
from tune_wandb._logger._writer import RunWriter


def _versions(results: Path) -> list[dict[str, Any]]:
    """The one trial's artifact versions, in order: aliases and metadata as W&B wrote them."""
    (run,) = read_runs(results).values()
    assert {a["name"] for a in run.artifacts} == {f"checkpoint-{run.run_id}"}
    assert {a["type"] for a in run.artifacts} == {"model"}
    return [
        {"aliases": sorted(a["aliases"]), "metadata": json.loads(a["metadata"])}
        for a in run.artifacts
    ]


def test_a_mode_that_is_not_one_fails_at_construction() -> None:
    """upload_checkpoints="sometimes" fails in the constructor, naming every valid value."""
    with pytest.raises(ValueError, match=r"'sometimes'.*False, True or 'all'.*'best'.*'end'"):
        WandbLogger(upload_checkpoints="sometimes")  # type: ignore[arg-type]  # on purpose


def test_all_logs_every_checkpoint_with_aliases_and_metadata(tune_run: Any, results: Path) -> None:
    """Every checkpoint is a version: latest, iter-<n>, best where it improved; its metrics."""
    tune_run(
        checkpoints_with_loss,
        metric="loss",
        mode="min",
        callbacks=[WandbLogger(project="p", upload_checkpoints="all", summary=False)],
    )
    versions = _versions(results)
    assert [v["aliases"] for v in versions] == ALL_VERSIONS
    assert [v["metadata"]["metrics"]["loss"] for v in versions] == list(LOSSES)
    assert [v["metadata"]["training_iteration"] for v in versions] == [1, 2, 3, 4]
    assert len({v["metadata"]["trial_id"] for v in versions}) == 1


def test_best_logs_only_improvements(tune_run: Any, results: Path) -> None:
    """ "best" (metric from summary_metric) skips the checkpoint that did not improve."""
    logger = WandbLogger(
        project="p", upload_checkpoints="best", summary_metric="loss", summary_mode="min"
    )
    tune_run(checkpoints_with_loss, callbacks=[logger])
    versions = _versions(results)
    assert [v["metadata"]["training_iteration"] for v in versions] == [1, 2, 4]
    assert all("best" in v["aliases"] for v in versions)


def test_end_logs_each_trials_last_checkpoint(tune_run: Any, results: Path) -> None:
    """ "end" logs one version per trial: its last checkpoint, when the trial ends."""
    tune_run(
        checkpoints_with_loss,
        callbacks=[WandbLogger(project="p", upload_checkpoints="end", summary=False)],
    )
    (version,) = _versions(results)
    assert version["aliases"] == ["iter-4", "latest"]
    assert version["metadata"]["metrics"]["loss"] == LOSSES[-1]


def test_best_without_a_metric_fails_before_trials_start(tune_run: Any, results: Path) -> None:
    """ "best" with no metric anywhere stops fit() at once, saying how to set one."""
    with pytest.raises(ValueError, match=r"upload_checkpoints='best'.*TuneConfig\(metric="):
        tune_run(
            checkpoints_with_loss,
            callbacks=[WandbLogger(project="p", upload_checkpoints="best", summary=False)],
        )
    assert not list(results.rglob("*.wandb"))


def test_a_checkpoint_deleted_before_logging_warns_once_and_the_run_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A folder gone before the writer reached it (num_to_keep): one warning; later ones log."""
    writer = RunWriter()
    writer.handle(start(tmp_path))
    kept = tmp_path / "checkpoint_000001"
    kept.mkdir()
    (kept / "model.txt").write_text("weights")
    with caplog.at_level(logging.WARNING, logger="tune_wandb"):
        writer.handle(Save("w_00000", CheckpointVersion(CheckpointFiles(str(tmp_path / "gone")))))
        writer.handle(Log("w_00000", {"loss": 1.0, "training_iteration": 1}))
        version = CheckpointVersion(CheckpointFiles(str(kept)), aliases=("latest",))
        writer.handle(Save("w_00000", version))
    writer.handle(Finish("w_00000", 0))
    writer.close_all()  # finishes go on in threads: wait for them
    (warning,) = [r.getMessage() for r in caplog.records if "not logged" in r.message]
    assert str(tmp_path / "gone") in warning
    (run,) = read_runs(tmp_path).values()
    assert (run.column("loss"), run.exit_code) == ([1.0], 0)
    assert [a["aliases"] for a in run.artifacts] == [["latest"]]


def _keep_one_logged_by(tune_run: Any, entry: str, mode: CheckpointMode) -> None:
    """KeepsOne's two trials, their checkpoints logged in ``mode`` by the logger or the mixin."""
    if entry == "logger":
        callbacks = [WandbLogger(project="p", upload_checkpoints=mode, summary=False)]
        keep_one(tune_run, KeepsOne, callbacks=callbacks)
    else:
        config = {"wandb": {"project": "p", "upload_checkpoints": mode}}
        keep_one(tune_run, MixinKeepsOne, config=config)


@pytest.mark.parametrize("trainable", ["logger", "class mixin"])
def test_checkpoints_tune_deletes_are_all_logged(
    tune_run: Any, results: Path, trainable: str
) -> None:
    """num_to_keep=1, instant steps, "all": every trial's six checkpoints are versions."""
    _keep_one_logged_by(tune_run, trainable, "all")
    runs = read_runs(results)
    assert len(runs) == 2
    for run in runs.values():
        iterations = [json.loads(a["metadata"])["training_iteration"] for a in run.artifacts]
        assert iterations == [1, 2, 3, 4, 5, 6]
    assert not list(results.rglob(SECURED))  # every secured copy was removed once logged


@pytest.mark.parametrize("trainable", ["logger", "class mixin"])
def test_best_is_the_true_best_even_when_tune_deleted_it(
    tune_run: Any, results: Path, trainable: str
) -> None:
    """ "best": each improvement is a version; the last one aliased best is iteration 3."""
    _keep_one_logged_by(tune_run, trainable, "best")
    for run in read_runs(results).values():
        iterations = [json.loads(a["metadata"])["training_iteration"] for a in run.artifacts]
        assert iterations == [1, 2, 3]  # 0.5, 0.4, 0.1: the rest never beat 0.1
        assert all("best" in a["aliases"] for a in run.artifacts)
        assert json.loads(run.artifacts[-1]["metadata"])["metrics"]["loss"] == min(SIX_LOSSES)
