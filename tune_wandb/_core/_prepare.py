"""The one preparation step: settings, an identity and the entry point in, a checked plan out.

Every entry point checks its settings here, against one table of what each
entry point supports (:data:`SUPPORT`), so the same mistake gets the same
``ValueError`` everywhere, and as early as the entry point can check it:
before trials start for the logger and the mixins (on the driver), as the
Train run starts for ``WandbTrainCallback``, at the call for ``setup_wandb``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar

import attrs

from tune_wandb._core._plan import RunPlan, check_environment, summary_metric
from tune_wandb._core._results import run_config
from tune_wandb._core._secrets import SharedKeys, no_shared_keys

if TYPE_CHECKING:
    from tune_wandb._core._experiment import ExperimentFacts
    from tune_wandb._core._identity import TrialIdentity
    from tune_wandb._core._settings import WandbSettings

_T = TypeVar("_T", bound=type)

#: tune-wandb's five entry points.
EntryPoint = Literal["logger", "decorator", "class mixin", "setup_wandb", "train callback"]


@attrs.frozen
class Support:
    """What one entry point does with the settings."""

    #: How errors name the entry point.
    name: str
    #: What its runs' rows are made of, for errors.
    logs: str
    #: Settings it cannot honour: set, they fail.
    unsupported: frozenset[str] = frozenset()
    #: Its runs live away from the trial's process (the driver, the Train controller):
    #: wandb's system metrics there would not be the trial's.
    away_from_trial: bool = False
    #: Its rows are Tune's results, whose own metrics ``tune_prefix`` renames.
    tune_results: bool = False


#: Settings about turning Tune's results into rows: only the logger does that.
_RESULT_SETTINGS: Final = frozenset({"log_config", "tune_prefix", "image_kwargs", "video_kwargs"})
_IN_TRIAL = "what you pass to wandb.log"

#: Each entry point, and what it supports.
SUPPORT: Final[Mapping[EntryPoint, Support]] = {
    "logger": Support("WandbLogger", "Tune's results", away_from_trial=True, tune_results=True),
    "decorator": Support("@wandb_mixin", _IN_TRIAL, unsupported=_RESULT_SETTINGS),
    "class mixin": Support("WandbTrainableMixin", _IN_TRIAL, unsupported=_RESULT_SETTINGS),
    "setup_wandb": Support("setup_wandb", _IN_TRIAL, unsupported=_RESULT_SETTINGS),
    "train callback": Support(
        "WandbTrainCallback",
        "the workers' ray.train.report metrics",
        # Train reports carry no trial config and no Tune bookkeeping metrics.
        unsupported=frozenset({"log_config", "tune_prefix"}),
        away_from_trial=True,
    ),
}

#: A trainable class attribute: its trials write their own runs (the mixins), so the
#: logger leaves them alone and each trial keeps one run.
_WRITES_OWN_RUN: Final = "_tune_wandb_writes_own_run"


def check(
    settings: WandbSettings,
    entry: EntryPoint,
    experiment: ExperimentFacts | None = None,
    *,
    environment: bool = True,
    shared_keys: SharedKeys = no_shared_keys,
) -> None:
    """``ValueError`` if ``entry`` cannot run with ``settings``, naming the setting and the fix.

    Checks, in order: settings the entry point does not support, a
    checkpoint mode that needs a metric it does not have, then (with
    ``environment``) the project and the API key (a named key file is read).

    Example::

        >>> from tune_wandb._core._settings import WandbSettings
        >>> check(WandbSettings(project="p", log_config=True), "setup_wandb")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: The W&B setting 'log_config' works with WandbLogger only (...
    """
    support = SUPPORT[entry]
    changed = settings.changes()
    for name in sorted(support.unsupported & set(changed)):
        raise ValueError(
            f"The W&B setting {name!r} works with WandbLogger only (it is about the Tune "
            f"results the logger turns into rows); {support.name} logs {support.logs}. "
            f"Remove it, or log with WandbLogger."
        )
    if settings.checkpoint_mode == "best" and summary_metric(settings, experiment)[0] is None:
        raise ValueError(
            f"{support.name}: upload_checkpoints='best' needs a metric to rank checkpoints "
            f"by: set tune.TuneConfig(metric=..., mode=...) (or tune.run(metric=, mode=)), "
            f"or the summary_metric and summary_mode settings."
        )
    if environment:
        check_environment(settings, shared_keys=shared_keys)


def prepare(
    settings: WandbSettings,
    identity: TrialIdentity,
    config: Mapping[str, Any],
    *,
    entry: EntryPoint,
    experiment: ExperimentFacts | None = None,
    shared_keys: SharedKeys = no_shared_keys,
    gpus: Sequence[int | str] | None = None,
    stats_pid: int | None = None,
    label: str | None = None,
) -> RunPlan:
    """The checked plan of ``identity``'s run, for ``entry``; ``config`` is its trial config.

    ``experiment`` gives the summary metric and mode the settings leave out;
    ``shared_keys`` finds a key the driver shared, on a node without one;
    ``gpus`` are the GPUs Ray assigned to the process the run is written in;
    ``stats_pid`` is the trial's process, on this machine, for a run written
    away from it (the logger's), whose system metrics sample it; ``label``
    names this writer's metrics and lines in a run other ranks share.
    """
    check(settings, entry, experiment, shared_keys=shared_keys)
    support = SUPPORT[entry]
    return RunPlan.resolve(
        settings,
        identity,
        run_config(config, settings.excludes),
        quiet_stats=support.away_from_trial,
        experiment=experiment,
        tune_results=support.tune_results,
        shared_keys=shared_keys,
        gpus=gpus,
        stats_pid=stats_pid,
        label=label,
    )


def mark_writes_own_run(trainable: _T) -> _T:
    """Say that ``trainable``'s trials write their own runs (the mixins); a class decorator."""
    setattr(trainable, _WRITES_OWN_RUN, True)
    return trainable


def writes_own_run(trainable: type) -> bool:
    """Whether ``trainable``'s trials write their own runs, so the logger leaves them alone."""
    return bool(getattr(trainable, _WRITES_OWN_RUN, False))
