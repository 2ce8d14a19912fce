import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from _typeshed import Incomplete
from ray.train.v2.api.callback import RayTrainCallback
from ray.train.v2.api.callback import UserCallback as UserCallback

class Checkpoint:
    path: str
    filesystem: Incomplete
    def __init__(
        self, path: str | os.PathLike[str], filesystem: Incomplete | None = None
    ) -> None: ...
    @classmethod
    def from_directory(cls, path: str | os.PathLike[str]) -> Checkpoint: ...
    def as_directory(self) -> AbstractContextManager[str]: ...

class FailureConfig:
    max_failures: int
    def __init__(
        self,
        max_failures: int = 0,
        fail_fast: bool | str = "DEPRECATED",
        controller_failure_limit: int = -1,
        max_preemption_failures: int = -1,
        relax_collectives_on_preemption: bool = False,
        preemption_grace_s: float = 0.0,
    ) -> None: ...

class RunConfig:
    name: str | None
    storage_path: str | None
    callbacks: list[RayTrainCallback] | None
    def __init__(
        self,
        name: str | None = None,
        storage_path: str | None = None,
        storage_filesystem: Incomplete | None = None,
        failure_config: FailureConfig | None = None,
        checkpoint_config: Incomplete | None = None,
        callbacks: list[RayTrainCallback] | None = None,
        worker_runtime_env: Incomplete | None = None,
        logging_config: Incomplete | None = None,
        sync_config: str = "DEPRECATED",
        verbose: str = "DEPRECATED",
        stop: str = "DEPRECATED",
        progress_reporter: str = "DEPRECATED",
        log_to_file: str = "DEPRECATED",
    ) -> None: ...

class ScalingConfig:
    def __init__(
        self,
        trainer_resources: dict[str, float] | None = None,
        num_workers: int | tuple[int, int] = 1,
        use_gpu: bool | Incomplete = False,
        resources_per_worker: dict[str, float] | Incomplete | None = None,
        placement_strategy: str | Incomplete = "PACK",
        accelerator_type: str | None = None,
        label_selector: dict[str, str] | list[dict[str, str]] | None = None,
        use_tpu: bool = False,
        topology: str | None = None,
        elastic_resize_monitor_interval_s: float = 60.0,
    ) -> None: ...

def report(
    metrics: dict[str, Any],
    checkpoint: Checkpoint | None = None,
    checkpoint_dir_name: str | None = None,
    checkpoint_upload_mode: Incomplete = ...,
    delete_local_checkpoint_after_upload: bool | None = None,
    checkpoint_upload_fn: Callable[[Checkpoint, str], Checkpoint] | None = None,
    validation: bool | Incomplete = False,
) -> None: ...
def get_context() -> Incomplete: ...
def __getattr__(name: str) -> Incomplete: ...
