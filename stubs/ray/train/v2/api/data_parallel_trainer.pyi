from collections.abc import Callable
from typing import Any

from _typeshed import Incomplete
from ray.train import Checkpoint, RunConfig, ScalingConfig

class DataParallelTrainer:
    def __init__(
        self,
        train_loop_per_worker: Callable[[], Any] | Callable[[dict[str, Any]], Any],
        *,
        train_loop_config: dict[str, Any] | None = None,
        backend_config: Incomplete | None = None,
        scaling_config: ScalingConfig | None = None,
        run_config: RunConfig | None = None,
        datasets: dict[str, Incomplete] | None = None,
        dataset_config: Incomplete | None = None,
        resume_from_checkpoint: Checkpoint | None = None,
        metadata: dict[str, Any] | None = None,
        validation_config: Incomplete | None = None,
    ) -> None: ...
    def fit(self) -> Incomplete: ...
