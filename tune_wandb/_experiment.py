"""What Tune knows about the experiment as a whole: metric, mode, search space, algorithms.

Tune gives callbacks none of this (``Callback.setup`` receives only ``stop``
and ``num_samples``), yet every one of these is an argument of
``ray.tune.tune.run``, which ``Tuner.fit`` calls and which is on the call
stack whenever Tune calls a callback's ``setup`` or a trainable's
``default_resource_request`` on the driver. :meth:`ExperimentFacts.find`
reads them from that frame's arguments; when Tune is called some other way
(or a future Ray moves things), it finds nothing and every feature that needs
a fact falls back to what the user set (``summary_metric=``), never failing.

The metric and mode are also shared with trial processes through Ray's
internal key-value store (as the API key is, :mod:`tune_wandb._cluster_keys`),
so the mixins can summarise the best value without being told.
"""

from __future__ import annotations

import logging
import math
import sys
from collections.abc import Mapping
from types import FrameType
from typing import Any, Final

import attrs

from tune_wandb._cluster_keys import share_value, shared_value
from tune_wandb._settings import without_settings

logger = logging.getLogger("tune_wandb")

#: The metric Tune uses when the user names none; never a real metric.
_ANONYMOUS: Final = "_metric"
_MODES: Final = ("min", "max")
#: Attributes of searchers and schedulers that are state, not settings.
_STATE_WORDS: Final = (
    "counter",
    "num_",
    "next_",
    "metric_op",
    "trial",
    "state",
    "live",
    "finished",
    "total_",
    "uuid",
)


@attrs.frozen(kw_only=True)
class ExperimentFacts:
    """The experiment's metric and mode, and how it searches and schedules.

    Example::

        >>> facts = ExperimentFacts(metric="loss", mode="min")
        >>> facts.metric, facts.describe()["mode"]
        ('loss', 'min')
    """

    metric: str | None = None
    mode: str | None = None
    #: The param space, each distribution as text (``loguniform(0.0001, 0.1)``).
    search_space: dict[str, Any] = attrs.field(factory=dict)
    #: The search algorithm's class name and settings.
    search_alg: dict[str, Any] = attrs.field(factory=dict)
    #: The scheduler's class name and settings.
    scheduler: dict[str, Any] = attrs.field(factory=dict)
    #: The scheduler's budget in iterations (``max_t``), when it has one.
    max_t: int | None = None
    #: The experiment's ``stop`` criteria, as text where they are not a dict.
    stop: Any = None
    num_samples: int | None = None
    #: The experiment's folder name (what trials know it by), when found.
    experiment: str | None = None

    @classmethod
    def find(cls) -> ExperimentFacts:
        """The facts of the ``tune.run`` call on this thread's stack; empty when there is none."""
        frame: FrameType | None = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_name == "run" and frame.f_globals.get("__name__") == "ray.tune.tune":
                try:
                    return cls.from_run_arguments(frame.f_locals)
                except Exception:
                    logger.debug("tune-wandb: experiment facts not read", exc_info=True)
                    return cls()
            frame = frame.f_back
        return cls()

    @classmethod
    def from_run_arguments(cls, args: Mapping[str, Any]) -> ExperimentFacts:
        """The facts in ``tune.run``'s arguments (as its frame holds them, after defaults)."""
        scheduler = args.get("scheduler")
        search_alg = args.get("search_alg")
        searcher = _unwrap_searcher(search_alg)
        metric, mode = args.get("metric"), args.get("mode")
        for source in (scheduler, searcher):
            if metric:
                break
            found = getattr(source, "_metric", None)
            if found and found != _ANONYMOUS:
                metric, mode = found, getattr(source, "_mode", None)
        max_t = getattr(scheduler, "_max_t", None) or getattr(scheduler, "_max_t_attr", None)
        experiments = args.get("experiments") or []
        spec = getattr(experiments[0], "spec", {}) if experiments else {}
        space = args.get("config") or spec.get("config") or {}
        stop = args.get("stop")
        storage = getattr(experiments[0], "storage", None) if experiments else None
        return cls(
            metric=metric or None,
            mode=mode if mode in _MODES else None,
            # The "wandb" key is settings, not searched (and may hold a literal API key).
            search_space=describe_space(without_settings(space))
            if isinstance(space, Mapping)
            else {},
            search_alg=describe_component(searcher if searcher is not None else search_alg),
            scheduler=describe_component(scheduler),
            max_t=max_t if isinstance(max_t, int) and not isinstance(max_t, bool) else None,
            stop=_describe_stop(stop),
            num_samples=args.get("num_samples"),
            experiment=getattr(storage, "experiment_dir_name", None),
        )

    def describe(self) -> dict[str, Any]:
        """The facts as a W&B run config: plain data only, unknown ones left out."""
        described = {
            "metric": self.metric,
            "mode": self.mode,
            "search_space": self.search_space,
            "search_alg": self.search_alg,
            "scheduler": self.scheduler,
            "stop": self.stop,
            "num_samples": self.num_samples,
        }
        return {k: v for k, v in described.items() if v is not None}

    def share(self, experiment: str) -> None:
        """Let this job's trial processes of ``experiment`` read the metric and mode.

        An experiment without a metric shares that too: a driver may run two
        experiments of one name, and the second must not get the first's metric.
        """
        value = f"{self.mode or ''}\t{self.metric}" if self.metric else ""
        share_value(f"metric/{experiment}", value)

    @classmethod
    def shared(cls, experiment: str) -> ExperimentFacts:
        """The metric and mode the driver shared for ``experiment`` (empty if none)."""
        value = shared_value(f"metric/{experiment}")
        if not value or "\t" not in value:
            return cls()
        mode, metric = value.split("\t", 1)
        return cls(metric=metric, mode=mode or None)


