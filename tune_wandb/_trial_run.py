"""A run written from inside its trial (the mixins, ``setup_wandb``): started, guarded, finished.

The one path for runs that live in the trial's process: the plan (with the
experiment's metric, shared by the driver), ``wandb.init``, the guarded
``log`` that never raises W&B's failures into the trial, the best-value
summary, and a bounded finish that reports what failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from tune_wandb import _provisional
from tune_wandb._best import BestTracker, define_best, write_best
from tune_wandb._checkpoint_files import Checkpoint, CheckpointFiles
from tune_wandb._checkpoint_policy import check_best_has_metric
from tune_wandb._checkpoint_uploader import CheckpointUploader
from tune_wandb._experiment import ExperimentFacts
from tune_wandb._log_failures import LogFailures, guard_log
from tune_wandb._plan import RunPlan
from tune_wandb._results import run_config
from tune_wandb._run import finish_run, forget_inherited_service, start_run

if TYPE_CHECKING:
    from wandb.sdk.wandb_run import Run

    from tune_wandb._identity import TrialIdentity
    from tune_wandb._settings import WandbSettings


@attrs.define
class TrialRun:
    """A trial's run, opened in the trial's process; it is also ``wandb.run``."""

    run: Run
    plan: RunPlan
    failures: LogFailures
    best: BestTracker | None
    #: The summary metric was set for this run (not taken from the experiment): a run
    #: that never logs it is warned about.
    explicit: bool = False
    #: Logs the trial's checkpoints (``config["wandb"]["upload_checkpoints"]``).
    checkpoints: CheckpointUploader | None = None

    @classmethod
    def start(
        cls,
        settings: WandbSettings,
        identity: TrialIdentity,
        config: Mapping[str, Any],
        *,
        entry_point: str,
    ) -> TrialRun:
        """Start the run of ``identity``'s trial; ``config`` is the trial config.

        ``entry_point`` names the caller in the error for a logger-only setting.
        """
        settings.reject_logger_only(entry_point)
        facts = None
        if settings.summary_metric is None:
            facts = ExperimentFacts.shared(identity.experiment)
        plan = RunPlan.resolve(
            settings, identity, run_config(config, settings.excludes), experiment=facts
        )
        mode = settings.checkpoint_mode
        if mode == "best" and plan.summary_metric is None:
            check_best_has_metric(settings, facts)
        forget_inherited_service()
        run = start_run(plan, reinit="finish_previous")
        failures = LogFailures(plan.run_id)
        best = define_best(run, plan.summary_metric, plan.summary_mode)
        guard_log(run, failures, best)
        explicit = settings.summary_metric is not None
        uploader = CheckpointUploader.for_run(run, plan, mode) if mode else None
        return cls(
            run=run,
            plan=plan,
            failures=failures,
            best=best,
            explicit=explicit,
            checkpoints=uploader,
        )

    def saved(self, checkpoint: Checkpoint | None, metrics: Mapping[str, Any]) -> None:
        """The trial saved ``checkpoint`` (reported with ``metrics``): hand it to the uploader."""
        if self.checkpoints is not None and checkpoint is not None:
            self.checkpoints.saved(CheckpointFiles.of(checkpoint), metrics)

    def mark_provisional(self) -> None:
        """The trial may yet train in another process (Tune's actor reuse)."""
        _provisional.mark_provisional(self.run)

    def confirm(self) -> None:
        """The trial trains here: this run is kept, provisional copies elsewhere go."""
        _provisional.confirm(self.run)

    def finish(self, exit_code: int, *, discard: bool = False) -> None:
        """Finish the run (bounded by ``upload_timeout``); ``discard`` a provisional one."""
        if self.checkpoints is not None and not discard:
            self.checkpoints.close(timeout=self.plan.upload_timeout)
        self.failures.report()
        write_best(self.run, self.best, warn=self.explicit)
        finish_run(self.run, exit_code=exit_code, timeout=self.plan.upload_timeout)
        if discard:
            _provisional.discard(self.run)
        else:
            self.confirm()
