"""One W&B run from start to finish, the same for every entry point.

A :class:`RunSession` owns a started run and everything written to it: the
guarded ``log`` that never raises W&B's failures into a trial, the count of
rows logged and failed, the best value of the summary metric and its step,
the trial's checkpoints (picked, then logged in a thread), and the bounded
finish that says why the trial ended and returns a :class:`RunRecord`.

The logger's writer process holds one per trial; the mixins and
``setup_wandb`` one in the trial's process (:mod:`._trial_run` starts it in a
thread); ``WandbTrainCallback`` one on the Train controller. Whatever is added
to a run (console output, system metrics) is added here, once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import attrs

from tune_wandb._core._best import BEST_STEP, BestTracker
from tune_wandb._core._checkpoint_files import CheckpointFiles
from tune_wandb._core._checkpoint_mode import CheckpointMode
from tune_wandb._core._checkpoint_policy import CheckpointPicker, CheckpointVersion
from tune_wandb._core._console import ConsoleLines
from tune_wandb._core._failure import ERROR, Failure
from tune_wandb._core._log_failures import LogFailures
from tune_wandb._core._records import RunRecord, StopReason
from tune_wandb._core._results import RENAMED_PREFIX
from tune_wandb._core._tune_rows import TUNE_STEP
from tune_wandb._wandb import _compat
from tune_wandb._wandb._run import Reinit, finish_run, is_offline, start_run
from tune_wandb._wandb._uploader import CheckpointUploader

if TYPE_CHECKING:
    from wandb.sdk.wandb_run import Run

    from tune_wandb._core._plan import RunPlan

logger = logging.getLogger("tune_wandb")

#: The summary key that says why a trial ended; the same word is added to the run's tags.
STOP_REASON: Final = "tune/stop_reason"
#: The history and summary key counting a trial's config changes (PBT exploits).
PERTURBATIONS: Final = "tune/perturbations"
#: The summary key naming the process the run's system metrics sample (the trial's).
SAMPLED_PID: Final = "tune/pid"

#: Warns once about one value of a row that W&B refused: ``(key, why)``.
ValueWarning = Callable[[str, str], None]


@attrs.define
class RunSession:
    """A started run, with its guarded log, best value, checkpoints and bounded finish.

    Example::

        session = RunSession.start(plan, reinit="create_new")
        session.log_row({"loss": 0.1}, step=1)
        record = session.finish(exit_code=0, stop_reason="completed")
    """

    plan: RunPlan
    run: Run
    failures: LogFailures
    best: BestTracker | None = None
    #: Picks the trial's checkpoints by ``upload_checkpoints`` (where this process picks them).
    picker: CheckpointPicker | None = None
    #: The step the next row without a step of its own lands at (a resumed run goes on).
    next_step: int = 0
    #: Times the run's config followed its trial's (PBT exploits).
    perturbations: int = 0
    #: The run's own ``log``, before :meth:`guard` replaced it.
    _raw_log: Callable[..., None] | None = attrs.field(default=None, init=False)
    _uploader: CheckpointUploader | None = attrs.field(default=None, init=False)
    _record: RunRecord | None = attrs.field(default=None, init=False)
    #: The ``tune/`` metrics are charted against ``tune/training_iteration``.
    _tune_axis: bool = attrs.field(default=False, init=False)
    #: Console output written here (the logger's runs), by stream.
    _console: dict[str, ConsoleLines] = attrs.field(factory=dict, init=False)

    @classmethod
    def start(
        cls, plan: RunPlan, *, reinit: Reinit, checkpoints: CheckpointMode | None = None
    ) -> RunSession:
        """Start ``plan``'s run (offline if W&B cannot be reached).

        ``checkpoints`` picks the checkpoints :meth:`saved` is shown; leave it
        out where they are picked elsewhere (the logger picks on the driver).
        """
        run = start_run(plan, reinit=reinit)
        session = cls(plan=plan, run=run, failures=LogFailures(plan.run_id))
        session._raw_log = run.log
        session.best = session._define_best()
        session._continue_best()
        if plan.sampled_pid is not None:
            try:
                run.summary[SAMPLED_PID] = plan.sampled_pid
            except Exception:
                logger.debug("tune-wandb: sampled pid not written", exc_info=True)
        try:
            session.next_step = int(run.step)  # a resumed run goes on from its last step
        except Exception:  # noqa: BLE001 - a run whose service is gone starts at 0
            session.next_step = 0
        if checkpoints is not None:
            metric = plan.summary_metric
            best = BestTracker(metric, plan.summary_mode) if metric else None
            if best is not None and session.best is not None:
                # A continued run's checkpoints must beat its best so far to be "best".
                best.observe({best.metric: session.best.value}, session.best.step)
            session.picker = CheckpointPicker(plan.trial_id, checkpoints, best)
        return session

    def _define_best(self) -> BestTracker | None:
        """Have W&B keep the summary metric's best value; a tracker for its step."""
        metric = self.plan.summary_metric
        if not metric:
            return None
        try:
            self.run.define_metric(metric, summary=self.plan.summary_mode)
        except Exception as error:  # noqa: BLE001 - a summary nicety never fails a run
            logger.warning(
                "tune-wandb: run %r: best %s not summarised: %s", self.run.id, metric, error
            )
            return None
        return BestTracker(metric, self.plan.summary_mode)

    def _continue_best(self) -> None:
        """Start the best value from an earlier attempt of this run, where one left its record.

        Earlier attempts wrote folders of their own beside this one (offline, each
        attempt is a folder; online, each a local copy): the newest record of the
        same metric and mode wins.
        """
        best = self.best
        folder = Path(self.run.settings.sync_dir or ".")
        if best is None or not folder.parent.is_dir():
            return
        for record, of in RunRecord.saved_in(folder.parent, self.run.id):
            if (of["metric"], of["mode"]) == (best.metric, best.mode):
                best.observe({best.metric: record.best}, record.best_step)
                return

    # -- rows ------------------------------------------------------------------------

    def log(
        self, data: dict[str, Any], step: int | None = None, commit: bool | None = None
    ) -> None:
        """``run.log`` made safe for the trial: W&B's failures are counted, not raised.

        Mistakes in the call itself (a non-dict, a finished run) still raise, as
        they would without tune-wandb. Once the service connection is gone,
        later rows are counted without calling wandb, which would print an
        error each.
        """
        import wandb

        if self.failures.skipped():
            return
        row_step = step if step is not None else self.next_step
        try:
            self._log(data, step=step, commit=commit)
        except (ValueError, TypeError, wandb.errors.UsageError):
            raise
        except Exception as error:  # noqa: BLE001 - W&B's problem, not the trial's
            self.failures.record(error)
        else:
            self.failures.logged += 1
            if self.best is not None and isinstance(data, dict):
                self.best.observe(data, row_step)
        self.next_step = row_step + (0 if commit is False else 1)

    def guard(self) -> Callable[..., None]:
        """Make :meth:`log` the run's ``log`` (and ``wandb.log``, for the process's run)."""
        guarded = self.log
        _compat.replace_log(self.run, guarded)
        return guarded

    def _log(
        self, data: dict[str, Any], step: int | None = None, commit: bool | None = None
    ) -> None:
        log = self._raw_log or self.run.log
        log(data, step=step, commit=commit)

    def log_row(self, metrics: dict[str, Any], step: int, *, warn: ValueWarning) -> None:
        """Log one cleaned row at ``step``; a value W&B refuses costs only itself (``warn``).

        Connection errors (W&B's service is gone) are counted, as in :meth:`log`.
        """
        if not self._counted_row(metrics, step, warn):
            return
        self.next_step = step + 1
        if self.best is not None:
            self.best.observe(metrics, step)

    def _counted_row(self, metrics: dict[str, Any], step: int | None, warn: ValueWarning) -> bool:
        """Log ``metrics`` value by value if need be; whether the row counts as logged."""
        if self.failures.skipped():
            return False
        try:
            self._log_values(metrics, step, warn)
        except Exception as error:  # noqa: BLE001 - counted, reported once at finish
            self.failures.record(error)
            return False
        self.failures.logged += 1
        return True

    def _log_values(self, metrics: dict[str, Any], step: int | None, warn: ValueWarning) -> None:
        try:
            self._log(metrics, step=step, commit=True)
            return
        except ConnectionError:
            raise
        except Exception:  # noqa: BLE001 - find the value at fault, below
            pass
        for key, value in metrics.items():
            try:
                self._log({key: value}, step=step, commit=False)
            except ConnectionError:
                raise
            except Exception as error:  # noqa: BLE001 - this value only; warned once per key
                warn(
                    key,
                    f"is not logged: {type(value).__name__} failed "
                    f"({type(error).__name__}: {error})",
                )
        self._log({}, step=step, commit=True)

    def log_tune_row(self, row: dict[str, Any], *, warn: ValueWarning) -> None:
        """Log Tune's result as its own row (:mod:`tune_wandb._core._tune_rows`).

        The first one has W&B chart every ``tune/`` metric against
        ``tune/training_iteration``, so rows the user logs between them do not
        stretch Tune's charts. A value W&B refuses costs only itself (``warn``).
        """
        if not row:
            return
        if not self._tune_axis:
            self._tune_axis = True
            try:
                self.run.define_metric(TUNE_STEP)
                self.run.define_metric(RENAMED_PREFIX + "*", step_metric=TUNE_STEP)
            except Exception as error:  # noqa: BLE001 - a chart nicety never fails a run
                logger.debug("tune-wandb: tune/ axis not defined: %s", error)
        if self._counted_row(row, None, warn):
            self.next_step += 1

    def write_console(self, output: Mapping[str, str], *, final: bool = False) -> None:
        """Add what the trial printed (by stream) to the run's console output, key masked.

        Pieces join into whole lines; ``final`` passes on an unfinished last line.
        """
        if self.failures.skipped():
            return
        for stream, text in output.items():
            lines = self._console.setdefault(stream, ConsoleLines(secrets=self.plan.secrets))
            pieces = lines.feed(text)
            rest = lines.rest() if final else ""
            for line in [*pieces, *([rest + "\n"] if rest else [])]:
                try:
                    _compat.write_output(self.run, stream, line)
                except Exception as error:  # noqa: BLE001 - counted, reported once at finish
                    self.failures.record(error)
                    return

    def update_config(self, changes: Mapping[str, Any]) -> None:
        """Change the run's config (PBT changed the trial's); raises what W&B raised."""
        self.run.config.update(  # type: ignore[no-untyped-call]  # wandb's Config.update is unannotated
            dict(changes), allow_val_change=True
        )

    # -- checkpoints -------------------------------------------------------------------

    def saved(self, files: CheckpointFiles, result: Mapping[str, Any]) -> None:
        """The trial saved a checkpoint (``files``) with ``result``: log it if the mode says so.

        Its files are secured first (if the caller has not yet), so Tune may
        delete the checkpoint before the upload.
        """
        if self.picker is None:
            return
        version = self.picker.saved(files.secure(), result)
        if version is not None:
            self.log_checkpoint(version)

    def log_checkpoint(self, version: CheckpointVersion) -> None:
        """Log a picked checkpoint as a version of the run's artifact, in a thread."""
        if self._uploader is None:
            self._uploader = CheckpointUploader(self.run, self.plan.run_id)
        self._uploader.log(version)

    # -- the end -------------------------------------------------------------------------

    def finish(
        self,
        exit_code: int,
        *,
        stop_reason: StopReason | None = None,
        warn_best: bool = True,
        failure: Failure | None = None,
    ) -> RunRecord:
        """Finish the run, bounded by ``upload_timeout``; what it wrote, as a record.

        The last checkpoint (``"end"``) is logged first and the uploads waited
        for, the failed rows reported once, the best value's step and why the trial
        ended (and, for a failed trial, its ``failure``) written to the summary. A
        second call returns the first record.
        """
        if self._record is not None:
            return self._record
        plan = self.plan
        last = self.picker.ended() if self.picker is not None else None
        if last is not None:
            self.log_checkpoint(last)
        if self._uploader is not None:
            self._uploader.close(timeout=plan.upload_timeout)
        self.failures.report()
        self._write_best(warn=warn_best)
        self._mark_stopped(stop_reason, failure)
        finished = finish_run(self.run, exit_code=exit_code, timeout=plan.upload_timeout)
        offline = is_offline(self.run)
        best = self.best
        self._record = RunRecord(
            run_id=plan.run_id,
            trial_id=plan.trial_id,
            folder=plan.folder,
            url=None if offline else self.run.url,
            sync_dir=self.run.settings.sync_dir,
            offline=offline,
            rows=self.failures.logged,
            exit_code=exit_code,
            finished=finished,
            stop_reason=stop_reason,
            best=best.value if best else None,
            best_step=best.step if best else None,
            perturbations=self.perturbations,
        )
        self._record.save(metric=best.metric if best else None, mode=self.plan.summary_mode)
        return self._record

    def _write_best(self, *, warn: bool) -> None:
        """Put the step of the best value in the summary (``warn``: about a run without one)."""
        best = self.best
        if best is None:
            return
        if best.value is None:
            if warn:
                logger.warning(
                    "tune-wandb: run %r never logged a finite value of %r, the metric its "
                    "summary ranks by%s; check the metric's name (summary_metric, or "
                    "TuneConfig(metric=...)).",
                    self.run.id,
                    best.metric,
                    f" ({best.not_finite} NaN or infinite)" if best.not_finite else "",
                )
            return
        try:
            # W&B's own summary knows only this attempt's rows, and turns NaN once one
            # NaN is logged: the true best, of every attempt, stands instead.
            self.run.summary[best.metric] = {best.mode: best.value}
            self.run.summary[BEST_STEP] = best.step
        except Exception:
            logger.debug("tune-wandb: best step not written", exc_info=True)

    def _mark_stopped(self, stop_reason: StopReason | None, failure: Failure | None) -> None:
        """Say in the summary and tags why the trial ended (and how often PBT changed it)."""
        run = self.run
        try:
            if failure is not None:
                run.summary[ERROR] = failure.summary()
            if stop_reason is not None:
                run.summary[STOP_REASON] = stop_reason
                run.tags = (*[t for t in run.tags or () if t != stop_reason], stop_reason)
            if self.perturbations:
                run.summary[PERTURBATIONS] = self.perturbations
        except Exception:
            logger.debug("tune-wandb: stop reason not written", exc_info=True)
