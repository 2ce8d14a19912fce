"""TrialRun: a trial's run started in a thread beside its setup, a stand-in until then."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import wandb

from tests.helpers import UNREACHABLE
from tests.wandb_reader import read_runs
from tune_wandb._core._identity import TrialIdentity
from tune_wandb._core._prepare import prepare
from tune_wandb._core._settings import WandbSettings
from tune_wandb._wandb._trial_run import TrialRun


def start(folder: Path, **settings: Any) -> TrialRun:
    identity = TrialIdentity(trial_id="tr_1", trial_name="fn", experiment="e", folder=str(folder))
    parsed = WandbSettings.from_config({"project": "p", **settings})
    return TrialRun.start(
        prepare(parsed, identity, {"lr": 1}, entry="class mixin"), checkpoints=None
    )


def test_the_stand_in_is_the_process_run_and_waits_for_it(tmp_path: Path) -> None:
    """wandb.run and wandb.log reach the run as soon as it exists, then the real objects."""
    held = start(tmp_path)
    assert wandb.run is held.handle
    wandb.log({"a": 1})  # waits for wandb.init
    assert held.current is held.run
    held.run.log({"a": 2})
    record = held.finish(0)
    assert record is not None
    assert (record.rows, held.finish(1)) == (2, record)  # a second finish changes nothing
    (run,) = read_runs(tmp_path).values()
    assert (run.column("a"), run.config["lr"], run.exit_code) == ([1, 2], 1, 0)


def test_a_run_that_cannot_start_is_reported_where_it_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Without the offline fallback, the start's error is raised on use; finishing warns."""
    monkeypatch.setenv("WANDB_MODE", "online")
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    held = start(
        tmp_path, offline_fallback=False, init_timeout=2, settings={"base_url": UNREACHABLE}
    )
    with pytest.raises(RuntimeError, match=r"wandb\.init failed for trial run 'tr_1'"):
        held.handle.log({"a": 1})
    assert held.start_failed() is not None
    with caplog.at_level(logging.WARNING, logger="tune_wandb"):
        assert held.finish(1) is None
    assert any("run 'tr_1' never started" in r.getMessage() for r in caplog.records)
