"""The owner of every run the logger writes: one loop over queued operations.

Tune calls logger hooks inside its event loop, so the hooks only queue work;
a :class:`RunWriter` starts, logs to and finishes all runs
(``reinit="create_new"`` keeps them apart in one process), each a
:class:`~tune_wandb._wandb._session.RunSession`. The logger runs it in one
child process (:mod:`._child`): no process or actor per trial.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from tune_wandb._core._failure import Failure
from tune_wandb._core._lineage import LINEAGE, PARENT, PARENT_ITERATION, Exploit
from tune_wandb._core._records import RunRecord
from tune_wandb._core._results import ResultCleaner, run_config
from tune_wandb._logger._experiment_run import summary, table
from tune_wandb._logger._ops import Experiment, Finish, Log, Save, Start
from tune_wandb._wandb._media import MediaStore, without_missing
from tune_wandb._wandb._session import PERTURBATIONS, RunSession

logger = logging.getLogger("tune_wandb")


@attrs.define
class OpenTrial:
    """A trial's run in the writer, with what turns its Tune results into rows."""

    session: RunSession
    cleaner: ResultCleaner
    #: The trial config as last reported (as sent, and as logged), to see PBT change it.
    raw_config: Mapping[str, Any] | None = None
    config: dict[str, Any] | None = None
    #: The trial went back to an earlier iteration (a retry or restore from an
    #: earlier checkpoint), and this was said.
    went_back: bool = False
    #: PBT's exploits of this trial, as its run's summary keeps them.
    lineage: list[dict[str, Any]] = attrs.field(factory=list)
    #: The exploit the next row records.
    parent: Exploit | None = None


