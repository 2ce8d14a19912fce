"""``setup_wandb``: a drop-in for Ray's, whose run is finished for you, with every row.

Ray's ``ray.air.integrations.wandb.setup_wandb`` leaves finishing the run to
the user; used as its docstring shows, the worker was ended before wandb wrote
(0 of 30 rows kept), and in a Ray Train V2 worker it logged one run per rank.
This one takes the same arguments, reads ``config["wandb"]`` through
:class:`~tune_wandb.WandbSettings`, names the run after the Tune trial or the
Train run it is called in, and finishes it when that ends (exit code 1 if it
raised), before Ray can end the process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tune_wandb._core._failure import Failure
from tune_wandb._core._plan import resolve_project
from tune_wandb._core._prepare import check, prepare
from tune_wandb._core._rank_plan import rank_label, rank_plan
from tune_wandb._core._settings import WandbSettings
from tune_wandb._ray._cluster_store import shared_key
from tune_wandb._ray._experiment import shared_experiment
from tune_wandb._ray._hosts import Host, find_host
from tune_wandb._ray._resources import assigned_gpus
from tune_wandb._wandb._compat import new_run_id
from tune_wandb._wandb._rank_run import RankRun
from tune_wandb._wandb._trial_run import TrialRun

if TYPE_CHECKING:
    from wandb.sdk.wandb_run import Run

logger = logging.getLogger("tune_wandb")

_lock = threading.Lock()
#: This process's open run from setup_wandb (``"run"``), and its trial's id (``"trial"``).
_open: dict[str, Any] = {}


def setup_wandb(
    config: Mapping[str, Any] | None = None,
    api_key: str | None = None,
    api_key_file: str | None = None,
    rank_zero_only: bool = True,
    **kwargs: Any,
) -> Run:
    """Start this trial's (or Train run's) W&B run and return it; it is also ``wandb.run``.

    The same signature as Ray's ``setup_wandb``: ``config`` is the trial config
    (or ``train_loop_config``), whose ``"wandb"`` key holds the settings;
    ``api_key``/``api_key_file`` and ``**kwargs`` (``wandb.init`` arguments,
    or any :class:`~tune_wandb.WandbSettings` field) override them.

    - In a Tune function trainable, the run is the trial's: its id, name, and
      the experiment as group; it continues on retry and restore.
    - In a Ray Train worker, it is the Train run's: one run for the whole run,
      continued by a worker group that Train restarts. With
      ``rank_zero_only=True`` (the default) the other ranks get a disabled run,
      so their ``wandb.log`` costs nothing; online, each of them still sends
      its system metrics and console output to the one run, labelled
      ``rank_<i>`` (W&B's shared mode; rank 0's are ``rank_0``).
    - Elsewhere it is ``wandb.init`` with these settings.

    The run is finished when the training function ends (exit code 1 if it
    raised), without a ``wandb.finish()`` call. Calling ``setup_wandb`` again
    in the same trial returns the same run.

    Example::

        from tune_wandb import setup_wandb

        def train_loop_per_worker(config):
            run = setup_wandb(config, project="mnist")
            for epoch in range(10):
                run.log({"loss": 1 / (epoch + 1)})
    """
    settings = WandbSettings.for_trial(config or {})
    overrides = dict(kwargs)
    if api_key is not None:
        overrides["api_key"] = api_key
    if api_key_file is not None:
        overrides["api_key_file"] = api_key_file
    if overrides:
        settings = WandbSettings.from_config(overrides, base=settings, source="setup_wandb")
    host = find_host(new_run_id)
    identity = host.identity
    facts = None if settings.summary_metric else shared_experiment(identity.experiment)
    # On every rank: the same error everywhere, none waits for another.
    check(settings, "setup_wandb", facts, environment=False)
    resolve_project(settings)
    if rank_zero_only and host.rank not in (None, 0):
        disabled = _disabled_run()  # a rank that logs nothing needs no key
        _share_rank(settings, host, config)  # ...but its system metrics and output count
        return disabled
    if host.reports_to_tune:
        _warn_inside_tune()
        return _disabled_run()
    with _lock:
        held: TrialRun | None = _open.get("run")
        if held is not None and _open.get("trial") == host.identity.trial_id:
            return held.handle
        _finish_open(None)  # the previous trial on this (reused) process is over
        plan = prepare(
            settings,
            identity,
            config or {},
            entry="setup_wandb",
            experiment=facts,
            shared_keys=shared_key,
            gpus=assigned_gpus(),
            label=None if host.rank is None else rank_label(host.rank),
        )
        held = TrialRun.start(
            plan, checkpoints=settings.checkpoint_mode, explicit=bool(settings.summary_metric)
        )
        _open.update(run=held, trial=host.identity.trial_id)
    run = held.handle  # waits for wandb.init, started in a thread, only when used

    def finish(failure: Failure | None) -> None:
        with _lock:
            if _open.get("run") is held:
                _finish_open(failure)

    opened: TrialRun = held

    def saved(checkpoint: Any, metrics: Mapping[str, Any]) -> None:
        if _open.get("run") is opened:
            opened.saved(checkpoint, metrics)

    host.attach(finish, saved)
    return run


setup_wandb.__module__ = "tune_wandb"  # pickles name the public path


def _share_rank(settings: WandbSettings, host: Host, config: Mapping[str, Any] | None) -> None:
    """A rank other than 0: its system metrics and console output, labelled, in the run."""
    assert host.rank is not None
    try:
        plan = prepare(
            settings, host.identity, config or {}, entry="setup_wandb", shared_keys=shared_key
        )
    except ValueError as error:  # no key here: rank 0 logs, this rank's share is skipped
        logger.warning(
            "tune-wandb: rank %d's system metrics and output are not logged: %s", host.rank, error
        )
        return
    shared = rank_plan(plan, settings, rank=host.rank, gpus=assigned_gpus())
    if shared is None:
        return
    writer = RankRun.start(shared)
    host.attach(writer.finish, lambda checkpoint, metrics: None)


def _finish_open(failure: Failure | None) -> None:
    """Finish the open run, if any: failed, with ``failure``, if there is one (lock held)."""
    held: TrialRun | None = _open.pop("run", None)
    _open.pop("trial", None)
    if held is not None:
        held.finish(0 if failure is None else 1, failure=failure)


_warned_inside_tune = False


def _warn_inside_tune() -> None:
    global _warned_inside_tune
    if not _warned_inside_tune:
        _warned_inside_tune = True
        logger.warning(
            "tune-wandb: setup_wandb in a Ray Train worker whose reports go to a Tune trial "
            "(TuneReportCallback) returns a disabled run: the trial's W&B run is written on "
            "Tune's side (WandbLogger), with what the workers report through "
            "ray.train.report, so each trial keeps one run."
        )


def _disabled_run() -> Run:
    """A run that logs nothing, starts no wandb process and writes no file (other ranks)."""
    import wandb

    run: Run = wandb.init(mode="disabled", reinit="finish_previous")
    return run
