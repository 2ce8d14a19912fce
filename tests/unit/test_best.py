"""BestTracker: the best finite value of one metric in a run's rows, and its step."""

from __future__ import annotations

import math

from tune_wandb._core._best import BestTracker


def test_min_keeps_the_lowest_and_its_step() -> None:
    """The lowest value wins; its step is kept; later worse values change nothing."""
    best = BestTracker("loss", "min")
    for step, loss in enumerate([0.5, 0.2, 0.3, 0.2], start=1):
        best.observe({"loss": loss}, step)
    assert (best.value, best.step, best.not_finite) == (0.2, 2, 0)


def test_max_keeps_the_highest() -> None:
    """With mode "max" the highest value is best."""
    best = BestTracker("acc", "max")
    for step, acc in enumerate([0.1, 0.9, 0.5], start=1):
        best.observe({"acc": acc}, step)
    assert (best.value, best.step) == (0.9, 2)


def test_nan_and_infinity_are_counted_never_best() -> None:
    """Non-finite values are counted and never become the best value."""
    best = BestTracker("loss", "min")
    best.observe({"loss": math.nan}, 1)
    best.observe({"loss": -math.inf}, 2)
    best.observe({"loss": 3}, 3)
    assert (best.value, best.step, best.not_finite) == (3.0, 3, 2)


def test_rows_without_a_number_are_ignored() -> None:
    """A missing metric, a string or a bool is not a value of the metric."""
    best = BestTracker("loss", "min")
    for row in ({}, {"loss": "low"}, {"loss": True}, {"other": 1}):
        best.observe(row, 1)
    assert (best.value, best.step, best.not_finite) == (None, None, 0)
