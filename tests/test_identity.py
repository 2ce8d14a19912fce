"""TrialIdentity in Tune: the same trial id, name, experiment and folder from driver and worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ray import tune
from ray.tune import Callback
from ray.tune.experiment import Trial

from tune_wandb._core._identity import TrialIdentity
from tune_wandb._ray import _compat


class SeesItself(tune.Trainable):
    """Reports the identity the trial's worker computes (as the mixins do)."""

    def step(self) -> dict[str, Any]:
        seen = TrialIdentity.in_trial(
            trial_id=self.trial_id,
            trial_name=self.trial_name,
            storage=_compat.trainable_storage(self),
        )
        return {
            "seen": [seen.trial_id, seen.trial_name, seen.experiment, seen.folder],
            "done": True,
        }


class Records(Callback):
    """Keeps the identity the driver computes for each trial (as the logger does)."""

    def __init__(self) -> None:
        self.seen: dict[str, TrialIdentity] = {}

    def on_trial_start(
        self, iteration: int, trials: list[Trial], trial: Trial, **info: Any
    ) -> None:
        self.seen[trial.trial_id] = TrialIdentity.from_trial(trial)


def test_driver_and_worker_agree(tune_run: Any, results: Path) -> None:
    """Both sides name the trial, its experiment and its folder in the results the same way."""
    records = Records()
    analysis = tune_run(
        SeesItself, config={"a": tune.grid_search([1, 2])}, callbacks=[records], name="ident"
    )
    assert len(records.seen) == 2
    for trial in analysis.trials:
        driver = records.seen[trial.trial_id]
        worker = TrialIdentity(
            **dict(
                zip(
                    ("trial_id", "trial_name", "experiment", "folder"),
                    trial.last_result["seen"],
                    strict=True,
                )
            )
        )
        assert worker == driver
        assert driver.trial_name == str(trial)
        assert driver.experiment == "ident"
        assert Path(driver.folder) == results / "ident" / Path(trial.path or "").name
