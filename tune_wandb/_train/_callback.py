"""``WandbTrainCallback``: one W&B run per Ray Train run, written from the Train controller.

Ray Train V2's ``RunConfig(callbacks=...)`` takes callbacks that run on the
Train controller. A ``ray.train.UserCallback`` sees each report and worker
errors but not the run's start or end, so this is instead one of the
controller's own callbacks (Ray's ``ControllerCallback`` and ``ReportCallback``,
``DeveloperAPI``), which ``RunConfig`` accepts as well:
``after_controller_start`` opens the run, ``after_report`` logs each report,
and ``after_controller_finish`` finishes the run, with exit code 1 if the run
failed, before ``fit()`` returns.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ray.train.v2._internal.execution.callback import ControllerCallback, ReportCallback

from tune_wandb._best import BestTracker, define_best, write_best
from tune_wandb._checkpoint_files import CheckpointFiles
from tune_wandb._checkpoint_policy import CheckpointMode, check_best_has_metric, checkpoint_mode
from tune_wandb._checkpoint_uploader import CheckpointUploader
from tune_wandb._identity import TrialIdentity
from tune_wandb._log_failures import LogFailures
from tune_wandb._plan import RunPlan, check_environment
from tune_wandb._results import ResultCleaner, run_config
from tune_wandb._run import finish_run, start_run
from tune_wandb._settings import WandbSettings

if TYPE_CHECKING:
    from ray.train import Checkpoint
    from ray.train.v2._internal.execution.context import TrainRunContext
    from wandb.sdk.wandb_run import Run

logger = logging.getLogger("tune_wandb")


class WandbTrainCallback(ControllerCallback, ReportCallback):
    """Log what a Ray Train run's workers report with ``ray.train.report`` to one W&B run.

    Keyword arguments are :class:`~tune_wandb.WandbSettings` fields or
    ``wandb.init`` arguments, as for ``WandbLogger``; the ``"wandb"`` key of
    ``train_loop_config`` overrides them. The run's id is the Train run's, its
    name and group the run's name; a worker group Train restarts after a
    failure goes on in the same run. Rank 0's metrics are logged by default;
    ``ranks="all"`` logs every rank's under ``rank_<i>/``.

    Example::

        trainer = DataParallelTrainer(
            train_loop_per_worker,
            scaling_config=ScalingConfig(num_workers=2),
            run_config=ray.train.RunConfig(callbacks=[WandbTrainCallback(project="p")]),
        )
        trainer.fit()

    Args:
        settings: Base settings; keyword arguments are applied on top.
        ranks: ``"zero"``: rank 0's reports; ``"all"``: every rank's, prefixed.
        upload_checkpoints: Log reported checkpoints as versions of the run's
            artifact, as ``WandbLogger`` does: ``True`` or ``"all"``,
            ``"best"`` or ``"end"``; ``iter-<n>`` is the n-th report.
        **defaults: Any ``WandbSettings`` field or ``wandb.init()`` parameter.
    """

    def __init__(
        self,
        settings: WandbSettings | None = None,
        *,
        ranks: Literal["zero", "all"] = "zero",
        upload_checkpoints: bool | CheckpointMode = False,
        **defaults: Any,
    ) -> None:
        if ranks not in ("zero", "all"):
            raise ValueError(
                f"WandbTrainCallback(ranks=...) must be 'zero' or 'all', got {ranks!r}."
            )
        self._defaults = WandbSettings.from_config(
            defaults, base=settings, source="WandbTrainCallback"
        )
        self.ranks = ranks
        self.upload_checkpoints = upload_checkpoints
        self._checkpoint_mode = checkpoint_mode(
            upload_checkpoints, setting="WandbTrainCallback(upload_checkpoints=...)"
        )
        self._checkpoints: CheckpointUploader | None = None
        self._run: Run | None = None
        self._plan: RunPlan | None = None
        self._cleaner = ResultCleaner()
        self._failures = LogFailures("")
        self._best: BestTracker | None = None
        self._step = 0

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_run": None, "_checkpoints": None}

    # -- the controller's hooks -------------------------------------------------

    def after_controller_start(self, train_run_context: TrainRunContext) -> None:
        """Open the run as the Train run starts (on the controller)."""
        loop_config = train_run_context.train_loop_config or {}
        settings = WandbSettings.for_trial(loop_config, base=self._defaults)
        check_environment(settings)
        config = train_run_context.run_config
        name = config.name or "ray_train_run"
        storage = config.storage_path or str(Path.cwd())
        local = "://" not in storage or storage.startswith("file://")
        identity = TrialIdentity(
            trial_id=train_run_context.run_id,
            trial_name=name,
            experiment=name,
            folder=str(Path(storage.removeprefix("file://")).expanduser() / name)
            if local
            else str(Path.cwd()),
        )
        if settings.log_config:
            logger.warning(
                "tune-wandb: log_config does nothing in WandbTrainCallback (Train reports "
                "carry no config; the run's config is train_loop_config); it is WandbLogger's."
            )
        self._plan = RunPlan.resolve(
            settings, identity, run_config(loop_config, settings.excludes), quiet_stats=True
        )
        self._cleaner = ResultCleaner(
            excludes=self._plan.excludes,
            log_config=False,
            trial=self._plan.run_id,
            image_kwargs=self._plan.image_kwargs,
            video_kwargs=self._plan.video_kwargs,
        )
        self._failures = LogFailures(self._plan.run_id)
        try:
            self._run = start_run(self._plan, reinit="create_new")
        except Exception as error:  # noqa: BLE001 - never fail the Train run for W&B
            logger.warning("tune-wandb: no W&B run for Train run %r: %s", name, error)
            return
        self._best = define_best(self._run, self._plan.summary_metric, self._plan.summary_mode)
        mode = self._checkpoint_mode or settings.checkpoint_mode
        if mode is not None:
            if mode == "best" and self._plan.summary_metric is None:
                check_best_has_metric(settings, None)
            self._checkpoints = CheckpointUploader.for_run(self._run, self._plan, mode)

    def after_report(self, training_report: Any, metrics: list[dict[str, Any]]) -> None:
        """Log one report of the workers (``metrics[i]`` is rank i's) as a row."""
        checkpoint: Checkpoint | None = training_report.checkpoint
        run = self._run
        if run is None or not metrics:
            return
        if self.ranks == "zero":
            row: dict[str, Any] = dict(metrics[0])
        else:
            row = {f"rank_{rank}": dict(rank_metrics) for rank, rank_metrics in enumerate(metrics)}
        self._step += 1
        if self._failures.skipped():
            return
        try:
            cleaned = self._cleaner.clean(row).metrics
            run.log(cleaned, step=self._step, commit=True)
            self._failures.logged += 1
            if self._best is not None:
                self._best.observe(cleaned, self._step)
        except Exception as error:  # noqa: BLE001 - counted, reported once at finish
            self._failures.record(error)
        if self._checkpoints is not None and checkpoint is not None:
            result = {"training_iteration": self._step, **metrics[0]}
            self._checkpoints.saved(CheckpointFiles.of(checkpoint), result)

    def after_controller_finish(self, result: Any) -> None:
        """Finish the run before ``fit()`` returns: exit code 1 if the Train run failed."""
        run, self._run = self._run, None
        if run is None or self._plan is None:
            return
        checkpoints, self._checkpoints = self._checkpoints, None
        if checkpoints is not None:
            checkpoints.close(timeout=self._plan.upload_timeout)
        self._failures.report()
        write_best(run, self._best)
        exit_code = 1 if getattr(result, "error", None) is not None else 0
        finish_run(run, exit_code=exit_code, timeout=self._plan.upload_timeout)
