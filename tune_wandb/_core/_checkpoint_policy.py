"""Which of a trial's checkpoints become W&B artifact versions, with what aliases.

Shared by every entry point that logs checkpoints. ``upload_checkpoints``
(:mod:`._checkpoint_mode`) picks them: ``True`` or ``"all"`` every checkpoint,
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
from typing import Any

import attrs

from tune_wandb._core._best import BestTracker
from tune_wandb._core._checkpoint_files import CheckpointFiles
from tune_wandb._core._checkpoint_mode import CheckpointMode
from tune_wandb._core._results import flatten

#: Result keys that are Tune's bookkeeping about the trial, not its metrics.
_NOT_METRICS = (
    "config",
    "hostname",
    "node_ip",
    "pid",
    "date",
    "timestamp",
    "trial_id",
    "done",
    "should_checkpoint",
    "checkpoint_dir_name",
    "experiment_tag",
)


def checkpoint_metadata(trial_id: str, flat: Mapping[str, Any]) -> dict[str, Any]:
    """The trial id, iteration and scalar metrics a checkpoint was reported with.

    ``flat`` is the result, flattened (:func:`~tune_wandb._core._results.flatten`).
    """
    metrics = {
        key: value
        for key, value in flat.items()
        if not key.startswith(_NOT_METRICS)
        and isinstance(value, int | float | str)
        and not (isinstance(value, float) and not math.isfinite(value))
    }
    return {
        "trial_id": trial_id,
        "training_iteration": flat.get("training_iteration"),
        "metrics": metrics,
    }


@attrs.frozen
class CheckpointVersion:
    """A checkpoint to log as a version of its trial's artifact."""

    files: CheckpointFiles
    aliases: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.define
class CheckpointPicker:
    """One trial's checkpoints: which to log, and which is its best so far."""

    trial_id: str
    mode: CheckpointMode
    best: BestTracker | None
    #: ``"end"``: the last checkpoint seen, logged when the trial ends.
    pending: CheckpointVersion | None = None

    def saved(self, files: CheckpointFiles, result: Mapping[str, Any]) -> CheckpointVersion | None:
        """A checkpoint (``files``) was reported with ``result``: the version to log, if any.

        A checkpoint that is not logged (or no longer the last, for ``"end"``)
        has its secured copy released at once.
        """
        flat = flatten(result)
        improves = self._improves(flat)
        iteration = flat.get("training_iteration")
        aliases = ["latest", *([f"iter-{iteration}"] if iteration is not None else [])]
        if improves:
            aliases.append("best")
        save = CheckpointVersion(
            files,
            aliases=tuple(aliases),
            metadata=checkpoint_metadata(self.trial_id, flat),
        )
        if self.mode == "end":
            if self.pending is not None:
                self.pending.files.release()
            self.pending = save
            return None
        if self.mode == "best" and not improves:
            files.release()
            return None
        return save

    def ended(self) -> CheckpointVersion | None:
        """The trial ended: for ``"end"``, its last checkpoint."""
        pending, self.pending = self.pending, None
        return pending

    def _improves(self, flat: Mapping[str, Any]) -> bool:
        if self.best is None:
            return False
        before = self.best.value
        self.best.observe(flat, None)
        return self.best.value is not None and self.best.value != before
