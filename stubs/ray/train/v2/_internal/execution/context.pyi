from typing import Any

from _typeshed import Incomplete
from ray.train import RunConfig

class TrainRunContext:
    run_id: str
    run_config: RunConfig
    train_loop_config: dict[str, Any] | None

class TrainContext:
    train_run_context: TrainRunContext
    storage_context: Incomplete
    execution_context: Incomplete
    def get_world_rank(self) -> int: ...

def get_train_context() -> TrainContext: ...
