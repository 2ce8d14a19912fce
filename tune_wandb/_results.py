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


def run_config(trial_config: Mapping[str, Any]) -> dict[str, Any]:
    """The W&B run config for a trial: its config without the ``"wandb"`` key."""
    cleaned = serialisable({k: v for k, v in trial_config.items() if k != "wandb"})
    assert isinstance(cleaned, dict)
    return cleaned


def flatten(data: Mapping[Any, Any], prefix: str = "", depth: int = 0) -> dict[str, Any]:
    """Nested mappings flattened, their keys joined with ``/``."""
    out: dict[str, Any] = {}
    for key, value in list(data.items()):
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and depth < _MAX_DEPTH:
            out.update(flatten(value, f"{name}/", depth + 1))
        else:
            out[name] = value
    return out


def is_excluded(key: str, excludes: tuple[str, ...]) -> bool:
    """Whether ``key`` is one of ``excludes`` or lies under one of them (``a`` covers ``a/b``)."""
    return any(key == ex or key.startswith(ex + "/") for ex in excludes)


@attrs.define
class ResultCleaner:
    """Cleans one trial's results into W&B rows; remembers what it warned about.

    Example::

        >>> cleaner = ResultCleaner(excludes=("time_this_iter_s",))
        >>> row = cleaner.clean({"loss": 0.5, "info": {"lr": 0.1}, "done": False})
        >>> row.metrics
        {'loss': 0.5, 'info/lr': 0.1}
    """

    excludes: tuple[str, ...] = ()
    log_config: bool = False
    _warned: set[str] = attrs.field(factory=set, init=False)
    _bookkeeping: dict[str, Any] = attrs.field(factory=dict, init=False)
    _config: dict[str, Any] | None = attrs.field(default=None, init=False)

    def clean(self, result: Mapping[str, Any]) -> CleanResult:
        """One Tune result as metrics, plus any run-config changes it carries."""
        config_update: dict[str, Any] = {}
        metrics: dict[str, Any] = {}
        try:
            flat = flatten({k: v for k, v in result.items() if k != "config"})
        except Exception:  # noqa: BLE001 - a result whose mapping cannot be read
            self._warn_once("<result>", "the result could not be read as a mapping")
            return CleanResult(metrics={}, config_update={})
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
            converted = self.metric_value(key, value)
            if converted is not _DROP:
                metrics[key] = converted
        config = result.get("config")
        if self.log_config and isinstance(config, Mapping):
            plain = run_config(config)
            if plain != self._config:
                self._config = plain
                config_update.update(plain)
            for key, value in flatten(plain, "config/").items():
                if not is_excluded(key, self.excludes):
                    converted = self.metric_value(key, value)
                    if converted is not _DROP and isinstance(converted, int | float):
                        metrics[key] = converted
        return CleanResult(metrics=metrics, config_update=config_update)

    def metric_value(self, key: str, value: object) -> object:
        """``value`` as something ``wandb.log`` takes, or ``_DROP`` (warned once per key)."""
        try:
            return self._convert(key, value)
        except Exception as error:  # noqa: BLE001 - a metric never crashes a trial
            self._warn_once(key, f"{type(error).__name__}: {error}")
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
        self._warn_once(key, f"W&B cannot log a {type(value).__name__}")
        return _DROP

    def _array(self, key: str, array: Any, ndim: int) -> object:
        import wandb

        kind = getattr(array.dtype, "kind", "O")
        if kind not in "biuf":
            self._warn_once(key, f"W&B cannot log an array of dtype {array.dtype}")
            return _DROP
        if array.size == 0:
            self._warn_once(key, "the array is empty")
            return _DROP
        if ndim == 3:
            return wandb.Image(array)
        if ndim == 4:
            return [wandb.Image(a) for a in array]
        if ndim == 5:
            return [wandb.Video(v) for v in array]
        if ndim in (1, 2):
            return self._histogram(key, array.astype(float).ravel())
        self._warn_once(key, f"W&B cannot log a {ndim}-D array")
        return _DROP

    def _histogram(self, key: str, values: Any) -> object:
        import numpy as np
        import wandb

        finite = np.asarray(values, dtype=float)
        finite = finite[np.isfinite(finite)]
        if finite.size == 0:
            self._warn_once(key, "no finite values to make a histogram of")
            return _DROP
        return wandb.Histogram(finite)

    def _warn_once(self, key: str, why: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            logger.warning(
                "tune-wandb: not logging metric %r (%s); further values are skipped silently.",
                key,
                why,
            )


@attrs.frozen
class CleanResult:
    """A cleaned result: the row to log, and what to merge into the run config."""

    metrics: dict[str, Any]
    config_update: dict[str, Any]


def _is_wandb_media(value: object) -> bool:
    return any(cls.__module__.startswith("wandb.") for cls in type(value).__mro__[:-1])


class _Drop:
    def __repr__(self) -> str:
        return "<dropped>"


_DROP: Final = _Drop()
