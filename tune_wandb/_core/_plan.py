"""The one step from settings to ``wandb.init``: a frozen :class:`RunPlan` per run.

Every entry point takes the same path::

    WandbSettings (parsed, no I/O) + TrialIdentity (from Tune) + run config
        -> RunPlan.resolve()   reads the environment once: mode, project, key, base URL
        -> _run.start_run()    wandb.init online, else offline

Only this module reads the environment for W&B settings (``WANDB_MODE``,
``WANDB_PROJECT``, ``WANDB_BASE_URL``, the key through :mod:`tune_wandb._core._secrets`,
Ray's ``WANDB_PROJECT_NAME``, ``WANDB_GROUP_NAME`` and hooks through
:mod:`tune_wandb._core._hooks`).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import attrs

from tune_wandb._core._gpus import stats_device_ids
from tune_wandb._core._hooks import (
    api_key_from_hook,
    group_from_environment,
    project_from_environment,
)
from tune_wandb._core._results import logged_name
from tune_wandb._core._secrets import DEFAULT_BASE_URL, SharedKeys, no_shared_keys, resolve_api_key

if TYPE_CHECKING:
    from tune_wandb._core._experiment import ExperimentFacts
    from tune_wandb._core._identity import TrialIdentity
    from tune_wandb._core._settings import WandbSettings

#: Seconds between writes of a run's data to its ``.wandb`` file (wandb's default: 15).
FLUSH_INTERVAL: Final = 1.0

#: ``wandb.init`` arguments the plan fills in itself from the identity.
_IDENTITY_KWARGS: Final = frozenset({"id", "name", "dir", "settings", "config"})


def resolve_mode(settings: WandbSettings) -> str:
    """``online``, ``offline``, ``disabled`` or ``shared``: the setting, then ``WANDB_MODE``."""
    mode = settings.init_kwargs.get("mode") or os.environ.get("WANDB_MODE") or "online"
    return "offline" if mode == "dryrun" else "online" if mode == "run" else str(mode)


def resolve_project(settings: WandbSettings) -> str:
    """The project: the setting, else Ray's ``WANDB_PROJECT_NAME`` (or its hook), else
    ``WANDB_PROJECT``; ``ValueError`` if none is set."""
    project = settings.project or project_from_environment() or os.environ.get("WANDB_PROJECT")
    if not project:
        raise ValueError(
            "No W&B project: set config['wandb']['project'] (or "
            "WandbLogger(project=...)), or the WANDB_PROJECT environment variable."
        )
    return project


def _settings_key(settings: WandbSettings, shared_keys: SharedKeys) -> str | None:
    """The API key the settings lead to (named, key file, environment, netrc, shared)."""
    base_url = _user_wandb_settings(settings.init_kwargs.get("settings")).get("base_url")
    return resolve_api_key(settings.api_key, settings.api_key_file, shared_keys, base_url=base_url)


def resolve_key(
    settings: WandbSettings, mode: str, *, shared_keys: SharedKeys = no_shared_keys
) -> str | None:
    """The API key a run in ``mode`` needs (``None`` offline); ``ValueError`` if there is none.

    A key file that is named is read (once per process) in every mode, so a
    wrong path fails before any trial whether or not this run goes online.
    """
    key = _settings_key(settings, shared_keys)
    if mode in ("offline", "disabled"):
        return None
    if key is None:
        key = api_key_from_hook()
    if key is None:
        raise ValueError(
            "No W&B API key for online mode: set config['wandb']['api_key_file'], "
            "the WANDB_API_KEY environment variable, or run `wandb login`; or log "
            "offline with WANDB_MODE=offline and upload later with `wandb sync`."
        )
    return key


def summary_metric(
    settings: WandbSettings, experiment: ExperimentFacts | None
) -> tuple[str | None, str]:
    """The metric whose best value runs summarise, and its mode (settings, then experiment).

    A metric without a mode takes the experiment's mode when it is the experiment's
    metric, else ``"min"``.
    """
    metric = settings.summary_metric or (experiment.metric if experiment else None)
    mode = settings.summary_mode
    if mode is None and experiment is not None and experiment.metric == metric:
        mode = experiment.mode
    return metric, mode or "min"


def check_environment(settings: WandbSettings, *, shared_keys: SharedKeys = no_shared_keys) -> None:
    """The project and key exist (``ValueError`` if not): before trials start, where possible."""
    resolve_project(settings)
    resolve_key(settings, resolve_mode(settings), shared_keys=shared_keys)


def _user_wandb_settings(value: object) -> dict[str, Any]:
    """The user's ``settings`` (a ``wandb.Settings`` or a dict) as the fields they set."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    fields_set = getattr(value, "model_fields_set", None)
    if fields_set is None:
        raise ValueError(
            f"config['wandb']['settings'] must be a wandb.Settings or a dict, "
            f"got {type(value).__name__}."
        )
    return {name: getattr(value, name) for name in fields_set}


