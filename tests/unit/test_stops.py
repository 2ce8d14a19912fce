"""Why a trial ended, read off its last result and the experiment."""

from __future__ import annotations

import attrs

from tune_wandb._core._experiment import ExperimentFacts
from tune_wandb._core._stops import reason_at_done

ASHA = ExperimentFacts(scheduler={"name": "ASHAScheduler"}, max_t=10)


def test_criteria_met_is_stop_criteria() -> None:
    """A result that meets the trial's stop dict stopped on the criteria."""
    assert reason_at_done({"training_iteration": 3}, {"training_iteration": 3}, ASHA) == (
        "stop-criteria"
    )


def test_a_stopping_scheduler_before_its_budget_stopped_early() -> None:
    """ASHA stopping a trial below max_t stopped it early; at max_t it completed."""
    assert reason_at_done({}, {"training_iteration": 4}, ASHA) == "early-stopped"
    assert reason_at_done({}, {"training_iteration": 10}, ASHA) == "completed"


def test_a_stopper_object_and_a_plain_finish() -> None:
    """A Stopper (described by its class name) is stop criteria; FIFO's done is completed."""
    fifo = ExperimentFacts(scheduler={"name": "FIFOScheduler"})
    with_stopper = attrs.evolve(fifo, stop="TrialPlateauStopper")
    assert reason_at_done({}, {"training_iteration": 2}, with_stopper) == "stop-criteria"
    assert reason_at_done({}, {"training_iteration": 2}, fifo) == "completed"
