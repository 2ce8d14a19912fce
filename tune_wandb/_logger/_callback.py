"""``WandbLogger``: every result a trial reports to Tune, in that trial's W&B run.

A Tune ``LoggerCallback``. Its hooks run in Tune's event loop, so they only
validate (on the driver, before trials start) and queue work for one writer
process that owns every run (:mod:`._writer_process`).
"""

from __future__ import annotations

import logging
import secrets
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import attrs
from ray.tune.logger import LoggerCallback

from tune_wandb._core._best import BestTracker
from tune_wandb._core._checkpoint_files import CheckpointFiles
from tune_wandb._core._checkpoint_mode import CheckpointMode
from tune_wandb._core._checkpoint_policy import CheckpointPicker
from tune_wandb._core._console import FileTail
from tune_wandb._core._experiment import ExperimentFacts
from tune_wandb._core._failure import Failure
from tune_wandb._core._identity import TrialIdentity
from tune_wandb._core._lineage import Exploit
from tune_wandb._core._plan import resolve_mode, summary_metric
from tune_wandb._core._prepare import check, prepare, writes_own_run
from tune_wandb._core._rank_plan import trial_plan
from tune_wandb._core._records import RunRecord, StopReason
from tune_wandb._core._settings import WandbSettings
from tune_wandb._core._stops import reason_at_done
from tune_wandb._logger._experiment_run import experiment_op
from tune_wandb._logger._link import WriterLink
from tune_wandb._logger._node_share import NodeShares
from tune_wandb._logger._ops import Finish, Log, Save, Start
from tune_wandb._logger._summary import print_summary
from tune_wandb._ray import _compat
from tune_wandb._ray._experiment import (
    find_experiment,
    share_experiment,
    share_stop_reason,
    watch_lineage,
)
from tune_wandb._ray._resources import trial_process
from tune_wandb._wandb._media import read_media

if TYPE_CHECKING:
    import wandb
    from ray.tune.experiment import Trial

logger = logging.getLogger("tune_wandb")

#: API keys given to a ``WandbLogger`` constructor, by a token the logger keeps: in
#: this process's memory only. Tune pickles callbacks into the experiment folder
#: (``tuner.pkl``), and the key must not be written there; a logger unpickled in
#: this process (``Tuner.restore``) finds its key again by the token.
_CONSTRUCTOR_KEYS: Final[dict[str, str]] = {}


