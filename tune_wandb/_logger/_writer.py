"""The owner of every run the logger writes: one loop over queued operations.

Tune calls logger hooks inside its event loop, so the hooks only queue work;
a :class:`RunWriter` starts, logs to and finishes all runs
(``reinit="create_new"`` keeps them apart in one process). The logger runs it
in one child process (:mod:`._writer_process`): no process or actor per
trial. Operations name the trial by its Tune trial id; the run's id is the
plan's business.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import attrs

from tune_wandb._best import BestTracker, define_best, write_best
from tune_wandb._checkpoint_files import log_version
from tune_wandb._checkpoint_policy import CheckpointVersion
from tune_wandb._log_failures import LogFailures
from tune_wandb._logger._experiment_run import summary, table
from tune_wandb._logger._media import MediaStore, without_missing
from tune_wandb._logger._records import RunRecord, StopReason
from tune_wandb._results import ResultCleaner, run_config
from tune_wandb._run import finish_run, is_offline, start_run

if TYPE_CHECKING:
    from wandb.sdk.wandb_run import Run

    from tune_wandb._logger._experiment_run import TrialFacts
    from tune_wandb._plan import RunPlan

logger = logging.getLogger("tune_wandb")


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

    @property
    def trial_id(self) -> str:
        """The experiment run is kept with the trials' records, by its run id."""
        return self.plan.trial_id


@attrs.frozen
class Close:
    """Finish whatever is still open, then end the writer."""


Op = Start | Log | Save | Finish | Experiment | Close

#: The summary key that says why a trial ended; the same word is added to the run's tags.
STOP_REASON: Final = "tune/stop_reason"
#: The history and summary key counting a trial's config changes (PBT exploits).
PERTURBATIONS: Final = "tune/perturbations"


@attrs.define
class OpenRun:
    """A run the writer holds, with its trial's cleaning state."""

    run: Run
    plan: RunPlan
    cleaner: ResultCleaner
    failures: LogFailures
    best: BestTracker | None = None
    last_step: int = 0
    #: The trial config as last reported (as sent, and as logged), to see PBT change it.
    raw_config: Mapping[str, Any] | None = None
    config: dict[str, Any] | None = None
    perturbations: int = 0


