"""A run's best value of the experiment's metric, and the step where it was reached.

W&B keeps the best value itself once told (``run.define_metric(metric,
summary="min")``: the runs table then ranks trials by it, not by their last
epoch); the step it was reached at is kept here, from the rows as they are
logged, and written to the summary once, when the run finishes. NaN and
infinite values are never best, as in Tune's own ranking.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import attrs

if TYPE_CHECKING:
    from wandb.sdk.wandb_run import Run

logger = logging.getLogger("tune_wandb")

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


def define_best(run: Run, metric: str | None, mode: str) -> BestTracker | None:
    """Have W&B keep ``metric``'s best value in ``run``'s summary; a tracker for its step."""
    if not metric:
        return None
    try:
        run.define_metric(metric, summary=mode)
    except Exception as error:  # noqa: BLE001 - a summary nicety never fails a run
        logger.warning("tune-wandb: run %r: best %s not summarised: %s", run.id, metric, error)
        return None
    return BestTracker(metric, mode)


def write_best(run: Run, best: BestTracker | None, *, warn: bool = True) -> None:
    """Put the step of the best value in the summary (before the run finishes).

    A run that never logged a finite value of the metric is warned about
    (``warn=False``: the caller warns once for many runs).
    """
    if best is None:
        return
    if best.value is None:
        if not warn:
            return
        logger.warning(
            "tune-wandb: run %r never logged a finite value of %r, the metric its summary "
            "ranks by%s; check the metric's name (summary_metric, or TuneConfig(metric=...)).",
            run.id,
            best.metric,
            f" ({best.not_finite} NaN or infinite)" if best.not_finite else "",
        )
        return
    try:
        if best.not_finite:
            # W&B's own summary turns NaN once one NaN is logged; the true best stands.
            run.summary[best.metric] = {best.mode: best.value}
        run.summary[BEST_STEP] = best.step
    except Exception:
        logger.debug("tune-wandb: best step not written", exc_info=True)
