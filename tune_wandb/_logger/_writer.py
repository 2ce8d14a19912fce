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
from typing import TYPE_CHECKING, Any

import attrs

from tune_wandb._log_failures import LogFailures
from tune_wandb._logger._media import MediaStore, without_missing
from tune_wandb._results import ResultCleaner
from tune_wandb._run import finish_run, is_offline, start_run

if TYPE_CHECKING:
    from wandb.sdk.wandb_run import Run

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
    """Log a trial's checkpoint folder as a W&B artifact."""

    trial_id: str
    path: str


@attrs.frozen
class Finish:
    """Finish a trial's run with an exit code (non-zero: failed)."""

    trial_id: str
    exit_code: int


@attrs.frozen
class Close:
    """Finish whatever is still open, then end the writer."""


Op = Start | Log | Save | Finish | Close


@attrs.define
class OpenRun:
    """A run the writer holds, with its trial's cleaning state."""

    run: Run
    plan: RunPlan
    cleaner: ResultCleaner
    failures: LogFailures
    last_step: int = 0


@attrs.frozen
class RunRecord:
    """What the writer knows about a run once it is finished: for the summary."""

    run_id: str
    trial_id: str
    folder: str
    url: str | None
    sync_dir: str | None
    offline: bool
    rows: int
    exit_code: int
    finished: bool


@attrs.define
class RunWriter:
    """Owns the logger's runs; carries out operations one at a time, in one process."""

    _runs: dict[str, OpenRun] = attrs.field(factory=dict, init=False)
    #: Finished runs, by trial id.
    records: dict[str, RunRecord] = attrs.field(factory=dict, init=False)
    #: Metric keys warned about, across the experiment's trials: one warning per key.
    _warned: set[str] = attrs.field(factory=set, init=False)
    _media: MediaStore = attrs.field(factory=MediaStore, init=False)

    def handle(self, op: Start | Log | Save | Finish) -> None:
        """Carry out one operation (in the process that owns the runs)."""
        if isinstance(op, Start):
            self._start(op)
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
            self._save(held, op.path)
        else:
            self._finish(held, op.exit_code)

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
                trial=plan.trial_id,
                warned=self._warned,
            ),
            failures=LogFailures(plan.run_id),
        )

    def _log(self, held: OpenRun, result: Mapping[str, Any]) -> None:
        if held.failures.skipped():
            return
        cleaned = held.cleaner.clean(result)
        try:
            if cleaned.config_update:
                held.run.config.update(  # type: ignore[no-untyped-call]  # wandb's Config.update is unannotated
                    cleaned.config_update, allow_val_change=True
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
        except Exception as error:  # noqa: BLE001 - counted, reported once at finish
            held.failures.record(error)

    def _save(self, held: OpenRun, path: str) -> None:
        import wandb

        try:
            artifact = wandb.Artifact(name=f"checkpoint-{held.plan.run_id}", type="model")
            artifact.add_dir(path)
            held.run.log_artifact(artifact)
        except Exception as error:  # noqa: BLE001 - a checkpoint upload never fails a trial
            logger.warning("tune-wandb: checkpoint %s not logged as an artifact: %s", path, error)

    def _finish(self, held: OpenRun, exit_code: int) -> None:
        plan = held.plan
        del self._runs[plan.trial_id]
        held.failures.report()
        run = held.run
        finished = finish_run(run, exit_code=exit_code, timeout=plan.upload_timeout)
        offline = is_offline(run)
        self.records[plan.trial_id] = RunRecord(
            run_id=plan.run_id,
            trial_id=plan.trial_id,
            folder=plan.folder,
            url=None if offline else run.url,
            sync_dir=run.settings.sync_dir,
            offline=offline,
            rows=held.failures.logged,
            exit_code=exit_code,
            finished=finished,
        )

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
            self._finish(held, exit_code=1)
        logger.debug("tune-wandb: closed runs in %.2f s", time.monotonic() - started)


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
