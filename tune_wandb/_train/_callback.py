"""``WandbTrainCallback``: one W&B run per Ray Train run, written from the Train controller.

Ray Train V2's ``RunConfig(callbacks=...)`` takes callbacks that run on the
Train controller. A ``ray.train.UserCallback`` sees each report and worker
errors but not the run's start or end, so this is instead one of the
controller's own callbacks (Ray's ``ControllerCallback`` and ``ReportCallback``,
``DeveloperAPI``), which ``RunConfig`` accepts as well:
``after_controller_start`` opens the run, ``after_report`` logs each report,
and ``after_controller_finish`` finishes the run, with exit code 1 if the run
failed, before ``fit()`` returns. The run is a
:class:`~tune_wandb._wandb._session.RunSession`, as every entry point's is.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tune_wandb._core._checkpoint_files import CheckpointFiles
from tune_wandb._core._checkpoint_mode import CheckpointMode
from tune_wandb._core._failure import Failure
from tune_wandb._core._identity import TrialIdentity
from tune_wandb._core._prepare import prepare
from tune_wandb._core._rank_plan import rank_plan
from tune_wandb._core._results import ResultCleaner
from tune_wandb._core._settings import WandbSettings
from tune_wandb._ray._cluster_store import shared_key
from tune_wandb._ray._compat import ControllerHooks
from tune_wandb._ray._hosts import find_host
from tune_wandb._ray._resources import assigned_gpus
from tune_wandb._wandb._compat import new_run_id
from tune_wandb._wandb._rank_run import RankRun
from tune_wandb._wandb._session import RunSession

if TYPE_CHECKING:
    import wandb
    from ray.train import Checkpoint
    from ray.train.v2._internal.execution.context import TrainRunContext

    from tune_wandb._core._plan import RunPlan

logger = logging.getLogger("tune_wandb")


class WandbTrainCallback(ControllerHooks):
    """Log what a Ray Train run's workers report with ``ray.train.report`` to one W&B run.

    Keyword arguments are :class:`~tune_wandb.WandbSettings` fields or
    ``wandb.init`` arguments, as for ``WandbLogger``; the ``"wandb"`` key of
    ``train_loop_config`` overrides them. The run's id is the Train run's, its
    name and group the run's name; a worker group Train restarts after a
    failure goes on in the same run. Rank 0's metrics are logged by default;
    ``ranks="all"`` logs every rank's under ``rank_<i>/``. Online, every
    worker also sends its system metrics and console output to the run,
    labelled ``rank_<i>`` (W&B's shared mode).

    Example::

        trainer = DataParallelTrainer(
            train_loop_per_worker,
            scaling_config=ScalingConfig(num_workers=2),
            run_config=ray.train.RunConfig(callbacks=[WandbTrainCallback(project="p")]),
        )
        trainer.fit()

    Args:
        settings: Base settings (a ``WandbSettings``), or ``wandb.init``'s own
            ``settings`` (a mapping or ``wandb.Settings``), as in ``WandbLogger``;
            keyword arguments are applied on top.
        ranks: ``"zero"``: rank 0's reports; ``"all"``: every rank's, prefixed.
        upload_checkpoints: The default of the ``upload_checkpoints`` setting:
            log reported checkpoints as versions of the run's artifact, as
            ``WandbLogger`` does: ``True`` or ``"all"``, ``"best"`` or ``"end"``;
            ``iter-<n>`` is the n-th report.
        **defaults: Any ``WandbSettings`` field or ``wandb.init()`` parameter.
    """

    __module__ = "tune_wandb"  # pickles name the public path, whatever the module

    def __init__(
        self,
        settings: WandbSettings | Mapping[str, Any] | wandb.Settings | None = None,
        *,
        ranks: Literal["zero", "all"] = "zero",
        upload_checkpoints: bool | CheckpointMode = False,
        **defaults: Any,
    ) -> None:
        if ranks not in ("zero", "all"):
            raise ValueError(
                f"WandbTrainCallback(ranks=...) must be 'zero' or 'all', got {ranks!r}."
            )
        if upload_checkpoints is not False:
            defaults = {"upload_checkpoints": upload_checkpoints, **defaults}
        self._defaults = WandbSettings.from_arguments(
            settings, defaults, source="WandbTrainCallback"
        )
        self.ranks = ranks
        self.upload_checkpoints = upload_checkpoints
        self._session: RunSession | None = None
        self._cleaner = ResultCleaner()
        self._step = 0
        #: The run's plan and settings, for each worker's labelled writer (online).
        self._shares: tuple[RunPlan, WandbSettings] | None = None
        #: In a worker (Train's copy of this callback): its writer.
        self._writer: RankRun | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_session": None, "_writer": None}

    # -- the controller's hooks -------------------------------------------------

    def after_controller_start(self, train_run_context: TrainRunContext) -> None:
        """Open the run as the Train run starts (on the controller); bad settings raise."""
        loop_config = train_run_context.train_loop_config or {}
        settings = WandbSettings.for_trial(loop_config, base=self._defaults)
        config = train_run_context.run_config
        identity = TrialIdentity.for_train_run(
            run_id=train_run_context.run_id,
            name=config.name or "ray_train_run",
            storage_path=config.storage_path or str(Path.cwd()),
            filesystem=getattr(config, "storage_filesystem", None),
        )
        plan = prepare(
            settings, identity, loop_config, entry="train callback", shared_keys=shared_key
        )
        self._cleaner = ResultCleaner(
            excludes=plan.excludes,
            log_config=False,
            trial=plan.run_id,
            image_kwargs=plan.image_kwargs,
            video_kwargs=plan.video_kwargs,
        )
        self._shares = (plan, settings)
        try:
            self._session = RunSession.start(
                plan, reinit="create_new", checkpoints=settings.checkpoint_mode
            )
        except Exception as error:  # noqa: BLE001 - never fail the Train run for W&B
            logger.warning(
                "tune-wandb: no W&B run for Train run %r: %s", identity.trial_name, error
            )

    def after_init_train_context(self) -> None:
        """In each worker: its system metrics and console output, labelled by rank, online."""
        shares = self._shares
        host = find_host(new_run_id)
        if shares is None or host.rank is None:
            return
        shared = rank_plan(*shares, rank=host.rank, gpus=assigned_gpus())
        if shared is None:
            return
        self._writer = writer = RankRun.start(shared)
        host.attach(writer.finish, lambda checkpoint, metrics: None)  # with its failure

    def before_worker_shutdown(self) -> None:
        """In each worker, if its training function's end was not seen: finish its writer."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.finish()

    def after_report(self, training_report: Any, metrics: list[dict[str, Any]]) -> None:
        """Log one report of the workers (``metrics[i]`` is rank i's) as a row."""
        checkpoint: Checkpoint | None = training_report.checkpoint
        session = self._session
        if session is None or not metrics:
            return
        if self.ranks == "zero":
            row: dict[str, Any] = dict(metrics[0])
        else:
            row = {f"rank_{rank}": dict(rank_metrics) for rank, rank_metrics in enumerate(metrics)}
        self._step += 1
        session.log_row(self._cleaner.clean(row).metrics, self._step, warn=self._cleaner.warn_once)
        if checkpoint is not None:
            result = {"training_iteration": self._step, **metrics[0]}
            session.saved(CheckpointFiles.of(checkpoint), result)

    def after_controller_finish(self, result: Any) -> None:
        """Finish the run before ``fit()`` returns: exit code 1 if the Train run failed."""
        session, self._session = self._session, None
        if session is not None:
            error = getattr(result, "error", None)
            failure = None if error is None else Failure.from_exception(error)
            session.finish(0 if failure is None else 1, failure=failure)