@attrs.define
class RunWriter:
    """Owns the logger's runs; carries out operations one at a time, in one process.

    A run's finish (its last uploads, bounded by ``upload_timeout``) goes on in a
    thread of its own, so a slow or unreachable server at one trial's end holds
    up neither the rows of the others nor the finishes of trials ending beside
    it. ``on_record`` hears of each finished run, in that thread.
    """

    on_record: Callable[[str, RunRecord], None] | None = None
    _trials: dict[str, OpenTrial] = attrs.field(factory=dict, init=False)
    #: Finished runs, by trial id.
    records: dict[str, RunRecord] = attrs.field(factory=dict, init=False)
    #: Metric keys warned about, across the experiment's trials: one warning per key.
    _warned: set[str] = attrs.field(factory=set, init=False)
    _media: MediaStore = attrs.field(factory=MediaStore, init=False)
    #: The summary metric, with how many rows had it NaN or infinite, across runs.
    _metric: str | None = attrs.field(default=None, init=False)
    _not_finite: int = attrs.field(default=0, init=False)
    _upload_timeout: float = attrs.field(default=0.0, init=False)
    _finishing: dict[str, threading.Thread] = attrs.field(factory=dict, init=False)
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False)

    def handle(self, op: Start | Log | Save | Finish | Experiment) -> None:
        """Carry out one operation (in the process that owns the runs)."""
        if isinstance(op, Start):
            self._start(op)
            return
        if isinstance(op, Experiment):
            self._experiment(op)
            return
        held = self._trials.get(op.trial_id)
        if held is None:
            return  # the run failed to start; that was reported
        if isinstance(op, Log):
            result = op.result
            missing = self._media.restore(result, op.files)
            if missing:
                result, dropped = without_missing(result, missing)
                for key, why in dropped.items():
                    held.cleaner.warn_once(key, why)
            if op.exploit is not None:
                self._exploited(held, op.exploit)
            if op.output:
                held.session.write_console(op.output)
            self._log(held, result)
        elif isinstance(op, Save):
            held.session.log_checkpoint(op.version)
        else:
            output = dict(op.output)
            failure = op.failure
            if failure is not None and failure.traceback and held.session.plan.log_console:
                # The failed trial's traceback follows what it printed, as in the mixins.
                output["stderr"] = output.get("stderr", "") + failure.traceback
            if output:
                held.session.write_console(output, final=True)
            self._finish(held, op.exit_code, op.stop_reason, op.failure)

    def _start(self, op: Start) -> None:
        plan = op.plan
        self._upload_timeout = max(self._upload_timeout, plan.upload_timeout)
        if plan.trial_id in self._trials:
            return  # a trial restarted after a failure continues its run
        self._settle(plan.trial_id)  # its earlier run, if any, is finished first
        try:
            session = RunSession.start(plan, reinit="create_new")
        except Exception as error:  # noqa: BLE001 - never kill Tune for W&B
            logger.warning("tune-wandb: no W&B run for trial %r: %s", plan.trial_id, error)
            return
        self._trials[plan.trial_id] = OpenTrial(
            session=session,
            cleaner=ResultCleaner(
                excludes=plan.excludes,
                log_config=plan.log_config,
                tune_prefix=plan.tune_prefix,
                image_kwargs=plan.image_kwargs,
                video_kwargs=plan.video_kwargs,
                trial=plan.trial_id,
                warned=self._warned,
            ),
        )

    def _log(self, held: OpenTrial, result: Mapping[str, Any]) -> None:
        session = held.session
        if session.failures.skipped():
            return
        cleaned = held.cleaner.clean(result)
        config_update = cleaned.config_update
        changed = self._config_changes(held, result.get("config"))
        if changed:
            # PBT exploited another trial: the run's config follows the trial's, and
            # the count steps up at this row, so charts show where it happened.
            session.perturbations += 1
            config_update = {**config_update, **changed}
            cleaned.metrics[PERTURBATIONS] = session.perturbations
        exploit, held.parent = held.parent, None
        if exploit is not None:
            cleaned.metrics[PARENT] = exploit.parent_id
            if exploit.parent_iteration is not None:
                cleaned.metrics[PARENT_ITERATION] = exploit.parent_iteration
        if config_update:
            try:
                session.update_config(config_update)
            except Exception as error:  # noqa: BLE001 - counted, reported once at finish
                session.failures.record(error)
                return
        iteration = result.get("training_iteration")
        last = max(session.next_step - 1, 0)  # a new run: iteration 1 is step 1
        step = iteration if isinstance(iteration, int) and iteration > last else last + 1
        if isinstance(iteration, int) and iteration <= last and not held.went_back:
            held.went_back = True
            logger.warning(
                "tune-wandb: trial %r went back to iteration %d after step %d (retried or "
                "restored from an earlier checkpoint). Its run keeps every row: the "
                "repeated iterations follow at later steps, and tune/training_iteration "
                "says which they are (a W&B run cannot go back in steps).",
                session.plan.trial_id,
                iteration,
                last,
            )
        session.log_row(cleaned.metrics, step, warn=held.cleaner.warn_once)

    def _exploited(self, held: OpenTrial, exploit: Exploit) -> None:
        """PBT cloned another trial into this one: the row about to be logged says which.

        The row gets ``tune/parent`` and ``tune/parent_iteration``; the run's
        summary keeps every exploit, with the configs before and after, as
        ``tune/lineage``.
        """
        parent = self._trials.get(exploit.parent_id)
        record = self.records.get(exploit.parent_id)
        parent_run = (
            parent.session.plan.run_id
            if parent is not None
            else (record.run_id if record is not None else None)
        )
        held.lineage.append(exploit.record(parent_run))
        held.parent = exploit
        try:
            held.session.run.summary[LINEAGE] = held.lineage
        except Exception as error:  # noqa: BLE001 - counted, reported once at finish
            held.session.failures.record(error)

    @staticmethod
    def _config_changes(held: OpenTrial, config: object) -> dict[str, Any]:
        """The keys of the trial config that changed since its last result (PBT)."""
        if not isinstance(config, Mapping) or config == held.raw_config:
            return {}  # the common case: compared as sent, not serialised every row
        held.raw_config = config
        plain = run_config(config, held.session.plan.excludes)
        before, held.config = held.config, plain
        if before is None or before == plain:
            return {}
        return {k: v for k, v in plain.items() if before.get(k) != v}

    def _finish(
        self, held: OpenTrial, exit_code: int, stop_reason: Any, failure: Failure | None = None
    ) -> None:
        session = held.session
        del self._trials[session.plan.trial_id]
        if session.best is not None:
            self._metric = session.best.metric
            self._not_finite += session.best.not_finite
        trial_id = session.plan.trial_id

        def finish() -> None:
            try:
                record = session.finish(
                    exit_code, stop_reason=stop_reason, warn_best=False, failure=failure
                )
            except Exception:
                logger.exception("tune-wandb: finishing run %r failed", trial_id)
                return
            with self._lock:
                self.records[trial_id] = record
            if self.on_record is not None:
                self.on_record(trial_id, record)

        thread = threading.Thread(target=finish, name=f"tune-wandb-finish-{trial_id}", daemon=True)
        self._finishing[trial_id] = thread
        thread.start()

    def _settle(self, trial_id: str | None = None) -> None:
        """Wait for the runs being finished (of ``trial_id`` only, if given)."""
        for tid, thread in list(self._finishing.items()):
            if trial_id is None or tid == trial_id:
                thread.join()  # bounded: a run's finish waits at most its upload_timeout
                del self._finishing[tid]

    def _experiment(self, op: Experiment) -> None:
        import wandb

        plan = op.plan
        self._upload_timeout = max(self._upload_timeout, plan.upload_timeout)
        self._settle()  # the table holds every trial's record
        try:
            session = RunSession.start(plan, reinit="create_new")
        except Exception as error:  # noqa: BLE001 - never kill Tune for W&B
            logger.warning("tune-wandb: no W&B experiment run: %s", error)
            return
        try:
            names, data, rows = table(op.trials, {**op.earlier, **self.records})
            columns: list[str | int] = list(names)
            trials = wandb.Table(columns=columns, data=data, allow_mixed_types=True)
            session.log({"trials": trials}, step=0)
            session.run.summary.update(summary(rows, op.metric, op.mode, op.exploits))
        except Exception as error:  # noqa: BLE001 - the trials' runs are written already
            logger.warning("tune-wandb: the experiment run's table was not written: %s", error)
        record = session.finish(0)
        with self._lock:
            self.records[plan.trial_id] = record
        if self.on_record is not None:
            self.on_record(plan.trial_id, record)

    def all_finished(self) -> bool:
        """Whether every run written here finished uploading in time."""
        return all(record.finished for record in self.records.values())

    def longest_upload_timeout(self) -> float:
        """The longest ``upload_timeout`` of the runs written here."""
        return self._upload_timeout

    def close_all(self) -> None:
        """Finish every run still open, as failed: its trial never ended (one warning)."""
        started = time.monotonic()
        open_trials = list(self._trials.values())
        if open_trials:
            logger.warning(
                "tune-wandb: %d trial(s) had not ended when the experiment did; their runs "
                "are marked failed (exit code 1), with every row Tune received: %s",
                len(open_trials),
                ", ".join(held.session.plan.run_id for held in open_trials),
            )
        for held in open_trials:
            self._finish(held, exit_code=1, stop_reason="interrupted")
        self._settle()
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