class WandbLogger(LoggerCallback):
    """Log every trial's Tune results to its own W&B run.

    Keyword arguments (or ``settings=WandbSettings(...)``) are defaults; a
    trial config's ``"wandb"`` key overrides them. Bad settings raise
    ``ValueError`` on the driver before any trial starts.

    Example::

        tuner = tune.Tuner(
            train_fn,
            param_space={"lr": tune.loguniform(1e-4, 1e-1)},
            run_config=tune.RunConfig(callbacks=[WandbLogger(project="mnist")]),
        )

    Args:
        settings: Base settings (a ``WandbSettings``); keyword arguments are
            applied on top. A string is the project, as the first argument of
            Ray's ``WandbLoggerCallback``. A ``wandb.Settings`` or a dict here is ``wandb.init``'s
            ``settings`` instead, as in a trial's ``"wandb"`` dict.
        upload_checkpoints: The default of the ``upload_checkpoints`` setting
            (a trial's ``config["wandb"]`` may set its own): log trial
            checkpoints as versions of a W&B artifact per trial (type
            ``model``, aliases ``latest``, ``best``, ``iter-<n>``): ``True``
            or ``"all"`` every checkpoint, ``"best"`` those that improve the
            trial's best value of the metric (``summary_metric``, else the
            experiment's), ``"end"`` each trial's last. Checkpoints on S3 or GCS are
            referenced, not copied.
        save_checkpoints: Ray's deprecated alias of ``upload_checkpoints``
            (a ``FutureWarning``).
        summary: Print a table of runs and how to view or upload them at the end.
        summary_metric: The metric whose best value each run's summary holds
            (and the printed table shows); defaults to the experiment's
            (``TuneConfig(metric=...)``).
        summary_mode: ``"min"`` or ``"max"``: what "best" means for
            ``summary_metric``; defaults to the experiment's mode.
        experiment_run: Write one more run, for the experiment, with a table of
            every trial (see the README).
        **defaults: Any ``WandbSettings`` field or ``wandb.init()`` parameter.

    After ``fit()``, :attr:`runs` holds a :class:`RunRecord` per trial and
    :attr:`experiment_run` the experiment run's.
    """

    __module__ = "tune_wandb"  # pickles name the public path, whatever the module
    #: Found among the experiment's callbacks (``LOGGER_MARK``): mixin trials log Tune's results.
    _tune_wandb_is_logger = True

    def __init__(
        self,
        settings: WandbSettings | str | Mapping[str, Any] | wandb.Settings | None = None,
        *,
        upload_checkpoints: bool | CheckpointMode = False,
        save_checkpoints: bool = False,
        summary: bool = True,
        summary_metric: str | None = None,
        summary_mode: Literal["min", "max"] | None = None,
        experiment_run: bool = True,
        **defaults: Any,
    ) -> None:
        if save_checkpoints:
            warnings.warn(
                "WandbLogger(save_checkpoints=...) is deprecated, as in Ray's "
                "WandbLoggerCallback; use upload_checkpoints=True.",
                FutureWarning,
                stacklevel=2,
            )
            upload_checkpoints = True
        if summary_mode not in (None, "min", "max"):
            raise ValueError(
                f"WandbLogger(summary_mode=...) must be 'min' or 'max', got {summary_mode!r}."
            )
        if summary_metric is not None:
            defaults["summary_metric"] = summary_metric
        if summary_mode is not None:
            defaults["summary_mode"] = summary_mode
        if upload_checkpoints is not False:
            defaults["upload_checkpoints"] = upload_checkpoints
        self._defaults = WandbSettings.from_arguments(settings, defaults, source="WandbLogger")
        self._key_token: str | None = None
        if self._defaults.api_key:
            self._key_token = secrets.token_hex(16)
            _CONSTRUCTOR_KEYS[self._key_token] = self._defaults.api_key
        self.upload_checkpoints = upload_checkpoints
        self.summary = summary
        self.experiment_run_enabled = experiment_run
        self._init_state()

    def _init_state(self) -> None:
        self._writer = WriterLink()
        self._settings: dict[str, WandbSettings] = {}
        self._mixin_trials: set[str] = set()
        #: Each trial's output files (Tune's log_to_file), read as results arrive.
        self._tails: dict[str, list[tuple[str, FileTail]]] = {}
        #: PBT's exploits, in order, and those whose trial has logged no row since.
        self._exploits: list[Exploit] = []
        self._unlogged_exploits: dict[str, Exploit] = {}
        #: Trials PBT exploited since Tune last handed over a result (see _date_exploits).
        self._undated: set[str] = set()
        self._pickers: dict[str, CheckpointPicker] = {}
        #: Writers on other nodes, sampling the logger's trials there (online).
        self._node_shares = NodeShares()
        self._facts = ExperimentFacts()
        #: Why each trial is ending, from the last result Tune marked done.
        self._done_reasons: dict[str, StopReason] = {}
        self._stop_reasons: dict[str, StopReason] = {}
        #: The experiment run's id, once its writing is queued.
        self._experiment_run_id: str | None = None
        #: Records of runs finished before ``Tuner.restore`` (from Tune's callback state).
        self._earlier: dict[str, RunRecord] = {}
        #: After ``fit()``: a record per run the logger wrote, by trial id.
        self.runs: dict[str, RunRecord] = {}
        #: After ``fit()``: the experiment run's record (``None`` if none was written).
        self.experiment_run: RunRecord | None = None

    def __getstate__(self) -> dict[str, Any]:
        # Tune pickles callbacks into the experiment folder: the writer stays behind,
        # and so does the API key (only a token to find it again in this process).
        return {
            "_defaults": attrs.evolve(self._defaults, api_key=None),
            "_key_token": self._key_token,
            "upload_checkpoints": self.upload_checkpoints,
            "summary": self.summary,
            "experiment_run_enabled": self.experiment_run_enabled,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if self.upload_checkpoints and not self._defaults.upload_checkpoints:
            # Pickled by 0.1.0, where it was the logger's own argument, not a setting.
            self._defaults = attrs.evolve(
                self._defaults, upload_checkpoints=self.upload_checkpoints
            )
        key = _CONSTRUCTOR_KEYS.get(self._key_token or "")
        if key is not None:
            self._defaults = attrs.evolve(self._defaults, api_key=key)
        elif self._key_token is not None:
            logger.warning(
                "tune-wandb: the api_key given to WandbLogger(...) is not saved with the "
                "experiment, so this process does not know it; set WANDB_API_KEY, or give "
                "the logger api_key_file=..., when restoring."
            )
        self._init_state()

    def __repr__(self) -> str:
        return f"WandbLogger({self._defaults!r})"

    def get_state(self) -> dict[str, Any] | None:
        """Tune's experiment checkpoint: why trials ended and their runs' records, for restore."""
        records = self._trial_records()
        if not records and not self._stop_reasons:
            return None
        return {
            "stop_reasons": dict(self._stop_reasons),
            "records": {k: attrs.asdict(v) for k, v in records.items()},
        }

    def set_state(self, state: dict[str, Any]) -> None:
        """``Tuner.restore``: the experiment table keeps the trials that ended before."""
        self._stop_reasons.update(state.get("stop_reasons", {}))
        for trial_id, fields in state.get("records", {}).items():
            self._earlier[trial_id] = RunRecord(**fields)

    # -- Tune hooks: validate, then queue ----------------------------------

    def setup(self, *args: Any, **info: Any) -> None:
        """At experiment start: learn the experiment, and start the writer process."""
        self._facts = find_experiment()
        share_experiment(self._facts)  # for mixin trials' summaries
        watch_lineage(self._exploited)  # PBT's exploits, which Tune tells no callback
        check(self._defaults, "logger", self._facts, environment=False)
        self._writer.start()
        if self._defaults.log_system_metrics and resolve_mode(self._defaults) == "online":
            self._node_shares.warm()  # trials on other nodes are sampled there

    @property
    def summary_metric(self) -> str | None:
        """The metric runs are ranked by: ``summary_metric=``, else the experiment's."""
        return summary_metric(self._defaults, self._facts)[0]

    @property
    def summary_mode(self) -> str:
        """``"min"`` or ``"max"``, for :attr:`summary_metric`."""
        return summary_metric(self._defaults, self._facts)[1]

    def on_step_begin(self, iteration: int, trials: list[Trial], **info: Any) -> None:
        """Trials are checked as Tune adds them, before they start: bad settings stop fit()."""
        if len(trials) > len(self._settings):
            for trial in trials:
                self._settings_for(trial)

    def log_trial_start(self, trial: Trial) -> None:
        if self._uses_mixin(trial):
            return
        settings = self._settings_for(trial)
        where = trial_process(trial) if settings.log_system_metrics else None
        pid, node = where if where is not None else (None, None)
        plan = prepare(
            settings,
            TrialIdentity.from_trial(trial),
            trial.config,
            entry="logger",
            experiment=self._facts,
            stats_pid=pid if node is None else None,
        )
        remote = None if node is None or pid is None else trial_plan(plan, settings, pid=pid)
        if remote is not None:
            plan = attrs.evolve(plan, sampled_pid=pid)  # sampled on its node, for the summary
        self._writer.submit(Start(plan))
        if remote is not None and node is not None:
            self._node_shares.start(remote, node)

    def log_trial_result(self, iteration: int, trial: Trial, result: dict[str, Any]) -> None:
        if result.get("done"):
            self._done_reasons[trial.trial_id] = reason_at_done(
                trial.stopping_criterion, result, self._facts
            )
        self._date_exploits(trial, result)
        if trial.trial_id not in self._mixin_trials:
            # Media objects point to files in the trial's process, alive until Tune
            # stops it, which it does only after this call: read them now.
            exploit = self._unlogged_exploits.pop(trial.trial_id, None)
            self._writer.submit(
                Log(
                    trial.trial_id,
                    dict(result),
                    read_media(result),
                    exploit,
                    output=self._printed(trial),
                )
            )

    def _printed(self, trial: Trial) -> dict[str, str]:
        """What the trial printed since the last look, by stream, from Tune's ``log_to_file``.

        The logger's runs live on the driver, so it reads the files Tune writes
        in the trial's working folder (on one machine; a trial on another node
        is not read). Nothing without ``log_to_file`` or with ``log_console=False``.
        """
        tails = self._tails.get(trial.trial_id)
        if tails is None:
            tails = []
            try:
                if self._settings_for(trial).log_console:
                    files = _compat.trial_output_files(trial)
                    tails = [(stream, FileTail(path)) for stream, path in files.items()]
            except Exception:
                logger.debug("tune-wandb: trial output files not found", exc_info=True)
            self._tails[trial.trial_id] = tails
        printed = {stream: tail.read() for stream, tail in tails}
        return {stream: text for stream, text in printed.items() if text}

    def _exploited(self, exploit: Exploit) -> None:
        """PBT exploited a trial (Tune's loop); dated by the next result Tune hands over."""
        self._exploits.append(exploit)
        self._unlogged_exploits[exploit.trial_id] = exploit
        self._undated.add(exploit.trial_id)

    def _date_exploits(self, trial: Trial, result: Mapping[str, Any]) -> None:
        """Date the exploits PBT made while Tune handled this result.

        Asynchronous PBT exploits a trial on its own result, before Tune hands
        that result to callbacks: it is exploited at this result's iteration.
        Synchronous PBT exploits the trials it paused while handling another
        trial's result: each was exploited at its last result (already logged),
        as the watcher recorded it; its next row carries the exploit.
        """
        if trial.trial_id in self._undated:
            exploit = self._unlogged_exploits.get(trial.trial_id)
            if exploit is not None:
                dated = self._exploited_at(exploit, result.get("training_iteration"))
                self._unlogged_exploits[trial.trial_id] = dated
        self._undated.clear()

    def _exploited_at(self, exploit: Exploit, iteration: object) -> Exploit:
        """``exploit`` at the iteration of the result PBT decided on (here and in the list)."""
        if not isinstance(iteration, int):
            return exploit
        dated = attrs.evolve(exploit, at_iteration=iteration)
        self._exploits = [dated if e is exploit else e for e in self._exploits]
        return dated

    def log_trial_save(self, trial: Trial) -> None:
        if trial.trial_id in self._mixin_trials:
            return  # the mixin logs its trial's checkpoints itself
        checkpoint = trial.checkpoint
        picker = self._picker(trial)
        if checkpoint is None or picker is None:
            return
        # Secured here, as Tune reports it: the writer logs it later, and Tune may delete
        # it as soon as a newer one is registered (num_to_keep).
        files = CheckpointFiles.of(checkpoint).secure()
        version = picker.saved(files, trial.last_result or {})
        if version is not None:
            self._writer.submit(Save(trial.trial_id, version))

    def log_trial_end(self, trial: Trial, failed: bool = False) -> None:
        reason: StopReason = (
            "error" if failed else self._done_reasons.pop(trial.trial_id, "completed")
        )
        self._stop_reasons[trial.trial_id] = reason
        if trial.trial_id in self._mixin_trials:
            share_stop_reason(trial.trial_id, reason)  # the mixin's run says it at its finish
        else:
            picker = self._pickers.pop(trial.trial_id, None)
            last = picker.ended() if picker is not None else None
            if last is not None:
                self._writer.submit(Save(trial.trial_id, last))
            failure = _recorded_failure(trial) if failed else None
            output = self._printed(trial)
            self._tails.pop(trial.trial_id, None)
            self._node_shares.stop(trial.trial_id)
            self._writer.submit(
                Finish(trial.trial_id, 1 if failed else 0, reason, failure, output=output)
            )

    def on_experiment_end(self, trials: list[Trial], **info: Any) -> None:
        """Write the experiment run, and wait (bounded by ``upload_timeout``) for every run."""
        metric, mode = self.summary_metric, self.summary_mode
        # The mixins' runs are finished by now (Tune stops every trial's actor first).
        mixins = self._mixin_records(trials)
        if self.experiment_run_enabled and trials:
            self._write_experiment_run(trials, metric, mode, mixins)
        # The trials' last finishes (side by side), then the experiment run's start and
        # finish: each bounded by its own timeout.
        defaults = self._defaults
        self._writer.close(timeout=2 * defaults.upload_timeout + defaults.init_timeout)
        self.runs = {**mixins, **self._trial_records()}
        experiment = self._writer.records.get(self._experiment_run_id or "")
        self.experiment_run = experiment
        if self.summary and (self.runs or experiment or self._writer.lost_rows):
            print_summary(
                self.runs,
                trials,
                metric=metric,
                mode=mode,
                lost=self._writer.lost_rows,
                experiment=experiment,
            )

    # -- helpers -------------------------------------------------------------

    def _mixin_records(self, trials: list[Trial]) -> dict[str, RunRecord]:
        """The records of the runs the mixins wrote for their trials (each in its run's folder).

        Said once, with how many trials: the logger leaves them to the mixin.
        """
        records: dict[str, RunRecord] = {}
        for trial in trials:
            if trial.trial_id not in self._mixin_trials:
                continue
            folder = Path(TrialIdentity.from_trial(trial).folder, "wandb")
            for record, _ in RunRecord.saved_in(folder):
                if record.trial_id == trial.trial_id:
                    records[trial.trial_id] = record
                    break
        if self._mixin_trials:
            logger.warning(
                "tune-wandb: %d trial(s) use the W&B mixin, which writes their runs; "
                "WandbLogger left them to it, so each trial has one run, with Tune's "
                "results under tune/ (%d found, listed below).",
                len(self._mixin_trials),
                len(records),
            )
        return records

    def _write_experiment_run(
        self,
        trials: list[Trial],
        metric: str | None,
        mode: str,
        mixins: Mapping[str, RunRecord],
    ) -> None:
        # The trials' runs are finished first (their records carry best values); the
        # writer handles operations in order, so the experiment run is written after.
        for trial in trials:
            if trial.trial_id not in self._stop_reasons and trial.status != "TERMINATED":
                self._stop_reasons[trial.trial_id] = (
                    "error" if trial.status == "ERROR" else "interrupted"
                )
        try:
            # The experiment run goes where the trials' runs went: the first trial's
            # settings (its project may be set in the trial config only).
            settings = self._settings_for(trials[0])
            earlier = {**mixins, **self._earlier}
            op = experiment_op(
                settings,
                self._facts,
                trials,
                self._stop_reasons,
                earlier,
                metric,
                mode,
                self._exploits,
            )
        except Exception as error:  # noqa: BLE001 - the trials' runs are what matters
            logger.warning("tune-wandb: no experiment run written: %s", error)
            return
        self._experiment_run_id = op.plan.trial_id
        self._writer.submit(op)

    def _picker(self, trial: Trial) -> CheckpointPicker | None:
        """The trial's checkpoint picker; ``None`` if its checkpoints are not logged.

        ``WandbLogger(upload_checkpoints=...)`` sets the mode for every trial; a
        trial's ``config["wandb"]["upload_checkpoints"]`` for its own.
        """
        picker = self._pickers.get(trial.trial_id)
        if picker is None:
            settings = self._settings_for(trial)
            mode = settings.checkpoint_mode
            if mode is None:
                return None
            metric, order = summary_metric(settings, self._facts)
            best = BestTracker(metric, order) if metric else None
            if best is not None:
                # Restored or retried: its checkpoints must beat its earlier attempts' best,
                # which each attempt's run keeps in its folder (once per trial, on disk).
                for earlier, _ in RunRecord.saved_in(Path(trial.path or ".", "wandb")):
                    if earlier.trial_id == trial.trial_id and earlier.best is not None:
                        best.observe({best.metric: earlier.best}, earlier.best_step)
                        break
            picker = self._pickers[trial.trial_id] = CheckpointPicker(trial.trial_id, mode, best)
        return picker

    def _trial_records(self) -> dict[str, RunRecord]:
        """The trials' run records, those written before a restore included."""
        records = {**self._earlier, **self._writer.records}
        records.pop(self._experiment_run_id or "", None)
        return records

    def _settings_for(self, trial: Trial) -> WandbSettings:
        settings = self._settings.get(trial.trial_id)
        if settings is None:
            settings = WandbSettings.for_trial(trial.config, base=self._defaults)
            check(settings, "logger", self._facts)
            self._settings[trial.trial_id] = settings
        return settings

    def _uses_mixin(self, trial: Trial) -> bool:
        if trial.trial_id in self._mixin_trials:
            return True
        try:
            cls = trial.get_trainable_cls()
        except Exception:  # noqa: BLE001 - an unregistered trainable cannot be a mixin
            return False
        if cls is not None and writes_own_run(cls):
            self._mixin_trials.add(trial.trial_id)
            return True
        return False


def _recorded_failure(trial: Trial) -> Failure | None:
    """The error Tune recorded for ``trial`` (its ``error.txt`` on the driver), if readable."""
    path = trial.error_file
    try:
        return Failure.from_text(Path(path).read_text(errors="replace")) if path else None
    except OSError:
        return None