@functools.cache
def _wandb_has_setting(name: str) -> bool:
    """Whether the installed wandb's ``Settings`` has the field ``name``."""
    import wandb

    return name in wandb.Settings.model_fields


def flushes_every_second() -> bool:
    """Whether the installed wandb writes a run's transaction log every second.

    wandb 0.31 added the setting; older wandb writes the log every 15 s, so a
    trial process killed outright (OOM, SIGKILL) loses its last 15 s of rows
    there (the README's version table says so).
    """
    return _wandb_has_setting("x_transaction_log_flush_interval")


def _sampled_pid(wandb_settings: Mapping[str, Any], *, quiet_stats: bool) -> int | None:
    """The pid wandb's system monitor samples with these settings, or none."""
    if wandb_settings.get("x_disable_stats") or wandb_settings.get("x_disable_machine_info"):
        return None
    pid = wandb_settings.get("x_stats_pid")
    if pid is None:
        return None if quiet_stats else os.getpid()  # wandb's default: its caller
    return int(pid)


def _our_wandb_settings(
    settings: WandbSettings,
    *,
    quiet_stats: bool,
    gpus: Sequence[int | str] | None = None,
    stats_pid: int | None = None,
    label: str | None = None,
) -> dict[str, Any]:
    ours: dict[str, Any] = {
        "silent": True,
        # Online, wandb-core uploads console records only when this is not "off";
        # tune-wandb takes wandb's own wrappers off as the run starts and captures
        # the output itself (_wandb/_compat.stop_wandb_capture).
        "console": "wrap_raw" if settings.log_console else "off",
        "init_timeout": settings.init_timeout,
        # Every trial of an experiment would list the same installed packages into
        # its run (requirements.txt), in its own process at its start.
        "x_save_requirements": False,
    }
    # A run away from the trial (the logger's, on the driver) samples the trial's
    # process where it runs on the same machine: wandb-core reads any pid's figures.
    sampled_elsewhere = quiet_stats and stats_pid is not None
    stats = settings.log_system_metrics and (not quiet_stats or sampled_elsewhere)
    device_ids = stats_device_ids(gpus)
    if device_ids is not None and stats:
        ours["x_stats_gpu_device_ids"] = device_ids  # the trial's GPUs, not the node's
    if stats and sampled_elsewhere:
        ours["x_stats_pid"] = stats_pid
    if label is not None and _wandb_has_setting("x_label"):
        ours["x_label"] = label  # one of several writers of a run (a Train run's ranks)
    if flushes_every_second():
        # wandb-core buffers a run's transaction log and writes it every 15 s by
        # default; when a trial's process dies (OOM, ray.kill) its service dies
        # with it, and a run killed within its first 15 s kept 0 rows (measured).
        # Every second, it keeps all but the last second's. (wandb 0.31 and later;
        # wandb 0.23 and 0.30 reject the field, so older versions keep their default.)
        ours["x_transaction_log_flush_interval"] = FLUSH_INTERVAL
    if quiet_stats:
        # The logger's runs live in the driver: its git state, packages and code are
        # not the trial's, and collecting them made each init 5x slower (measured
        # offline). A user's own settings still override these.
        ours.update(x_disable_meta=True, disable_git=True, save_code=False)
    if not stats:
        # (wandb's machine info switch also stops its system monitor.)
        ours.update(x_disable_stats=True, x_disable_machine_info=quiet_stats)
    return ours


