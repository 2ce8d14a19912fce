"""A run written from inside its trial (the mixins, ``setup_wandb``), started beside its setup.

The plan is checked by the caller (:func:`tune_wandb._core._prepare.prepare`);
``wandb.init`` (and importing wandb, where the process has not yet) then runs
in a thread of its own, beside the trial's setup. Until it returns, the run
is a stand-in that waits for it (:mod:`._waiting`); so is ``wandb.run``. The
started run is a :class:`~tune_wandb._wandb._session.RunSession`, whose
guarded ``log`` is also the run's ``log`` and ``wandb.log``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

import attrs

from tune_wandb._core._checkpoint_files import Checkpoint, CheckpointFiles
from tune_wandb._core._records import RECORD_FILE
from tune_wandb._wandb import _compat, _provisional
from tune_wandb._wandb._console import CAPTURE
from tune_wandb._wandb._handoff import hand_off
from tune_wandb._wandb._run import is_offline
from tune_wandb._wandb._session import RunSession
from tune_wandb._wandb._waiting import NotStarted, Waiting, install

if TYPE_CHECKING:
    from wandb.sdk.wandb_run import Run

    from tune_wandb._core._checkpoint_mode import CheckpointMode
    from tune_wandb._core._failure import Failure
    from tune_wandb._core._plan import RunPlan
    from tune_wandb._core._records import RunRecord, StopReason
    from tune_wandb._core._tune_rows import TuneRows

logger = logging.getLogger("tune_wandb")


@attrs.define
class TrialRun:
    """A trial's run, opened in the trial's process; it is also ``wandb.run``.

    Example::

        held = TrialRun.start(plan, checkpoints=None)
        held.handle.log({"loss": 0.1})  # waits for wandb.init only if it is still running
        held.finish(exit_code=0)
    """

    plan: RunPlan
    #: The summary metric was set for this run (not taken from the experiment): a run
    #: that never logs it is warned about.
    explicit: bool = False
    #: ``upload_checkpoints``, when set.
    checkpoints: CheckpointMode | None = None
    #: Tune's results go into the run too (a ``WandbLogger`` left the trial to the mixin).
    tune_rows: TuneRows | None = None
    #: The run as the trial sees it: a stand-in until it has started, then the same.
    handle: Run = attrs.field(init=False)
    _session: RunSession | None = attrs.field(default=None, init=False)
    _error: BaseException | None = attrs.field(default=None, init=False)
    _starting: threading.Thread | None = attrs.field(default=None, init=False)
    _lock: threading.RLock = attrs.field(factory=threading.RLock, init=False)
    #: What waits for the run to start (marking, confirming, checkpoints), in order.
    _pending: list[Callable[[RunSession], None]] = attrs.field(factory=list, init=False)
    _record: RunRecord | None = attrs.field(default=None, init=False)

    def __attrs_post_init__(self) -> None:
        self.handle = cast("Run", Waiting(lambda: self.session.run))

    @classmethod
    def start(
        cls,
        plan: RunPlan,
        *,
        checkpoints: CheckpointMode | None,
        explicit: bool = False,
        tune_rows: TuneRows | None = None,
    ) -> TrialRun:
        """Start ``plan``'s run in a thread; ``checkpoints`` is ``upload_checkpoints``' mode."""
        held = cls(plan=plan, explicit=explicit, checkpoints=checkpoints, tune_rows=tune_rows)
        if plan.log_console:
            # From now, before wandb.init: what the setup prints waits for the run.
            CAPTURE.begin(secrets=plan.secrets)
        install(held.handle)
        held._starting = threading.Thread(target=held._start, name="tune-wandb-start", daemon=True)
        held._starting.start()
        return held

    @property
    def session(self) -> RunSession:
        """The started run's session; waits for ``wandb.init``, and raises what it raised."""
        starting = self._starting
        if starting is threading.current_thread():
            raise NotStarted(f"run {self.plan.run_id!r} is being started in this thread")
        if starting is not None:
            starting.join()
        if self._error is not None:
            raise self._error
        assert self._session is not None
        return self._session

    @property
    def run(self) -> Run:
        """The started run; waits for ``wandb.init``, and raises what it raised."""
        return self.session.run

    @property
    def current(self) -> Run:
        """The run if it has started, else the stand-in (``wandb.run`` is the same)."""
        return self._session.run if self._session is not None else self.handle

    def _start(self) -> None:
        try:
            import wandb  # noqa: F401 - here, off the trial's path, if not imported yet

            install(self.handle)
            _compat.forget_inherited_service()
            session = RunSession.start(
                self.plan, reinit="finish_previous", checkpoints=self.checkpoints
            )
            session.guard()
        except BaseException as error:  # noqa: BLE001 - raised where the trial uses the run
            self._error = error
            self._pending.clear()
            return
        with self._lock:
            self._session = session
            if self.plan.log_console:
                CAPTURE.attach(session.run)
            for action in self._pending:
                action(session)
            self._pending.clear()

    def _when_started(self, action: Callable[[RunSession], None]) -> None:
        """Run ``action`` on the session now if it has started, else once it has (in order)."""
        with self._lock:
            if self._session is not None:
                action(self._session)
            elif self._error is None:
                self._pending.append(action)

    def start_failed(self) -> BaseException | None:
        """What ``wandb.init`` raised, once it has; ``None`` while it runs or if it started."""
        return self._error

    def saved(self, checkpoint: Checkpoint | None, metrics: Mapping[str, Any]) -> None:
        """The trial saved ``checkpoint`` (reported with ``metrics``): hand it to the session."""
        if self.checkpoints is None or checkpoint is None:
            return
        # Secured now, in Tune's call: the run may still be starting, and Tune may
        # delete the checkpoint as soon as a newer one is registered (num_to_keep).
        files, result = CheckpointFiles.of(checkpoint).secure(), dict(metrics)
        self._when_started(lambda session: session.saved(files, result))

    def reported(self, result: Mapping[str, Any]) -> None:
        """Tune's ``result`` of this trial, logged under ``tune/`` when :attr:`tune_rows` is set."""
        rows = self.tune_rows
        if rows is None:
            return
        row = rows.row(result)
        if row:
            self._when_started(
                lambda session: session.log_tune_row(row, warn=rows.cleaner.warn_once)
            )

    def mark_provisional(self) -> None:
        """The trial may yet train in another process (Tune's actor reuse)."""
        self._when_started(lambda session: _provisional.mark_provisional(session.run))

    def confirm(self) -> None:
        """The trial trains here: this run is kept, provisional copies elsewhere go."""
        self._when_started(lambda session: _provisional.confirm(session.run))

    def finish(
        self,
        exit_code: int,
        *,
        discard: bool = False,
        failure: Failure | None = None,
        stop_reason: StopReason | None = None,
    ) -> RunRecord | None:
        """Finish the run (bounded by ``upload_timeout``); ``discard`` a provisional one.

        ``failure`` is why the trial failed and ``stop_reason`` why it ended,
        where known, for the run's summary.

        Waits for the start first; a run that never started has nothing to
        finish. A second call returns the first call's record.
        """
        if self._record is not None:
            return self._record
        try:
            session = self.session
        except BaseException as error:  # noqa: BLE001 - raised where the trial used the run
            if self.plan.log_console:
                CAPTURE.end()
            logger.warning("tune-wandb: run %r never started: %s", self.plan.run_id, error)
            return None
        if self.plan.log_console:
            # The last lines, and a failed trial's traceback, before the run finishes.
            CAPTURE.end(failure.traceback if failure is not None else None)
        if not discard and not is_offline(session.run):
            # Tune may end this process before the upload is done: a watcher that
            # outlives it finishes the job from the transaction log.
            run = session.run
            hand_off(
                run.settings.sync_dir,
                run=(run.entity or "", run.project or "", run.id),
                exit_code=exit_code,
                record_file=RECORD_FILE,
                timeout=self.plan.upload_timeout,
                api_key=self.plan.api_key,
                base_url=session.run.settings.base_url,
            )
        self._record = session.finish(
            exit_code, warn_best=self.explicit, failure=failure, stop_reason=stop_reason
        )
        if discard:
            _provisional.discard(session.run)
        else:
            _provisional.confirm(session.run)
        return self._record
