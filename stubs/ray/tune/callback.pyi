from typing import Any

from _typeshed import Incomplete
from ray.tune.experiment.trial import Trial

class Callback:
    def setup(
        self,
        stop: Incomplete | None = None,
        num_samples: int | None = None,
        total_num_samples: int | None = None,
        **info: Any,
    ) -> None: ...
    def on_step_begin(self, iteration: int, trials: list[Trial], **info: Any) -> None: ...
    def on_experiment_end(self, trials: list[Trial], **info: Any) -> None: ...
