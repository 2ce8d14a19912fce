"""What the logger knows of each run once the experiment ends: for scripts and the summary."""

from __future__ import annotations

from typing import Literal

import attrs

#: Why a trial ended, as the logger tells it (``tune/stop_reason`` and a tag on its run).
StopReason = Literal["completed", "early-stopped", "stop-criteria", "error", "interrupted"]


@attrs.frozen(kw_only=True)
class RunRecord:
    """One W&B run the logger wrote, after ``fit()``: ``WandbLogger.runs[trial_id]``.

    Example::

        logger = WandbLogger(project="mnist")
        tune.Tuner(train_fn, run_config=tune.RunConfig(callbacks=[logger])).fit()
        for record in logger.runs.values():
            print(record.trial_id, record.state, record.stop_reason, record.best,
                  record.url or record.sync_dir)
    """

    __module__ = "tune_wandb"  # pickles name the public path, whatever the module

    #: The W&B run id (the trial id unless ``config["wandb"]["id"]`` says otherwise).
    run_id: str
    trial_id: str
    #: The folder the run was written under (the trial's folder).
    folder: str
    #: The run's page; ``None`` offline.
    url: str | None
    #: The run's own folder (``.../wandb/offline-run-...``): what ``wandb sync`` uploads.
    sync_dir: str | None
    offline: bool
    #: Rows logged.
    rows: int
    #: 0: finished; otherwise failed.
    exit_code: int
    #: Whether the run finished writing within ``upload_timeout``.
    finished: bool
    #: Why the trial ended (see :data:`StopReason`); ``None`` for the experiment run.
    stop_reason: StopReason | None = None
    #: The best value of the summary metric, and the step (iteration) it was reached at.
    best: float | None = None
    best_step: int | None = None
    #: Times the trial's config changed (PBT exploits).
    perturbations: int = 0

    @property
    def state(self) -> str:
        """``finished``, ``failed``, or either with `` (not synced)`` when writing timed out."""
        state = "failed" if self.exit_code else "finished"
        return state if self.finished else f"{state} (not synced)"