def _describe_stop(stop: object) -> Any:
    """A ``stop`` dict as plain data; a ``Stopper`` (or function) as its class name."""
    if stop is None:
        return None
    if isinstance(stop, Mapping):
        return describe_space(stop)
    return type(stop).__name__


def _unwrap_searcher(search_alg: object) -> object:
    """The user's searcher inside Tune's wrappers (``SearchGenerator``, ``ConcurrencyLimiter``)."""
    found = search_alg
    for _ in range(4):
        inner = getattr(found, "searcher", None)
        if inner is None:
            break
        found = inner
    return found


def describe_component(component: object) -> dict[str, Any]:
    """A searcher or scheduler as its class name and its settings (scalars and spaces)."""
    if component is None:
        return {}
    described: dict[str, Any] = {"name": type(component).__name__}
    for attr, value in sorted(getattr(component, "__dict__", {}).items()):
        name = attr.lstrip("_")
        if not name or any(word in name for word in _STATE_WORDS):
            continue
        if value is None or isinstance(value, bool | int | float | str):
            if not (isinstance(value, float) and not math.isfinite(value)):
                described[name] = value
        elif isinstance(value, Mapping) and name in ("hyperparam_mutations", "space"):
            described[name] = describe_space(value)
    return described


def describe_space(space: Mapping[Any, Any], depth: int = 0) -> dict[str, Any]:
    """A Tune param space as plain data: each distribution as text, grids as lists."""
    out: dict[str, Any] = {}
    for key, value in space.items():
        if isinstance(value, Mapping) and depth < 16:
            out[str(key)] = describe_space(value, depth + 1)
        else:
            out[str(key)] = _describe_value(value)
    return out


def _describe_value(value: object) -> Any:
    from tune_wandb._results import serialisable

    text = _describe_domain(value)
    if text is not None:
        return text
    if callable(value) and not isinstance(value, type):
        return f"<function {getattr(value, '__qualname__', type(value).__name__)}>"
    return serialisable(value)


def _describe_domain(value: object) -> str | None:
    """``tune.loguniform(1e-4, 0.1)`` as ``'loguniform(0.0001, 0.1)'``; ``None`` if not a domain."""
    from ray.tune.search import sample

    if not isinstance(value, sample.Domain):
        return None
    sampler = value.get_sampler()
    quantum = None
    if isinstance(sampler, sample.Quantized):
        quantum = sampler.q
        sampler = sampler.get_sampler()
    kind = type(sampler).__name__.lstrip("_").lower()
    if isinstance(value, sample.Categorical):
        text = f"choice({value.categories!r})"
    elif isinstance(value, sample.Function):
        func = getattr(value, "func", None)
        text = f"sample_from({getattr(func, '__qualname__', 'function')})"
    elif isinstance(sampler, sample.Normal):
        text = f"randn({sampler.mean}, {sampler.sd})"
    elif isinstance(value, sample.Integer):
        prefix = "log" if kind == "loguniform" else ""
        text = f"{prefix}randint({value.lower}, {value.upper})"
    elif isinstance(value, sample.Float):
        text = f"{kind}({value.lower}, {value.upper})"
    else:
        text = f"{type(value).__name__}{value.domain_str}"
    if quantum is not None:
        text = f"q{text[:-1]}, q={quantum})"
    return text