@attrs.define
class RunWriter:
    """Owns the logger's runs; carries out operations one at a time, in one process."""

    _runs: dict[str, OpenRun] = attrs.field(factory=dict, init=False)
    #: Finished runs, by trial id.
    records: dict[str, RunRecord] = attrs.field(factory=dict, init=False)
    #: Metric keys warned about, across the experiment's trials: one warning per key.
    _warned: set[str] = attrs.field(factory=set, init=False)
    _media: MediaStore = attrs.field(factory=MediaStore, init=False)
    #: The summary metric, with how many rows had it NaN or infinite, across runs.
    _metric: str | None = attrs.field(default=None, init=False)
    _not_finite: int = attrs.field(default=0, init=False)

    def handle(self, op: Start | Log | Save | Finish | Experiment) -> None:
        """Carry out one operation (in the process that owns the runs)."""
        if isinstance(op, Start):
            self._start(op)
            return
        if isinstance(op, Experiment):
            self._experiment(op)
            return
        held = self._runs.get(op.trial_id)
        if held is None:
            return  # the run failed to start; that was reported
        if isinstance(op, Log):
            result = op.result
            missing = self._media.restore(result, op.files)
            if missing:
                result, dropped = without_missing(result, missing)
                for key, why in dropped.items():
                    held.cleaner.warn_once(key, why)
            self._log(held, result)
        elif isinstance(op, Save):
            self._save(held, op)
        else:
            self._finish(held, op.exit_code, op.stop_reason)

    def _start(self, op: Start) -> None:
        plan = op.plan
        if plan.trial_id in self._runs:
            return  # a trial restarted after a failure continues its run
        try:
            run = start_run(plan, reinit="create_new")
        except Exception as error:  # noqa: BLE001 - never kill Tune for W&B
            logger.warning("tune-wandb: no W&B run for trial %r: %s", plan.trial_id, error)
            return
        self._runs[plan.trial_id] = OpenRun(
            run=run,
            plan=plan,
            cleaner=ResultCleaner(
                excludes=plan.excludes,
                log_config=plan.log_config,
                tune_prefix=plan.tune_prefix,
                image_kwargs=plan.image_kwargs,
                video_kwargs=plan.video_kwargs,
                trial=plan.trial_id,
                warned=self._warned,
            ),
            failures=LogFailures(plan.run_id),
            best=define_best(run, plan.summary_metric, plan.summary_mode),
        )

    def _log(self, held: OpenRun, result: Mapping[str, Any]) -> None:
        if held.failures.skipped():
            return
        cleaned = held.cleaner.clean(result)
        config_update = cleaned.config_update
        changed = self._config_changes(held, result.get("config"))
        if changed:
            # PBT exploited another trial: the run's config follows the trial's, and
            # the count steps up at this row, so charts show where it happened.
            held.perturbations += 1
            config_update = {**config_update, **changed}
            cleaned.metrics[PERTURBATIONS] = held.perturbations
        try:
            if config_update:
                held.run.config.update(  # type: ignore[no-untyped-call]  # wandb's Config.update is unannotated
                    config_update, allow_val_change=True
                )
            iteration = result.get("training_iteration")
            step = (
                iteration
                if isinstance(iteration, int) and iteration > held.last_step
                else held.last_step + 1
            )
            _log_row(held, cleaned.metrics, step)
            held.last_step = step
            held.failures.logged += 1
            if held.best is not None:
                held.best.observe(cleaned.metrics, step)
        except Exception as error:  # noqa: BLE001 - counted, reported once at finish
            held.failures.record(error)

    @staticmethod
    def _config_changes(held: OpenRun, config: object) -> dict[str, Any]:
        """The keys of the trial config that changed since its last result (PBT)."""
        if not isinstance(config, Mapping) or config == held.raw_config:
            return {}  # the common case: compared as sent, not serialised every row
        held.raw_config = config
        plain = run_config(config, held.plan.excludes)
        before, held.config = held.config, plain
        if before is None or before == plain:
            return {}
        return {k: v for k, v in plain.items() if before.get(k) != v}

    def _save(self, held: OpenRun, op: Save) -> None:
        log_version(held.run, held.plan.run_id, op.version)

    def _finish(self, held: OpenRun, exit_code: int, stop_reason: StopReason | None) -> None:
        plan = held.plan
        del self._runs[plan.trial_id]
        held.failures.report()
        run = held.run
        write_best(run, held.best, warn=False)
        if held.best is not None:
            self._metric = held.best.metric
            self._not_finite += held.best.not_finite
        _mark_stopped(run, stop_reason, held.perturbations)
        self.records[plan.trial_id] = _finished_record(
            plan,
            run,
            rows=held.failures.logged,
            exit_code=exit_code,
            stop_reason=stop_reason,
            best=held.best.value if held.best else None,
            best_step=held.best.step if held.best else None,
            perturbations=held.perturbations,
        )

    def _experiment(self, op: Experiment) -> None:
        import wandb

        plan = op.plan
        try:
            run = start_run(plan, reinit="create_new")
        except Exception as error:  # noqa: BLE001 - never kill Tune for W&B
            logger.warning("tune-wandb: no W&B experiment run: %s", error)
            return
        logged = 0
        try:
            names, data, rows = table(op.trials, {**op.earlier, **self.records})
            columns: list[str | int] = list(names)
            trials = wandb.Table(columns=columns, data=data, allow_mixed_types=True)
            run.log({"trials": trials}, step=0)
            logged = 1
            run.summary.update(summary(rows, op.metric, op.mode))
        except Exception as error:  # noqa: BLE001 - the trials' runs are written already
            logger.warning("tune-wandb: the experiment run's table was not written: %s", error)
        self.records[plan.trial_id] = _finished_record(plan, run, rows=logged, exit_code=0)

    def close_all(self) -> None:
        """Finish every run still open, as failed: its trial never ended (one warning)."""
        started = time.monotonic()
        open_runs = list(self._runs.values())
        if open_runs:
            logger.warning(
                "tune-wandb: %d trial(s) had not ended when the experiment did; their runs "
                "are marked failed (exit code 1), with every row Tune received: %s",
                len(open_runs),
                ", ".join(held.plan.run_id for held in open_runs),
            )
        for held in open_runs:
            self._finish(held, exit_code=1, stop_reason="interrupted")
        self._warn_about_metric()
        logger.debug("tune-wandb: closed runs in %.2f s", time.monotonic() - started)

    def _warn_about_metric(self) -> None:
        """Once per experiment: a summary metric no run logged, or logged as NaN."""
        if self._metric is None:
            return
        if self.records and all(
            r.best is None for r in self.records.values() if r.stop_reason is not None
        ):
            logger.warning(
                "tune-wandb: no trial reported a finite value of %r, the metric run summaries "
                "rank by; check its name (TuneConfig(metric=...) or WandbLogger(summary_metric="
                "...)). The runs and the experiment table are written without best values.",
                self._metric,
            )
        elif self._not_finite:
            logger.warning(
                "tune-wandb: %d result(s) reported %r as NaN or infinite; they are logged, "
                "but never count as a run's best value.",
                self._not_finite,
                self._metric,
            )


def _finished_record(
    plan: RunPlan, run: Run, *, rows: int, exit_code: int, **outcome: Any
) -> RunRecord:
    """Finish ``run`` (bounded by ``upload_timeout``) and record where and how it ended."""
    finished = finish_run(run, exit_code=exit_code, timeout=plan.upload_timeout)
    offline = is_offline(run)
    return RunRecord(
        run_id=plan.run_id,
        trial_id=plan.trial_id,
        folder=plan.folder,
        url=None if offline else run.url,
        sync_dir=run.settings.sync_dir,
        offline=offline,
        rows=rows,
        exit_code=exit_code,
        finished=finished,
        **outcome,
    )


def _mark_stopped(run: Run, stop_reason: StopReason | None, perturbations: int) -> None:
    """Say in the run's summary and tags why its trial ended (and how often PBT changed it)."""
    try:
        if stop_reason is not None:
            run.summary[STOP_REASON] = stop_reason
            run.tags = (*[t for t in run.tags or () if t != stop_reason], stop_reason)
        if perturbations:
            run.summary[PERTURBATIONS] = perturbations
    except Exception:
        logger.debug("tune-wandb: stop reason not written", exc_info=True)


def _log_row(held: OpenRun, metrics: dict[str, Any], step: int) -> None:
    """Log one row; a value W&B fails on (a media file gone) costs only itself.

    Connection errors (W&B's service is gone) are raised for the caller to count.
    """
    try:
        held.run.log(metrics, step=step, commit=True)
        return
    except ConnectionError:
        raise
    except Exception:  # noqa: BLE001 - find the value at fault, below
        pass
    for key, value in metrics.items():
        try:
            held.run.log({key: value}, step=step, commit=False)
        except ConnectionError:
            raise
        except Exception as error:  # noqa: BLE001 - this value only; warned once per key
            why = f"{type(value).__name__} failed ({type(error).__name__}: {error})"
            held.cleaner.warn_once(key, f"is not logged: {why}")
    held.run.log({}, step=step, commit=True)
