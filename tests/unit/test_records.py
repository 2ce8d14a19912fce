"""RunRecord: what a run became, and the state a user reads off it."""

from __future__ import annotations

from typing import Any

import attrs

from tune_wandb import RunRecord


def record(**changes: Any) -> RunRecord:
    base = RunRecord(
        run_id="r",
        trial_id="t",
        folder="/f",
        url=None,
        sync_dir="/f/wandb/offline-run-r",
        offline=True,
        rows=3,
        exit_code=0,
        finished=True,
    )
    return attrs.evolve(base, **changes)


def test_state_says_finished_failed_and_not_synced() -> None:
    """The exit code picks finished or failed; a run that timed out says it is not synced."""
    assert [
        record().state,
        record(exit_code=1).state,
        record(finished=False).state,
        record(exit_code=1, finished=False).state,
    ] == ["finished", "failed", "finished (not synced)", "failed (not synced)"]


def test_a_record_is_plain_data_that_survives_a_round_trip() -> None:
    """Tune's callback state holds records as dicts; they come back equal."""
    original = record(stop_reason="early-stopped", best=0.2, best_step=4, perturbations=2)
    assert RunRecord(**attrs.asdict(original)) == original
    assert RunRecord.__module__ == "tune_wandb"
