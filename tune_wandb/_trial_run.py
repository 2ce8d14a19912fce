"""A run written from inside its trial (the mixins, ``setup_wandb``): started, guarded, finished.

The one path for runs that live in the trial's process: the plan (with the
experiment's metric, shared by the driver), ``wandb.init``, the guarded
``log`` that never raises W&B's failures into the trial, the best-value
summary, and a bounded finish that reports what failed.

The settings are checked at once, in the caller's thread; ``wandb.init`` (and
importing wandb, where the process has not yet) then runs in a thread of its
own, beside the trial's setup. Until it returns, the run is a stand-in that
waits for it (:mod:`tune_wandb._waiting`); so is ``wandb.run``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

import attrs

from tune_wandb import _provisional
from tune_wandb._best import BestTracker, define_best, write_best
from tune_wandb._checkpoint_files import Checkpoint, CheckpointFiles
from tune_wandb._checkpoint_policy import CheckpointMode, check_best_has_metric
from tune_wandb._checkpoint_uploader import CheckpointUploader
from tune_wandb._experiment import ExperimentFacts
from tune_wandb._log_failures import LogFailures, guard_log
from tune_wandb._plan import RunPlan
from tune_wandb._results import run_config
from tune_wandb._run import finish_run, forget_inherited_service, start_run
from tune_wandb._waiting import NotStarted, Waiting, install

if TYPE_CHECKING:
    from wandb.sdk.wandb_run import Run

    from tune_wandb._identity import TrialIdentity
    from tune_wandb._settings import WandbSettings


logger = logging.getLogger("tune_wandb")


@attrs.define
class TrialRun:
    """A trial's run, opened in the trial's process; it is also ``wandb.run``.

    Example::

        held = TrialRun.start(settings, identity, config, entry_point="the W&B mixin")
        held.handle.log({"loss": 0.1})  # waits for wandb.init only if it is still running
        held.finish(exit_code=0)
    """

    plan: RunPlan
    failures: LogFailures
    #: The summary metric was set for this run (not taken from the experiment): a run
    #: that never logs it is warned about.
    explicit: bool = False
    #: ``upload_checkpoints``, when set.
    checkpoint_mode: CheckpointMode | None = None
    best: BestTracker | None = None
    #: Logs the trial's checkpoints (set once the run has started).
    checkpoints: CheckpointUploader | None = None
    #: The run as the trial sees it: a stand-in until it has started, then the same.
    handle: Run = attrs.field(init=False)
    _run: Run | None = attrs.field(default=None, init=False)
    _error: BaseException | None = attrs.field(default=None, init=False)
    _starting: threading.Thread | None = attrs.field(default=None, init=False)
    _lock: threading.RLock = attrs.field(factory=threading.RLock, init=False)
    #: What waits for the run to start (marking, confirming, checkpoints), in order.
    _pending: list[Callable[[Run], None]] = attrs.field(factory=list, init=False)

    def __attrs_post_init__(self) -> None:
        self.handle = cast("Run", Waiting(lambda: self.run))

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

        Bad settings raise here; ``wandb.init`` runs in a thread. ``entry_point``
        names the caller in the error for a logger-only setting.
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
        held = cls(
            plan=plan,
            failures=LogFailures(plan.run_id),
            explicit=settings.summary_metric is not None,
            checkpoint_mode=mode,
        )
        install(held.handle)
        held._starting = threading.Thread(target=held._start, name="tune-wandb-start", daemon=True)
        held._starting.start()
        return held

    @property
    def run(self) -> Run:
        """The started run; waits for ``wandb.init``, and raises what it raised."""
        starting = self._starting
        if starting is threading.current_thread():
            raise NotStarted(f"run {self.plan.run_id!r} is being started in this thread")
        if starting is not None:
            starting.join()
        if self._error is not None:
            raise self._error
        assert self._run is not None
        return self._run

    @property
    def current(self) -> Run:
        """The run if it has started, else the stand-in (``wandb.run`` is the same)."""
        return self._run if self._run is not None else self.handle

    def _start(self) -> None:
        try:
            import wandb  # noqa: F401 - here, off the trial's path, if not imported yet

            install(self.handle)
            forget_inherited_service()
            run = start_run(self.plan, reinit="finish_previous")
            self.best = define_best(run, self.plan.summary_metric, self.plan.summary_mode)
            guard_log(run, self.failures, self.best)
            if self.checkpoint_mode is not None:
                self.checkpoints = CheckpointUploader.for_run(run, self.plan, self.checkpoint_mode)
        except BaseException as error:  # noqa: BLE001 - raised where the trial uses the run
            self._error = error
            self._pending.clear()
            return
        with self._lock:
            self._run = run
            for action in self._pending:
                action(run)
            self._pending.clear()

    def _when_started(self, action: Callable[[Run], None]) -> None:
        """Run ``action`` on the run now if it has started, else once it has (in order)."""
        with self._lock:
            if self._run is not None:
                action(self._run)
            elif self._error is None:
                self._pending.append(action)

    def start_failed(self) -> BaseException | None:
        """What ``wandb.init`` raised, once it has; ``None`` while it runs or if it started."""
        return self._error

    def saved(self, checkpoint: Checkpoint | None, metrics: Mapping[str, Any]) -> None:
        """The trial saved ``checkpoint`` (reported with ``metrics``): hand it to the uploader."""
        if self.checkpoint_mode is None or checkpoint is None:
            return
        files, result = CheckpointFiles.of(checkpoint), dict(metrics)

        def hand_over(run: Run) -> None:
            if self.checkpoints is not None:
                self.checkpoints.saved(files, result)

        self._when_started(hand_over)

    def mark_provisional(self) -> None:
        """The trial may yet train in another process (Tune's actor reuse)."""
        self._when_started(_provisional.mark_provisional)

    def confirm(self) -> None:
        """The trial trains here: this run is kept, provisional copies elsewhere go."""
        self._when_started(_provisional.confirm)

    def finish(self, exit_code: int, *, discard: bool = False) -> None:
        """Finish the run (bounded by ``upload_timeout``); ``discard`` a provisional one.

        Waits for the start first; a run that never started has nothing to finish.
        """
        try:
            run = self.run
        except BaseException as error:  # noqa: BLE001 - raised where the trial used the run
            logger.warning("tune-wandb: run %r never started: %s", self.plan.run_id, error)
            return
        if self.checkpoints is not None and not discard:
            self.checkpoints.close(timeout=self.plan.upload_timeout)
        self.failures.report()
        write_best(run, self.best, warn=self.explicit)
        finish_run(run, exit_code=exit_code, timeout=self.plan.upload_timeout)
        if discard:
            _provisional.discard(run)
        else:
            _provisional.confirm(run)
