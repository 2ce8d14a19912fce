"""TrialIdentity's named constructors, and the one rule that places a run's folder."""

from __future__ import annotations

from pathlib import Path

import pyarrow.fs
import pytest
from ray.train._internal.storage import StorageContext

from tune_wandb._core._identity import TrialIdentity, local_path


def test_local_paths_are_kept_and_remote_ones_are_not() -> None:
    """Plain and file:// paths are local (expanded); s3:// or a remote filesystem are not."""
    assert local_path("/r") == "/r"
    assert local_path("file:///r") == "/r"
    assert local_path("~/r") == str(Path.home() / "r")
    assert local_path("s3://bucket/r") is None
    assert local_path("/r", pyarrow.fs.LocalFileSystem()) == "/r"
    remote = pyarrow.fs.SubTreeFileSystem("/", pyarrow.fs.LocalFileSystem())
    assert local_path("/r", remote) is None


class TestTrainRun:
    def test_on_local_storage_the_run_is_in_the_runs_folder(self) -> None:
        """Worker and controller both place the run in <storage_path>/<name>."""
        identity = TrialIdentity.for_train_run(run_id="r1", name="train", storage_path="/res")
        assert identity == TrialIdentity(
            trial_id="r1", trial_name="train", experiment="train", folder="/res/train"
        )

    def test_on_cloud_storage_the_run_is_in_the_working_directory(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A run whose results go to S3 is written locally, where the process runs."""
        monkeypatch.chdir(tmp_path)
        identity = TrialIdentity.for_train_run(run_id="r1", name="t", storage_path="s3://b/res")
        assert identity.folder == str(tmp_path)


class TestInTrial:
    def test_a_trainable_built_by_hand(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Outside Tune (no storage) the experiment is "default" and the folder the working dir."""
        monkeypatch.chdir(tmp_path)
        identity = TrialIdentity.in_trial(trial_id="t", trial_name="n", storage=None)
        assert (identity.experiment, identity.folder) == ("default", str(tmp_path))

    def test_local_results_hold_the_trials_run(self, tmp_path: Path) -> None:
        """On local storage the run is written in the trial's own results folder."""
        storage = StorageContext(str(tmp_path), "exp", trial_dir_name="trial_1")
        identity = TrialIdentity.in_trial(trial_id="t", trial_name="n", storage=storage)
        assert (identity.experiment, identity.folder) == ("exp", str(tmp_path / "exp" / "trial_1"))


class TestOthers:
    def test_the_experiment_run_is_in_the_experiments_folder(self, tmp_path: Path) -> None:
        """The logger's experiment run sits beside the trials' folders."""
        storage = StorageContext(str(tmp_path), "exp")
        identity = TrialIdentity.for_experiment(run_id="exp-1", storage=storage)
        assert identity == TrialIdentity(
            trial_id="exp-1",
            trial_name="exp (experiment)",
            experiment="exp",
            folder=str(tmp_path / "exp"),
        )

    def test_outside_ray_wandb_names_the_run(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """No trial, no Train run: no name or group, the working directory."""
        monkeypatch.chdir(tmp_path)
        identity = TrialIdentity.outside_ray("abc")
        assert (identity.trial_name, identity.experiment, identity.folder) == (
            "",
            "",
            str(tmp_path),
        )
