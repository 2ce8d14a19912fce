"""The experiment, read from Ray: ``tune.run``'s arguments, and the facts shared with trials.

:func:`find_experiment` reads the arguments of the ``ray.tune.tune.run`` call
on the stack, which ``Tuner.fit`` makes and which is there whenever Tune calls
a callback's ``setup`` or a trainable's ``default_resource_request`` on the
driver. When Tune is called some other way (or a future Ray moves things), it
finds nothing, and every feature that needs a fact falls back to what the
user set, never failing.

The metric and mode are also shared with trial processes through Ray's
internal key-value store (:mod:`._cluster_store`), so the mixins can summarise
the best value without being told; so is whether a ``WandbLogger`` is in the
experiment, so the mixins log Tune's results where the logger left them.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, cast, get_args

from tune_wandb._core._experiment import LOGGER_MARK, ExperimentFacts
from tune_wandb._core._lineage import Exploit
from tune_wandb._core._records import StopReason
from tune_wandb._core._results import run_config, serialisable
from tune_wandb._core._settings import without_settings
from tune_wandb._ray import _compat
from tune_wandb._ray._cluster_store import share_value, shared_value

if TYPE_CHECKING:
    from ray.tune.experiment import Trial

logger = logging.getLogger("tune_wandb")

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


def find_experiment() -> ExperimentFacts:
    """The facts of the ``tune.run`` call on this thread's stack; empty when there is none."""
    arguments = _compat.tune_run_arguments()
    if arguments is None:
        return ExperimentFacts()
    try:
        return from_run_arguments(arguments)
    except Exception:
        logger.debug("tune-wandb: experiment facts not read", exc_info=True)
        return ExperimentFacts()


def from_run_arguments(args: Mapping[str, Any]) -> ExperimentFacts:
    """The facts in ``tune.run``'s arguments (as its frame holds them, after defaults)."""
    scheduler = args.get("scheduler")
    search_alg = args.get("search_alg")
    searcher = _unwrap_searcher(search_alg)
    metric, mode = args.get("metric"), args.get("mode")
    for source in (scheduler, searcher):
        if metric:
            break
        metric, mode = _compat.declared_metric(source)
    experiments = args.get("experiments") or []
    spec = getattr(experiments[0], "spec", {}) if experiments else {}
    space = args.get("config") or spec.get("config") or {}
    storage = getattr(experiments[0], "storage", None) if experiments else None
    return ExperimentFacts(
        metric=metric or None,
        mode=mode if mode in _MODES else None,
        # The "wandb" key is settings, not searched (and may hold a literal API key).
        search_space=describe_space(without_settings(space)) if isinstance(space, Mapping) else {},
        search_alg=describe_component(
            searcher if searcher is not None else search_alg, metric=metric, mode=mode
        ),
        scheduler=describe_component(scheduler, metric=metric, mode=mode),
        max_t=_compat.scheduler_budget(scheduler),
        stop=_describe_stop(args.get("stop")),
        num_samples=args.get("num_samples"),
        experiment=getattr(storage, "experiment_dir_name", None),
        with_logger=any(getattr(cb, LOGGER_MARK, False) for cb in args.get("callbacks") or ()),
    )


def share_experiment(facts: ExperimentFacts) -> None:
    """Let this job's trial processes of the experiment read its metric and mode.

    An experiment without a metric shares that too: a driver may run two
    experiments of one name, and the second must not get the first's metric.
    """
    if not facts.experiment:
        return
    value = f"{facts.mode or ''}\t{facts.metric}" if facts.metric else ""
    share_value(f"metric/{facts.experiment}", value)
    # Said either way: a later experiment of the same name may have no logger.
    share_value(f"logger/{facts.experiment}", "1" if facts.with_logger else "")


def shared_experiment(experiment: str) -> ExperimentFacts:
    """The metric and mode the driver shared for ``experiment`` (empty if none)."""
    value = shared_value(f"metric/{experiment}")
    if not value or "\t" not in value:
        return ExperimentFacts()
    mode, metric = value.split("\t", 1)
    return ExperimentFacts(metric=metric, mode=mode or None)


def watch_lineage(heard: Callable[[Exploit], None]) -> bool:
    """Have ``heard`` get each PBT exploit of the ``tune.run`` call on the stack, in order.

    Returns whether the experiment's scheduler exploits (PBT, PB2). A failure
    to read one exploit costs only that exploit, never Tune's loop.
    """
    arguments = _compat.tune_run_arguments()
    scheduler = arguments.get("scheduler") if arguments is not None else None
    count = itertools.count()

    def seen(trial: Trial, clone: Trial, before: dict[str, Any], taken: int | None) -> None:
        try:
            parent_iteration = (
                taken if taken is not None else clone.last_result.get("training_iteration")
            )
            # Tune asks the scheduler about a result before it is the trial's last:
            # the logger sets the iteration exploited at from that result.
            at_iteration = trial.last_result.get("training_iteration")
            exploit = Exploit(
                seq=next(count),
                trial_id=trial.trial_id,
                parent_id=clone.trial_id,
                parent_iteration=parent_iteration if isinstance(parent_iteration, int) else None,
                at_iteration=at_iteration if isinstance(at_iteration, int) else None,
                config_before=run_config(before),
                config_after=run_config(trial.config),
                parent_config=run_config(clone.config),
            )
            heard(exploit)
        except Exception:
            logger.warning("tune-wandb: a PBT exploit was not recorded", exc_info=True)

    try:
        return _compat.watch_exploits(scheduler, seen)
    except Exception:
        logger.debug("tune-wandb: PBT exploits not watched", exc_info=True)
        return False


def logger_beside(experiment: str) -> bool:
    """Whether the driver said a ``WandbLogger`` runs in ``experiment`` (``share_experiment``)."""
    return shared_value(f"logger/{experiment}") == "1"


def share_stop_reason(trial_id: str, reason: StopReason) -> None:
    """Tell a mixin trial why Tune ended it, before Tune stops its process.

    Tune calls the logger's ``log_trial_end`` before it asks the trial's actor
    to stop, so the mixin's run, finished in ``stop()``, can say why.
    """
    share_value(f"stop/{trial_id}", reason)


def shared_stop_reason(trial_id: str) -> StopReason | None:
    """Why the driver said Tune ended ``trial_id`` (``share_stop_reason``), if it did."""
    value = shared_value(f"stop/{trial_id}")
    return cast("StopReason", value) if value in get_args(StopReason) else None


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


def describe_component(
    component: object, *, metric: str | None = None, mode: str | None = None
) -> dict[str, Any]:
    """A searcher or scheduler as its class name and its settings (scalars and spaces).

    Tune gives the experiment's ``metric`` and ``mode`` to its searcher and
    scheduler when the run starts; until then they hold a placeholder
    (``_metric``), which is shown as the experiment's own.
    """
    if component is None:
        return {}
    described: dict[str, Any] = {"name": type(component).__name__}
    for attr, value in sorted(getattr(component, "__dict__", {}).items()):
        name = attr.lstrip("_")
        if not name or any(word in name for word in _STATE_WORDS):
            continue
        if name == "metric" and (value is None or value == _compat.ANONYMOUS_METRIC):
            value = metric
        elif name == "mode" and value is None:
            value = mode
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
