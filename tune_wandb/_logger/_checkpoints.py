"""Which of a trial's checkpoints the logger logs as W&B artifacts, with what aliases.

``upload_checkpoints`` picks them: ``True`` or ``"all"`` every checkpoint,
``"best"`` only one that improves the trial's best value of the metric,
``"end"`` only the trial's last, logged when it ends. Each is a new version
of the trial's artifact ``checkpoint-<run id>`` (type ``model``), aliased
``latest``, ``iter-<training_iteration>`` and, when it is the trial's best so
far, ``best``; its metadata holds the trial id, the iteration and the
scalar metrics the trial reported with it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from tune_wandb._best import BestTracker
from tune_wandb._logger._writer import Save
from tune_wandb._results import flatten

CheckpointMode = Literal["all", "best", "end"]
#: What ``upload_checkpoints`` accepts (``True`` means ``"all"``).
MODES: tuple[object, ...] = (False, True, "all", "best", "end")

#: Result keys that are Tune's bookkeeping about the trial, not its metrics.
_NOT_METRICS = ("config", "hostname", "node_ip", "pid", "date", "timestamp", "trial_id")


def checkpoint_mode(value: object, *, source: str = "WandbLogger") -> CheckpointMode | None:
    """``upload_checkpoints`` as a mode, or ``None`` for off; ``ValueError`` names the choices.

    Example::

        >>> checkpoint_mode(True), checkpoint_mode("end"), checkpoint_mode(False)
        ('all', 'end', None)
    """
    if value is False or value is None:
        return None
    if value is True or value == "all":
        return "all"
    if value in ("best", "end"):
        return "best" if value == "best" else "end"
    raise ValueError(
        f"{source}(upload_checkpoints={value!r}) is not a choice: use False, True or "
        f"'all' (every checkpoint), 'best' (those that improve the metric), or 'end' "
        f"(each trial's last)."
    )


def checkpoint_metadata(trial_id: str, result: Mapping[str, Any]) -> dict[str, Any]:
    """The trial id, iteration and scalar metrics a checkpoint was reported with."""
    metrics = {
        key: value
        for key, value in flatten(result).items()
        if not key.startswith(_NOT_METRICS)
        and isinstance(value, int | float | str)
        and not (isinstance(value, float) and not math.isfinite(value))
    }
    return {
        "trial_id": trial_id,
        "training_iteration": result.get("training_iteration"),
        "metrics": metrics,
    }


@attrs.define
class CheckpointPicker:
    """One trial's checkpoints: which to log, and which is its best so far."""

    trial_id: str
    mode: CheckpointMode
    best: BestTracker | None
    #: ``"end"``: the last checkpoint seen, logged when the trial ends.
    pending: Save | None = None

    def saved(self, path: str, result: Mapping[str, Any]) -> Save | None:
        """A checkpoint at ``path`` was reported with ``result``: the op to log it, if any."""
        improves = self._improves(result)
        iteration = result.get("training_iteration")
        aliases = ["latest", *([f"iter-{iteration}"] if iteration is not None else [])]
        if improves:
            aliases.append("best")
        save = Save(
            self.trial_id,
            path,
            aliases=tuple(aliases),
            metadata=checkpoint_metadata(self.trial_id, result),
        )
        if self.mode == "end":
            self.pending = save
            return None
        if self.mode == "best" and not improves:
            return None
        return save

    def ended(self) -> Save | None:
        """The trial ended: for ``"end"``, its last checkpoint."""
        pending, self.pending = self.pending, None
        return pending

    def _improves(self, result: Mapping[str, Any]) -> bool:
        if self.best is None:
            return False
        before = self.best.value
        self.best.observe(flatten(result), None)
        return self.best.value is not None and self.best.value != before
