from typing import Any

from ray.actor import ActorHandle
from ray.train._internal.storage import StorageContext
from ray.tune import Checkpoint
from ray.tune.trainable.trainable import Trainable

class _TemporaryTrialState:
    ray_actor: ActorHandle | None

class Trial:
    temporary_state: _TemporaryTrialState
    trial_id: str
    config: dict[str, Any]
    storage: StorageContext
    status: str
    evaluated_params: dict[str, Any]
    stopping_criterion: dict[str, Any]
    log_to_file: tuple[str | None, str | None]
    @property
    def metric_analysis(self) -> dict[str, dict[str, float]]: ...
    @property
    def last_result(self) -> dict[str, Any]: ...
    def get_trainable_cls(self) -> type[Trainable] | None: ...
    @property
    def experiment_dir_name(self) -> str: ...
    @property
    def checkpoint(self) -> Checkpoint | None: ...
    @property
    def local_path(self) -> str | None: ...
    @property
    def path(self) -> str | None: ...
    @property
    def error_file(self) -> str | None: ...
