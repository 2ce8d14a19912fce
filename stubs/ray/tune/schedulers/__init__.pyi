from collections.abc import Callable
from typing import Any

from _typeshed import Incomplete
from ray.tune.experiment import Trial

class TrialScheduler: ...

class PopulationBasedTraining(TrialScheduler):
    def __init__(
        self,
        time_attr: str = "time_total_s",
        metric: str | None = None,
        mode: str | None = None,
        perturbation_interval: float = 60.0,
        burn_in_period: float = 0.0,
        hyperparam_mutations: dict[str, Any] | None = None,
        quantile_fraction: float = 0.25,
        resample_probability: float = 0.25,
        perturbation_factors: tuple[float, float] = (1.2, 0.8),
        custom_explore_fn: Callable[..., Any] | None = None,
        log_config: bool = True,
        require_attrs: bool = True,
        synch: bool = False,
    ) -> None: ...
    # Private: wrapped by tune_wandb._ray._compat.watch_exploits (PBT's lineage).
    def _exploit(self, tune_controller: Any, trial: Trial, trial_to_clone: Trial) -> None: ...

class AsyncHyperBandScheduler(TrialScheduler):
    def __init__(
        self,
        time_attr: str = "training_iteration",
        metric: str | None = None,
        mode: str | None = None,
        max_t: int = 100,
        grace_period: int = 1,
        reduction_factor: float = 4,
        brackets: int = 1,
        stop_last_trials: bool = True,
    ) -> None: ...

ASHAScheduler = AsyncHyperBandScheduler

def __getattr__(name: str) -> Incomplete: ...
