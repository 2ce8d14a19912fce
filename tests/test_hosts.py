"""Where setup_wandb runs: a Tune trial, or no Ray at all (Ray Train: tests/test_setup.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ray import tune

from tune_wandb._core._failure import Failure
from tune_wandb._core._identity import TrialIdentity
from tune_wandb._ray._hosts import find_host


def test_outside_ray_the_run_is_named_by_wandb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No trial and no Train run: the id given, no rank, nothing to attach to."""
    monkeypatch.chdir(tmp_path)
    host = find_host(lambda: "abcd1234")
    assert host.identity == TrialIdentity.outside_ray("abcd1234")
    assert (host.rank, host.reports_to_tune) == (None, False)


def finds_its_trial(config: dict[str, Any]) -> None:
    host = find_host(lambda: "unused")
    ended: list[Failure | None] = []
    host.attach(ended.append, lambda checkpoint, metrics: None)
    tune.report({"trial_id": host.identity.trial_id, "folder": host.identity.folder})
    Path(config["ends"]).write_text("")  # the finish is seen by the test through Tune, below


def test_in_a_tune_trial_the_host_is_the_trial(tune_run: Any, tmp_path: Path) -> None:
    """The trial's id and folder, from the function's thread."""
    analysis = tune_run(finds_its_trial, config={"ends": str(tmp_path / "ends")})
    (trial,) = analysis.trials
    assert trial.last_result["trial_id"] == trial.trial_id
    assert trial.last_result["folder"] == trial.path
