"""TuneRows: Tune's results as a mixin run's rows, every name under tune/ exactly once."""

from __future__ import annotations

import math

from tune_wandb._core._tune_rows import TuneRows


def test_every_metric_is_under_tune_once() -> None:
    """User metrics, Tune's own and already-renamed keys all land under one tune/ prefix."""
    rows = TuneRows.for_trial("t_00000")
    row = rows.row({"loss": 0.5, "time_total_s": 1.5, "training_iteration": 2, "_runtime": 4})
    assert row == {
        "tune/loss": 0.5,
        "tune/time_total_s": 1.5,
        "tune/training_iteration": 2,
        "tune/_runtime": 4,
    }


def test_control_bookkeeping_and_excluded_keys_are_left_out() -> None:
    """done, trial_id, config and the excludes are not rows, as in the logger."""
    rows = TuneRows.for_trial("t_00000", excludes=("secret",))
    row = rows.row(
        {"loss": 1.0, "secret": 3, "done": True, "trial_id": "t_00000", "config": {"lr": 1}}
    )
    assert row == {"tune/loss": 1.0}


def test_values_are_cleaned_as_the_logger_cleans_them() -> None:
    """Nested results are flattened and NaN stays a float W&B takes."""
    row = TuneRows.for_trial("t").row({"info": {"lr": 0.1}, "loss": float("nan")})
    assert row["tune/info/lr"] == 0.1
    assert math.isnan(row["tune/loss"])
