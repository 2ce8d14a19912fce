"""What Tune knows about the experiment as a whole: metric, mode, search space, algorithms.

Tune gives callbacks none of this (``Callback.setup`` receives only ``stop``
and ``num_samples``). The Ray side reads it from the ``tune.run`` call on the
stack (:func:`tune_wandb._ray._experiment.find_experiment`); here it is plain
data, which every feature that needs a fact (the best-value summary, stop
reasons, the experiment run) reads, falling back to what the user set
(``summary_metric=``) when it is missing.
"""

from __future__ import annotations

from typing import Any, Final

import attrs

#: A class attribute of ``WandbLogger``: the experiment's callbacks are searched for it.
LOGGER_MARK: Final = "_tune_wandb_is_logger"


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
    #: A ``WandbLogger`` is among the experiment's callbacks (it leaves mixin
    #: trials to the mixin, which then logs Tune's results too).
    with_logger: bool = False

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
