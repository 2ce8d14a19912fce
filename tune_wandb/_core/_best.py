"""A run's best value of the experiment's metric, and the step where it was reached.

W&B keeps the best value itself once told (``run.define_metric(metric,
summary="min")``: the runs table then ranks trials by it, not by their last
epoch); the step it was reached at is kept here, from the rows as they are
logged, and written to the summary once, when the run finishes. NaN and
infinite values are never best, as in Tune's own ranking.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

import attrs

#: The summary key of the step (``training_iteration``) where the best value was reached.
BEST_STEP: Final = "tune/best_step"


@attrs.define
class BestTracker:
    """Watches one metric in a run's rows.

    Example::

        >>> best = BestTracker("loss", "min")
        >>> for step, loss in enumerate([0.5, 0.2, float("nan"), 0.3], start=1):
        ...     best.observe({"loss": loss}, step)
        >>> best.value, best.step
        (0.2, 2)
    """

    metric: str
    mode: str
    value: float | None = None
    step: int | None = None
    #: Rows whose value was NaN or infinite.
    not_finite: int = 0

    def observe(self, row: Mapping[str, Any], step: int | None) -> None:
        """Look at one logged row (its ``step``, if known)."""
        value = row.get(self.metric)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return
        if not math.isfinite(value):
            self.not_finite += 1
            return
        if (
            self.value is None
            or (self.mode == "min" and value < self.value)
            or (self.mode == "max" and value > self.value)
        ):
            self.value = float(value)
            self.step = step
