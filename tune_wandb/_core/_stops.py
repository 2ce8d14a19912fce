"""Why a trial ended: completed, stopped early by the scheduler, by stop criteria, or failed.

Tune tells callbacks only that a trial completed or failed. A trial that Tune
stopped (scheduler decision, ``stop=`` criteria, a ``Stopper``) is told apart
by its last result: Tune sets ``done=True`` on the result it stops a trial
at, while a training function that returns on its own ends with a result
that is not done. Which of the three stopped it is then read off the
experiment: the trial's stop criteria met, else a scheduler that stops
trials early (its ``max_t`` not reached), else a ``Stopper``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tune_wandb._core._experiment import ExperimentFacts
from tune_wandb._core._results import flatten

if TYPE_CHECKING:
    from tune_wandb._core._records import StopReason

#: Schedulers that never stop a trial early.
_NON_STOPPING = frozenset({None, "FIFOScheduler", "PopulationBasedTraining", "PB2"})


def reason_at_done(
    criteria: Mapping[str, Any], result: Mapping[str, Any], facts: ExperimentFacts
) -> StopReason:
    """Why a trial is stopping at ``result``, a result Tune marked ``done``.

    ``criteria`` is the trial's stop dict (``Trial.stopping_criterion``).

    Example::

        >>> reason_at_done({"training_iteration": 3}, {"training_iteration": 3}, ExperimentFacts())
        'stop-criteria'
    """
    if _criteria_met(criteria, result):
        return "stop-criteria"
    iteration = result.get("training_iteration")
    if facts.scheduler.get("name") not in _NON_STOPPING and not (
        facts.max_t is not None and isinstance(iteration, int) and iteration >= facts.max_t
    ):
        return "early-stopped"
    if isinstance(facts.stop, str):
        return "stop-criteria"  # a Stopper object, or time_budget_s
    return "completed"  # the trainable said it was done, or the scheduler's budget was used


def _criteria_met(criteria: Mapping[str, Any], result: Mapping[str, Any]) -> bool:
    if not criteria:
        return False
    flat = flatten(result)
    for key, limit in criteria.items():
        value = flat.get(key)
        try:
            if value is not None and value >= limit:
                return True
        except TypeError:
            continue
    return False
