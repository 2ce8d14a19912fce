"""Turning Tune's configs and results into what W&B accepts.

Written once for the logger and the mixins: the run config (trial config
without ``"wandb"``, made serialisable), and each result cleaned into a flat
row of metrics (nested keys joined by ``/``, excludes, numpy made plain,
arrays made media). Nothing here raises on odd input: a value W&B cannot take
is dropped with one warning per key.
"""

from __future__ import annotations

import logging
import numbers
from collections.abc import Mapping, Set
from typing import Any, Final

import attrs

from tune_wandb._core._settings import without_settings

logger = logging.getLogger("tune_wandb")

#: Keys of a Tune result that are control flags, never metrics.
CONTROL_KEYS: Final = frozenset(
    {"done", "should_checkpoint", "__duplicate__", "checkpoint_dir_name"}
)

#: Tune's bookkeeping keys: they describe where a trial runs, so they go to the
#: run config (once, and again only when they change), not to the history.
BOOKKEEPING_KEYS: Final = frozenset(
    {"trial_id", "experiment_tag", "node_ip", "hostname", "pid", "date", "experiment_id"}
)

#: Bookkeeping keys that change with every result; recorded once only.
_EVER_CHANGING: Final = frozenset({"date"})

#: History keys W&B writes itself: a result's own value would be replaced by W&B's.
WANDB_KEYS: Final = frozenset({"_step", "_runtime", "_timestamp", "_wandb"})

#: Where a result's key that W&B would overwrite is logged instead (``_step`` -> ``tune/_step``).
RENAMED_PREFIX: Final = "tune/"

#: Tune's own per-result metrics: with ``tune_prefix`` (the default) they are logged under
#: ``tune/``, which W&B shows as a panel section of its own, after the user's metrics.
TUNE_METRICS: Final = frozenset(
    {
        "training_iteration",
        "iterations_since_restore",
        "time_this_iter_s",
        "time_total_s",
        "time_since_restore",
        "timestamp",
        "timesteps_total",
        "timesteps_since_restore",
        "timesteps_this_iter",
        "episodes_total",
        "episodes_this_iter",
    }
)


def logged_name(key: str, *, tune_prefix: bool) -> str:
    """The name a result's ``key`` is logged under (``time_total_s`` -> ``tune/time_total_s``)."""
    if key in WANDB_KEYS or key.startswith("_wandb"):
        return RENAMED_PREFIX + key
    if tune_prefix and key in TUNE_METRICS:
        return RENAMED_PREFIX + key
    return key


_MAX_DEPTH: Final = 32
_INT64: Final = 2**63


def _plain_scalar(value: object) -> object:
    """numpy scalars and 0-d arrays as Python numbers; anything else unchanged."""
    item = getattr(value, "item", None)
    shape = getattr(value, "shape", None)
    if callable(item) and shape == ():
        try:
            return item()
        except Exception:  # noqa: BLE001 - an exotic dtype stays as it was
            return value
    return value


def serialisable(value: object, depth: int = 0) -> object:
    """``value`` as JSON-like data W&B can store in a run config; never raises.

    Mappings keep their (stringified) keys, sequences and sets become lists,
    numpy scalars become numbers, and anything else becomes its ``repr``.
    """
    value = _plain_scalar(value)
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if -_INT64 <= value < _INT64 else str(value)
    if isinstance(value, float):
        return value
    if depth >= _MAX_DEPTH:
        return _safe_repr(value)
    if isinstance(value, Mapping):
        return {str(k): serialisable(v, depth + 1) for k, v in list(value.items())}
    if isinstance(value, list | tuple | Set):
        return [serialisable(v, depth + 1) for v in value]
    if isinstance(value, bytes):
        return _safe_repr(value)
    tolist = getattr(value, "tolist", None)
    if callable(tolist) and getattr(value, "size", 0) <= 1000:
        try:
            return serialisable(tolist(), depth + 1)
        except Exception:  # noqa: BLE001 - fall through to repr
            pass
    return _safe_repr(value)


def _safe_repr(value: object) -> str:
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not crash a trial
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 1000 else text[:997] + "..."


def run_config(trial_config: Mapping[str, Any], excludes: tuple[str, ...] = ()) -> dict[str, Any]:
    """The W&B run config for a trial: its config without ``"wandb"`` and ``excludes``.

    As in Ray 2's ``WandbLoggerCallback``, ``excludes`` names config keys too;
    ``"a/b"`` drops ``config["a"]["b"]``.

    Example::

        >>> run_config({"lr": 0.1, "net": {"depth": 2, "seed": 1}, "wandb": {}}, ("net/seed",))
        {'lr': 0.1, 'net': {'depth': 2}}
    """
    cleaned = serialisable(without_settings(trial_config))
    assert isinstance(cleaned, dict)
    return _without_excluded(cleaned, excludes, "") if excludes else cleaned


