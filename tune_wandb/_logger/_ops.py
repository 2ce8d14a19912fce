"""The operations the logger's driver side sends its writer: one per Tune hook, in order.

They name the trial by its Tune trial id; the run's id is the plan's business.
Each is pickled onto the writer link (:mod:`._wire`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from tune_wandb._core._checkpoint_policy import CheckpointVersion
    from tune_wandb._core._failure import Failure
    from tune_wandb._core._lineage import Exploit
    from tune_wandb._core._plan import RunPlan
    from tune_wandb._core._records import RunRecord, StopReason
    from tune_wandb._logger._experiment_run import TrialFacts


@attrs.frozen
class Start:
    """Open a trial's run (or keep it open, for a trial that restarts)."""

    plan: RunPlan


@attrs.frozen
class Log:
    """Log one Tune result to a trial's run, with the media files its objects point to."""

    trial_id: str
    result: Mapping[str, Any]
    files: Mapping[str, bytes] = attrs.field(factory=dict)
    #: PBT exploited the trial on this result.
    exploit: Exploit | None = None
    #: What the trial printed since the last operation, by stream (Tune's ``log_to_file``).
    output: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen
class Save:
    """Log a trial's checkpoint folder as a version of its W&B artifact."""

    trial_id: str
    version: CheckpointVersion


@attrs.frozen
class Finish:
    """Finish a trial's run with an exit code (non-zero: failed) and why it ended."""

    trial_id: str
    exit_code: int
    stop_reason: StopReason | None = None
    #: Why it failed, as Tune recorded it.
    failure: Failure | None = None
    #: The last of what the trial printed, by stream (Tune's ``log_to_file``).
    output: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class Experiment:
    """Write the experiment run: a table with a row per trial, and a summary.

    Sent after every trial's ``Finish``: the writer completes each trial's row
    with its record of the trial's run (best value and step, where it is).
    """

    plan: RunPlan
    trials: list[TrialFacts]
    #: Records of runs written before ``Tuner.restore``, by trial id.
    earlier: dict[str, RunRecord]
    metric: str | None
    mode: str | None
    #: The experiment's PBT exploits, in order (the table's parents, the best's ancestry).
    exploits: list[Exploit] = attrs.field(factory=list)

    @property
    def trial_id(self) -> str:
        """The experiment run is kept with the trials' records, by its run id."""
        return self.plan.trial_id


@attrs.frozen
class Close:
    """Finish whatever is still open, then end the writer."""


Op = Start | Log | Save | Finish | Experiment | Close