@attrs.frozen(kw_only=True)
class RunPlan:
    """Everything one ``wandb.init`` needs, resolved once, before the run starts.

    Built on the driver for the logger (and sent to its writer process, in
    memory) and in the trial's process for the mixins. The key never shows
    in ``repr``.

    Example::

        >>> from tune_wandb._core._identity import TrialIdentity
        >>> from tune_wandb._core._settings import WandbSettings
        >>> plan = RunPlan.resolve(
        ...     WandbSettings(project="p", init_kwargs={"mode": "offline", "tags": ["a"]}),
        ...     TrialIdentity(trial_id="t1", trial_name="fn", experiment="exp", folder="/tmp/t"),
        ...     {"lr": 0.1},
        ... )
        >>> plan.run_id, plan.group, plan.init_kwargs["tags"], plan.api_key
        ('t1', 'exp', ['a'], None)
    """

    run_id: str
    trial_id: str
    name: str
    group: str
    project: str
    folder: str
    mode: str
    #: ``wandb.init`` keyword arguments, ``settings`` and ``reinit`` aside.
    init_kwargs: dict[str, Any]
    #: ``wandb.Settings`` fields: tune-wandb's, then the user's on top.
    wandb_settings: dict[str, Any]
    api_key: str | None = attrs.field(repr=False)
    base_url: str
    excludes: tuple[str, ...]
    log_config: bool
    init_timeout: float
    offline_fallback: bool
    upload_timeout: float
    #: Tune's own metrics are logged under ``tune/`` (the logger only).
    tune_prefix: bool = False
    #: ``wandb.Image`` / ``wandb.Video`` keyword arguments for arrays (the logger only).
    image_kwargs: dict[str, Any] = attrs.field(factory=dict)
    video_kwargs: dict[str, Any] = attrs.field(factory=dict)
    #: The metric whose best value the summary holds, as logged, and ``min``/``max``.
    summary_metric: str | None = None
    summary_mode: str = "min"
    #: Capture the trial's console output into the run (where the run is written in the
    #: trial's process; not when the user gave wandb a ``console`` setting of their own).
    log_console: bool = False
    #: What is masked in captured console output: the API key, in every mode (an
    #: offline run's output is uploaded later, with ``wandb sync``).
    secrets: tuple[str, ...] = attrs.field(default=(), repr=False)
    #: The process the run's system metrics sample (its summary's ``tune/pid``), if any.
    sampled_pid: int | None = None

    @classmethod
    def resolve(
        cls,
        settings: WandbSettings,
        trial: TrialIdentity,
        config: Mapping[str, Any],
        *,
        quiet_stats: bool = False,
        experiment: ExperimentFacts | None = None,
        tune_results: bool = False,
        shared_keys: SharedKeys = no_shared_keys,
        gpus: Sequence[int | str] | None = None,
        stats_pid: int | None = None,
        label: str | None = None,
    ) -> RunPlan:
        """The plan for ``trial``'s run with ``settings``; ``config`` is its run config.

        The settings' ``id``, ``name``, ``group`` and ``dir`` override the
        trial's; ``quiet_stats`` turns off wandb's system metrics (for runs
        that live in the driver, whose machine is not the trial's).
        ``experiment`` gives the summary metric and mode the settings leave
        out; ``tune_results`` says the run logs Tune's results (the logger),
        whose own metrics may be renamed (``tune_prefix``); ``shared_keys``
        finds a key the driver shared with the cluster; ``gpus`` are the GPUs
        Ray assigned to the trial's process, which its system metrics sample
        (:mod:`._gpus`); ``stats_pid`` is the trial's process, on this machine,
        for a run that lives away from it (``quiet_stats``); ``label`` names this
        writer's system metrics and lines where other writers share the run
        (a Train run's ranks: :mod:`._rank_plan`). Entry points call
        :func:`tune_wandb._core._prepare.prepare`, which checks the settings first.
        """
        mode = resolve_mode(settings)
        given = settings.init_kwargs
        user = _user_wandb_settings(given.get("settings"))
        extra_config = given.get("config")
        run_config = dict(extra_config) if isinstance(extra_config, Mapping) else {}
        run_config.update(config)
        run_id = str(given.get("id") or trial.trial_id)
        name = str(given.get("name") or trial.trial_name)
        group = settings.group or group_from_environment() or trial.experiment
        project = resolve_project(settings)
        folder = str(given.get("dir") or trial.folder)
        init_kwargs = {k: v for k, v in given.items() if k not in _IDENTITY_KWARGS}
        init_kwargs.update(
            id=run_id,
            name=name or None,  # none outside Tune and Train: wandb picks one
            group=group or None,
            project=project,
            dir=folder,
            config=run_config,
            # A trial restarted (max_failures, Tuner.restore) or moved to another
            # actor continues its run online instead of clashing with it.
            resume="allow",
        )
        base_url = user.get("base_url") or os.environ.get("WANDB_BASE_URL")
        tune_prefix = settings.tune_prefix and tune_results
        best_metric, best_mode = summary_metric(settings, experiment)
        wandb_settings = {
            **_our_wandb_settings(
                settings, quiet_stats=quiet_stats, gpus=gpus, stats_pid=stats_pid, label=label
            ),
            **user,
        }
        return cls(
            run_id=run_id,
            trial_id=trial.trial_id,
            name=name,
            group=group,
            project=project,
            folder=folder,
            mode=mode,
            init_kwargs=init_kwargs,
            wandb_settings=wandb_settings,
            api_key=resolve_key(settings, mode, shared_keys=shared_keys),
            base_url=str(base_url or DEFAULT_BASE_URL),
            excludes=settings.excludes,
            log_config=settings.log_config,
            init_timeout=settings.init_timeout,
            offline_fallback=settings.offline_fallback,
            upload_timeout=settings.upload_timeout,
            tune_prefix=tune_prefix,
            image_kwargs=dict(settings.image_kwargs),
            video_kwargs=dict(settings.video_kwargs),
            summary_metric=(
                None if best_metric is None else logged_name(best_metric, tune_prefix=tune_prefix)
            ),
            summary_mode=best_mode,
            log_console=settings.log_console and "console" not in user,
            # Found again here (a key file is read once per process): resolve_key above
            # has raised for a bad one, and offline it returns none to send.
            secrets=tuple(filter(None, [_settings_key(settings, shared_keys)])),
            sampled_pid=_sampled_pid(wandb_settings, quiet_stats=quiet_stats),
        )

    @property
    def online(self) -> bool:
        """Whether the run talks to a W&B server (``online`` or ``shared`` mode)."""
        return self.mode in ("online", "shared")