def _without_excluded(
    config: dict[str, Any], excludes: tuple[str, ...], prefix: str
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in config.items():
        path = f"{prefix}{key}"
        if is_excluded(path, excludes):
            continue
        out[key] = (
            _without_excluded(value, excludes, f"{path}/") if isinstance(value, dict) else value
        )
    return out


def flatten(
    data: Mapping[Any, Any],
    prefix: str = "",
    depth: int = 0,
    collisions: list[str] | None = None,
) -> dict[str, Any]:
    """Nested mappings flattened, their keys joined with ``/``.

    Where two keys flatten to one name (``{"a/b": 1, "a": {"b": 2}}``) the
    first is kept and the name is added to ``collisions``.
    """
    out: dict[str, Any] = {}
    for key, value in list(data.items()):
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and depth < _MAX_DEPTH:
            pairs = list(flatten(value, f"{name}/", depth + 1, collisions).items())
        else:
            pairs = [(name, value)]
        for flat_name, flat_value in pairs:
            if flat_name in out:
                if collisions is not None:
                    collisions.append(flat_name)
                continue
            out[flat_name] = flat_value
    return out


def is_excluded(key: str, excludes: tuple[str, ...]) -> bool:
    """Whether ``key`` is one of ``excludes`` or lies under one of them (``a`` covers ``a/b``)."""
    return any(key == ex or key.startswith(ex + "/") for ex in excludes)


class Unsendable:
    """Stands in for a result value that could not be sent to where it is logged."""

    def __init__(self, type_name: str) -> None:
        #: The type of the user's value, for the warning.
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<unsendable {self.type_name}>"


@attrs.define
class ResultCleaner:
    """Cleans one trial's results into W&B rows; warns once per key about what it drops.

    Nothing is dropped or changed in silence: a key W&B would overwrite
    (``_step``, ``_runtime``, ...) is logged under ``tune/``, an empty key or a
    value W&B cannot take is dropped, and two keys that flatten to one name
    keep the first; each with one warning naming the key, the trial and why.
    Pass one ``warned`` set to every trial's cleaner to warn once per
    experiment.

    Example::

        >>> cleaner = ResultCleaner(excludes=("time_this_iter_s",))
        >>> row = cleaner.clean({"loss": 0.5, "info": {"lr": 0.1}, "_step": 3, "done": False})
        >>> row.metrics
        {'loss': 0.5, 'info/lr': 0.1, 'tune/_step': 3}
    """

    excludes: tuple[str, ...] = ()
    log_config: bool = False
    #: Tune's own metrics under ``tune/`` (see :data:`TUNE_METRICS`).
    tune_prefix: bool = False
    #: Keyword arguments for the ``wandb.Image`` and ``wandb.Video`` made of arrays.
    image_kwargs: dict[str, Any] = attrs.field(factory=dict)
    video_kwargs: dict[str, Any] = attrs.field(factory=dict)
    #: The trial the rows belong to, named in warnings.
    trial: str = ""
    #: Keys already warned about (shared across an experiment's cleaners).
    warned: set[str] = attrs.field(factory=set)
    _bookkeeping: dict[str, Any] = attrs.field(factory=dict, init=False)
    _config: dict[str, Any] | None = attrs.field(default=None, init=False)

    def clean(self, result: Mapping[str, Any]) -> CleanResult:
        """One Tune result as metrics, plus any run-config changes it carries."""
        config_update: dict[str, Any] = {}
        metrics: dict[str, Any] = {}
        collisions: list[str] = []
        try:
            flat = flatten(
                {k: v for k, v in result.items() if k != "config"}, collisions=collisions
            )
        except Exception:  # noqa: BLE001 - a result whose mapping cannot be read
            self.warn_once("<result>", "is not logged: the result could not be read as a mapping")
            return CleanResult(metrics={}, config_update={})
        for key in collisions:
            self.warn_once(
                key, "keeps its first value: two keys of the result flatten to this name"
            )
        for key, value in flat.items():
            if key in CONTROL_KEYS or is_excluded(key, self.excludes):
                continue
            if key in BOOKKEEPING_KEYS:
                if key not in self._bookkeeping or (
                    key not in _EVER_CHANGING and self._bookkeeping[key] != value
                ):
                    self._bookkeeping[key] = value
                    config_update[key] = serialisable(value)
                continue
            name = self._metric_name(key)
            if name is None:
                continue
            converted = self.metric_value(name, value)
            if converted is not _DROP:
                metrics[name] = converted
        config = result.get("config")
        if self.log_config and isinstance(config, Mapping):
            plain = run_config(config, self.excludes)
            if plain != self._config:
                self._config = plain
                config_update.update(plain)
            for key, value in flatten(plain, "config/").items():
                if not is_excluded(key, self.excludes):  # "config/x" may be named too
                    converted = self.metric_value(key, value)
                    if converted is not _DROP and isinstance(converted, int | float):
                        metrics[key] = converted
        return CleanResult(metrics=metrics, config_update=config_update)

    def _metric_name(self, key: str) -> str | None:
        """The name ``key`` is logged under, or ``None`` to drop it (each warned once)."""
        if not key or key.endswith("/"):
            self.warn_once(key, "is not logged: W&B drops metrics with an empty name")
            return None
        if key in WANDB_KEYS or key.startswith("_wandb"):
            renamed = RENAMED_PREFIX + key
            self.warn_once(key, f"is logged as {renamed!r}: W&B writes {key!r} itself")
            return renamed
        return logged_name(key, tune_prefix=self.tune_prefix)

    def metric_value(self, key: str, value: object) -> object:
        """``value`` as something ``wandb.log`` takes, or ``_DROP`` (warned once per key)."""
        try:
            return self._convert(key, value)
        except Exception as error:  # noqa: BLE001 - a metric never crashes a trial
            self.warn_once(
                key,
                f"is not logged: {type(value).__name__} failed ({type(error).__name__}: {error})",
            )
            return _DROP

    def _convert(self, key: str, value: object) -> object:
        value = _plain_scalar(value)
        if value is None or isinstance(value, bool | str):
            return value
        if isinstance(value, int):
            return value if -_INT64 <= value < _INT64 else float(value)
        if isinstance(value, float):
            return value
        if isinstance(value, numbers.Real):
            return float(value)
        if _is_wandb_media(value):
            return value
        shape = getattr(value, "shape", None)
        if isinstance(shape, tuple) and hasattr(value, "dtype"):
            return self._array(key, value, len(shape))
        if (
            isinstance(value, list | tuple)
            and value
            and all(
                isinstance(_plain_scalar(v), numbers.Real) and not isinstance(v, bool)
                for v in value
            )
        ):
            return self._histogram(key, [float(_plain_scalar(v)) for v in value])  # type: ignore[arg-type]  # checked Real just above
        if isinstance(value, Unsendable):
            self.warn_once(
                key,
                f"is not logged: W&B cannot log a {value.type_name} that could not be sent from "
                f"the trial to the writer process (a class defined in the script's __main__, or "
                f"one that cannot be pickled)",
            )
            return _DROP
        self.warn_once(key, f"is not logged: W&B cannot log a {type(value).__name__}")
        return _DROP

    def _array(self, key: str, array: Any, ndim: int) -> object:
        import wandb

        kind = getattr(array.dtype, "kind", "O")
        if kind not in "biuf":
            self.warn_once(key, f"is not logged: W&B cannot log an array of dtype {array.dtype}")
            return _DROP
        if array.size == 0:
            self.warn_once(key, "is not logged: the array is empty")
            return _DROP
        if ndim == 3:
            return wandb.Image(_channels_last(array, 0), **self.image_kwargs)
        if ndim == 4:
            return [wandb.Image(a, **self.image_kwargs) for a in _channels_last(array, 1)]
        if ndim == 5:
            # (videos, time, channels, height, width); encoding needs moviepy (the media extra)
            video_kwargs = {"format": "gif", **self.video_kwargs}
            return [wandb.Video(v, **video_kwargs) for v in array]
        if ndim in (1, 2):
            return self._histogram(key, array.astype(float).ravel())
        self.warn_once(key, f"is not logged: W&B cannot log a {ndim}-D array")
        return _DROP

    def _histogram(self, key: str, values: Any) -> object:
        import numpy as np
        import wandb

        finite = np.asarray(values, dtype=float)
        finite = finite[np.isfinite(finite)]
        if finite.size == 0:
            self.warn_once(key, "is not logged: no finite values to make a histogram of")
            return _DROP
        return wandb.Histogram(finite)

    def warn_once(self, key: str, why: str) -> None:
        """Warn about ``key`` of this trial's results, unless it was warned about already."""
        if key not in self.warned:
            self.warned.add(key)
            logger.warning(
                "tune-wandb: metric %r of trial %r %s (said once per key and experiment).",
                key,
                self.trial,
                why,
            )


@attrs.frozen
class CleanResult:
    """A cleaned result: the row to log, and what to merge into the run config."""

    metrics: dict[str, Any]
    config_update: dict[str, Any]


def _is_wandb_media(value: object) -> bool:
    return any(cls.__module__.startswith("wandb.") for cls in type(value).__mro__[:-1])


def _channels_last(array: Any, axis: int) -> Any:
    """Images as (height, width, channels): PyTorch's (channels, height, width) moved."""
    shape = array.shape
    if shape[axis] in _CHANNELS and shape[-1] not in _CHANNELS:
        import numpy as np

        return np.moveaxis(array, axis, -1)
    return array


_CHANNELS: Final = (1, 3, 4)


class _Drop:
    def __repr__(self) -> str:
        return "<dropped>"


_DROP: Final = _Drop()
