"""Typed settings read from a trial config's ``"wandb"`` key.

One class, :class:`WandbSettings`, is parsed and validated here and shared by
every entry point, so a typo fails the same way whichever one the user picked.
Parsing reads nothing but its input: what depends on the environment (the
project from ``WANDB_PROJECT``, the API key, the mode) is resolved afterwards,
once, by :mod:`tune_wandb._core._plan`.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import inspect
import math
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from typing import Any, Final

import attrs

from tune_wandb._core._checkpoint_mode import CheckpointMode, checkpoint_mode
from tune_wandb._core._secrets import warn_key_in_trial_config

#: The trial config's key that holds the settings; never part of a run's config.
CONFIG_KEY: Final = "wandb"

#: Keys that configure tune-wandb itself and never reach ``wandb.init()``.
OWN_KEYS: Final = frozenset(
    {
        "project",
        "group",
        "api_key_file",
        "api_key",
        "excludes",
        "log_config",
        "init_timeout",
        "offline_fallback",
        "upload_timeout",
        "summary_metric",
        "summary_mode",
        "tune_prefix",
        "image_kwargs",
        "video_kwargs",
        "upload_checkpoints",
        "log_console",
        "log_system_metrics",
    }
)

#: Where a setting works (``attrs`` field metadata, read by the settings reference):
#: every entry point, or only those that turn Tune's or Train's results into rows.
ALL: Final = {"works_in": "all"}
LOGGER: Final = {"works_in": "logger"}
LOGGER_AND_TRAIN: Final = {"works_in": "logger, `WandbTrainCallback`"}

#: The seed's (Ray 1.x) names for ``wandb.init`` arguments, accepted as it names them.
ALIASES: Final = {"run_id": "id", "run_name": "name"}

#: ``WandbLogger`` constructor arguments that are not per-trial settings.
CONSTRUCTOR_ONLY: Final = frozenset({"save_checkpoints", "summary", "experiment_run"})

#: Where the settings being parsed come from, for error messages.
_SOURCE: ContextVar[str] = ContextVar("tune_wandb_settings_source", default="config['wandb']")


def setting(key: str) -> str:
    """``key`` as the user wrote it: ``config['wandb']['key']`` or ``WandbLogger(key=...)``."""
    source = _SOURCE.get()
    if source.startswith("config["):
        return f"{source}[{key!r}]"
    return f"{source}({key}=...)"


@contextlib.contextmanager
def _source(name: str) -> Iterator[None]:
    token = _SOURCE.set(name)
    try:
        yield
    finally:
        _SOURCE.reset(token)


#: ``wandb.init()`` parameters that tune-wandb owns: passing them would break
#: the one-run-per-trial contract.
RESERVED_INIT_KEYS: Final = frozenset({"reinit", "resume", "fork_from", "resume_from"})

MODES: Final = ("online", "offline", "disabled", "shared")


@functools.cache
def wandb_init_parameters() -> frozenset[str]:
    """The keyword parameters of the installed ``wandb.init()``."""
    import wandb

    return frozenset(inspect.signature(wandb.init).parameters)


def _check_optional_str(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise ValueError(
            f"{setting(attribute.name)} must be a string, got "
            f"{type(value).__name__}; write it as {attribute.name}='...'."
        )


def _to_excludes(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence | frozenset | set):
        raise ValueError(
            f"{setting('excludes')} must be a list of metric names, got "
            f"{type(value).__name__}; write it as excludes=['loss', 'time_this_iter_s']."
        )
    names = tuple(value)
    bad = [n for n in names if not isinstance(n, str)]
    if bad:
        raise ValueError(
            f"{setting('excludes')} must hold metric names as strings; "
            f"{bad[0]!r} is a {type(bad[0]).__name__}."
        )
    return names


def _to_dict(value: Mapping[str, Any]) -> dict[str, Any]:
    return dict(value)


def _check_kwargs(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise ValueError(
            f"{setting(attribute.name)} must be a dict of keyword arguments, got "
            f"{type(value).__name__}."
        )


def _check_bool(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{setting(attribute.name)} must be True or False, got {value!r}.")


def _check_seconds(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(
            f"{setting(attribute.name)} must be a positive number of seconds, got {value!r}."
        )


def _check_init_kwargs(
    instance: object, attribute: attrs.Attribute[Any], value: Mapping[str, Any]
) -> None:
    known = wandb_init_parameters()
    for key in value:
        if key in RESERVED_INIT_KEYS:
            raise ValueError(
                f"{setting(key)} is managed by tune-wandb (one run per "
                f"trial, continued on restore); remove it."
            )
        if key in CONSTRUCTOR_ONLY:
            raise ValueError(
                f"{setting(key)} is not a per-trial setting: it is an argument of the "
                f"logger itself, WandbLogger({key}=...)."
            )
        if key not in known:
            valid = sorted(known | OWN_KEYS | set(ALIASES))
            close = difflib.get_close_matches(str(key), valid, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"Unknown W&B setting {setting(key)}.{hint} Valid keys are "
                f"tune-wandb's ({', '.join(sorted(OWN_KEYS))}) and wandb.init()'s "
                f"parameters."
            )
    mode = value.get("mode")
    if mode is not None and mode not in MODES:
        raise ValueError(f"{setting('mode')} must be one of {', '.join(MODES)}, got {mode!r}.")


@attrs.frozen(kw_only=True)
class WandbSettings:
    """How tune-wandb talks to W&B, parsed from a trial config's ``"wandb"`` key.

    Every key that is not one of the fields below is passed to ``wandb.init()``
    (``entity``, ``tags``, ``notes``, ``mode``, ...), after checking that
    ``wandb.init()`` takes it. The API key is never shown in ``repr`` or errors.

    Example::

        >>> s = WandbSettings.from_config({"project": "mnist", "mode": "offline"})
        >>> s.project, s.init_kwargs
        ('mnist', {'mode': 'offline'})
    """

    __module__ = "tune_wandb"  # pickles name the public path, whatever the module

    #: W&B project; falls back to Ray's ``WANDB_PROJECT_NAME`` (or its location
    #: hook), then ``WANDB_PROJECT``; required one way or the other.
    project: str | None = attrs.field(default=None, validator=_check_optional_str, metadata=ALL)
    #: W&B group; falls back to Ray's ``WANDB_GROUP_NAME``, then the Tune
    #: experiment's name.
    group: str | None = attrs.field(default=None, validator=_check_optional_str, metadata=ALL)
    #: A file whose first line is the API key; read once per process, where a run starts.
    api_key_file: str | None = attrs.field(
        default=None, validator=_check_optional_str, metadata=ALL
    )
    #: The API key itself; never shown in reprs, errors or W&B configs. Prefer
    #: ``api_key_file``, ``WANDB_API_KEY`` or ``wandb login``: Tune writes trial
    #: configs to its result files.
    api_key: str | None = attrs.field(
        default=None, validator=_check_optional_str, repr=False, metadata=ALL
    )
    #: Metric names not logged, and config keys left out of the run config (as in
    #: Ray 2); ``"info"`` also drops ``"info/lr"``.
    excludes: tuple[str, ...] = attrs.field(default=(), converter=_to_excludes, metadata=ALL)
    #: Log the trial config with every result (``config/<key>`` metrics and
    #: run-config updates): for PBT, where it changes.
    log_config: bool = attrs.field(default=False, validator=_check_bool, metadata=LOGGER)
    #: Seconds ``wandb.init`` may take before the run falls back to offline.
    init_timeout: float = attrs.field(default=30.0, validator=_check_seconds, metadata=ALL)
    #: When W&B cannot be reached (server down, bad key, timeout), log offline in
    #: the trial folder and warn with the ``wandb sync`` command; ``False`` raises.
    offline_fallback: bool = attrs.field(default=True, validator=_check_bool, metadata=ALL)
    #: Seconds to wait for runs to finish writing and uploading, at a trial's end
    #: and the experiment's.
    upload_timeout: float = attrs.field(default=120.0, validator=_check_seconds, metadata=ALL)
    #: The metric whose best value each run's summary holds (W&B's
    #: ``define_metric(..., summary=...)``); defaults to the experiment's
    #: (``TuneConfig(metric=...)``).
    summary_metric: str | None = attrs.field(
        default=None, validator=_check_optional_str, metadata=ALL
    )
    #: ``"min"`` or ``"max"``: what "best" means for ``summary_metric``; defaults
    #: to the experiment's mode, else ``"min"``.
    summary_mode: str | None = attrs.field(default=None, metadata=ALL)
    #: Tune's own metrics (``training_iteration``, ``time_total_s``, ...) under
    #: ``tune/``, a panel section of its own after yours; ``False`` keeps Ray's names.
    tune_prefix: bool = attrs.field(default=True, validator=_check_bool, metadata=LOGGER)
    #: Keyword arguments for the ``wandb.Image`` made of a 3-D or 4-D array
    #: (``caption``, ``mode``, ...), as Ray's.
    image_kwargs: dict[str, Any] = attrs.field(
        factory=dict, validator=_check_kwargs, metadata=LOGGER_AND_TRAIN
    )
    #: Keyword arguments for the ``wandb.Video`` made of a 5-D array (``fps``,
    #: ``format``, ...), as Ray's.
    video_kwargs: dict[str, Any] = attrs.field(
        factory=dict, validator=_check_kwargs, metadata=LOGGER_AND_TRAIN
    )
    #: Log the trial's checkpoints as versions of a W&B artifact: ``True`` or
    #: ``"all"``, ``"best"`` (those that improve the metric) or ``"end"`` (the
    #: last); the mixins log them from the trial's process.
    upload_checkpoints: bool | str = attrs.field(default=False, metadata=ALL)
    #: The trial's console output (prints, warnings and a failed trial's
    #: traceback) in its run's Logs tab, the API key masked. On by default: it is
    #: the trial's story, and costs a little per printed line. The mixins and
    #: ``setup_wandb`` capture it in the trial's process from before ``wandb.init``
    #: returns (``wandb.init``'s ``settings={"console": ...}``, when given, takes
    #: over instead); the logger reads the files of Tune's ``log_to_file``. In a
    #: Ray Train run, online, every worker's lines reach the one run, labelled
    #: ``rank_<i>`` (W&B's shared mode); offline, rank 0's with ``setup_wandb``.
    log_console: bool = attrs.field(default=True, validator=_check_bool, metadata=ALL)
    #: Sample the trial's own process (CPU, memory, threads, and the GPUs Ray gave
    #: it) into its run's System tab, its pid in the summary as ``tune/pid``. On by
    #: default, as in wandb: the mixins and ``setup_wandb`` sample the process they
    #: run in; the logger, whose runs live on the driver, samples the trial's
    #: process when the trial runs on the driver's machine (wandb's
    #: ``x_stats_pid``), and nothing for a trial elsewhere. In a Ray Train run,
    #: online, every worker samples itself into the one run, labelled
    #: ``rank_<i>``; offline, rank 0 with ``setup_wandb``.
    log_system_metrics: bool = attrs.field(default=True, validator=_check_bool, metadata=ALL)
    #: Not a key: where every other key goes, passed on to ``wandb.init()``
    #: (``entity``, ``tags``, ``notes``, ``mode``, ``settings``, ...).
    init_kwargs: dict[str, Any] = attrs.field(
        factory=dict, converter=_to_dict, validator=_check_init_kwargs, metadata=ALL
    )

    @upload_checkpoints.validator
    def _check_upload_checkpoints(self, attribute: attrs.Attribute[Any], value: object) -> None:
        checkpoint_mode(value, setting=setting("upload_checkpoints"))

    def __getstate__(self) -> dict[str, Any]:
        """The fields by name (as attrs pickles them), for :meth:`__setstate__`."""
        return {f.name: getattr(self, f.name) for f in attrs.fields(type(self))}

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        """Settings pickled by an earlier release get the fields added since at their defaults.

        (Tune pickles its callbacks, ``WandbLogger`` and its settings with them,
        into the experiment's state, which ``Tuner.restore`` reads back.)
        """
        for field in attrs.fields(type(self)):
            if field.name in state:
                value = state[field.name]
            elif isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]  # attrs' Factory is a class at run time
                value = field.default.factory()
            else:
                value = field.default
            object.__setattr__(self, field.name, value)

    @property
    def checkpoint_mode(self) -> CheckpointMode | None:
        """``upload_checkpoints`` as a mode (``"all"``, ``"best"``, ``"end"``), or ``None``."""
        return checkpoint_mode(self.upload_checkpoints)

    @summary_mode.validator
    def _check_summary_mode(self, attribute: attrs.Attribute[Any], value: object) -> None:
        if value not in (None, "min", "max"):
            raise ValueError(f"{setting('summary_mode')} must be 'min' or 'max', got {value!r}.")

    @api_key.validator
    def _check_key_not_empty(self, attribute: attrs.Attribute[Any], value: str | None) -> None:
        if value is not None and not value.strip():
            raise ValueError(f"{setting('api_key')} is empty; set a key or remove it.")

    @api_key_file.validator
    def _check_key_file(self, attribute: attrs.Attribute[Any], value: str | None) -> None:
        if value is not None and self.api_key is not None:
            raise ValueError(
                f"{_SOURCE.get()} sets both 'api_key' and 'api_key_file'; keep one "
                "(prefer 'api_key_file', so the key stays out of Tune's result files)."
            )

    @classmethod
    def from_config(
        cls,
        config: Mapping[str, Any] | WandbSettings | None,
        *,
        base: WandbSettings | None = None,
        source: str = "config['wandb']",
    ) -> WandbSettings:
        """Parse a ``"wandb"`` mapping, its keys overriding those of ``base``.

        ``config`` is the mapping itself (or ``None``): a trial's ``"wandb"``
        value, or the logger's keyword arguments. It may also be a
        ``WandbSettings``, whose fields that differ from the defaults override
        ``base``'s. Unknown keys raise ``ValueError`` naming the key (as
        ``source`` spells it) and the nearest valid one. The seed's
        ``run_id`` and ``run_name`` are ``wandb.init``'s ``id`` and ``name``.
        Nothing is read from files or the environment.

        Example::

            >>> WandbSettings.from_config({"projekt": "x"})  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            ValueError: Unknown W&B setting config['wandb']['projekt']. Did you mean 'project'? ...
        """
        with _source(source):
            return cls._parse(config, base)

    @classmethod
    def from_arguments(
        cls, settings: object, defaults: Mapping[str, Any], *, source: str
    ) -> WandbSettings:
        """An entry point's constructor arguments: ``settings``, then keywords on top.

        ``settings`` is a ``WandbSettings``; a project name, as in Ray's
        ``WandbLoggerCallback("project")``; or anything else ``wandb.init``
        takes as its own ``settings`` (a mapping or a ``wandb.Settings``), so
        ``WandbLogger(settings={"base_url": ...})`` and
        ``WandbTrainCallback(settings=...)`` mean what they do in ``wandb.init``.

        Example::

            >>> WandbSettings.from_arguments("p", {}, source="WandbLogger").project
            'p'
            >>> WandbSettings.from_arguments(
            ...     {"base_url": "http://w"}, {}, source="WandbLogger"
            ... ).init_kwargs
            {'settings': {'base_url': 'http://w'}}
        """
        base: WandbSettings | None = None
        if isinstance(settings, WandbSettings):
            base = settings
        elif isinstance(settings, str):
            defaults = {"project": settings, **defaults}
        elif settings is not None:
            defaults = {**defaults, "settings": settings}
        return cls.from_config(defaults, base=base, source=source)

    @classmethod
    def _parse(
        cls, config: Mapping[str, Any] | WandbSettings | None, base: WandbSettings | None
    ) -> WandbSettings:
        if isinstance(config, WandbSettings):
            config = config.changes()
        if config is None:
            config = {}
        if not isinstance(config, Mapping):
            raise ValueError(
                f"{_SOURCE.get()} must be a dict of W&B settings or a WandbSettings, got "
                f"{type(config).__name__}; e.g. config={{'wandb': {{'project': 'my-project'}}}}."
            )
        keys: list[object] = list(config)
        bad_keys = [k for k in keys if not isinstance(k, str)]
        if bad_keys:
            raise ValueError(f"{_SOURCE.get()} keys must be strings; got {bad_keys[0]!r}.")
        config = _without_aliases(config)
        base = base if base is not None else cls()
        own: dict[str, Any] = {
            f.name: getattr(base, f.name) for f in attrs.fields(cls) if f.name != "init_kwargs"
        }
        init_kwargs = dict(base.init_kwargs)
        for key, value in config.items():
            if key in OWN_KEYS:
                own[key] = value
            elif key == "init_kwargs" and isinstance(value, Mapping):
                init_kwargs.update(value)  # from WandbSettings.changes()
            else:
                init_kwargs[key] = value
        # A key source set here replaces the base's other source.
        if "api_key" in config and "api_key_file" not in config:
            own["api_key_file"] = None
        if "api_key_file" in config and "api_key" not in config:
            own["api_key"] = None
        return cls(**own, init_kwargs=init_kwargs)

    def changes(self) -> dict[str, Any]:
        """The fields that differ from the defaults (``init_kwargs`` as one key).

        Example::

            >>> WandbSettings(project="p", init_kwargs={"tags": ["a"]}).changes()
            {'project': 'p', 'init_kwargs': {'tags': ['a']}}
        """
        default = WandbSettings()
        return {
            f.name: getattr(self, f.name)
            for f in attrs.fields(WandbSettings)
            if getattr(self, f.name) != getattr(default, f.name)
        }

    @classmethod
    def for_trial(
        cls, trial_config: Mapping[str, Any], *, base: WandbSettings | None = None
    ) -> WandbSettings:
        """The settings in a trial config's ``"wandb"`` key, on top of ``base``.

        The key holds a dict or a ``WandbSettings``. A literal ``api_key`` there
        is warned about once: Tune writes trial configs to its result files.

        Example::

            >>> WandbSettings.for_trial({"lr": 0.1, "wandb": {"project": "p"}}).project
            'p'
        """
        raw = trial_config.get(CONFIG_KEY)
        literal_key = raw.api_key if isinstance(raw, WandbSettings) else None
        if isinstance(raw, Mapping):
            literal_key = raw.get("api_key")
        if literal_key:
            warn_key_in_trial_config()
        return cls.from_config(raw, base=base)


def _without_aliases(config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` with the seed's names (``run_id``, ``run_name``) as ``wandb.init``'s."""
    out = dict(config)
    for alias, name in ALIASES.items():
        if alias in out:
            if name in out:
                raise ValueError(
                    f"{_SOURCE.get()} sets both {alias!r} and {name!r}, which are the same "
                    f"wandb.init argument; keep one."
                )
            out[name] = out.pop(alias)
    return out


def without_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` without its ``"wandb"`` key: what a trainable and a run's config see."""
    return {k: v for k, v in config.items() if k != CONFIG_KEY}
