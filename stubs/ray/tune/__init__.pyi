import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from _typeshed import Incomplete
from ray.tune.callback import Callback as Callback
from ray.tune.execution.placement_groups import PlacementGroupFactory
from ray.tune.experiment.trial import Trial
from ray.tune.schedulers import TrialScheduler
from ray.tune.trainable.trainable import Trainable as Trainable

_Trainable = str | Callable[..., Any] | type[Trainable]

class Checkpoint:
    path: str
    filesystem: Incomplete
    def __init__(
        self, path: str | os.PathLike[str], filesystem: Incomplete | None = None
    ) -> None: ...
    @classmethod
    def from_directory(cls, path: str | os.PathLike[str]) -> Checkpoint: ...
    def to_directory(self, path: str | os.PathLike[str] | None = None) -> str: ...
    def as_directory(self) -> AbstractContextManager[str]: ...

class CheckpointConfig:
    def __init__(
        self,
        num_to_keep: int | None = None,
        checkpoint_score_attribute: str | None = None,
        checkpoint_score_order: str | None = "max",
        checkpoint_frequency: int | None = 0,
        checkpoint_at_end: bool | None = None,
        _checkpoint_keep_all_ranks: bool | str | None = ...,
        _checkpoint_upload_from_workers: bool | str | None = ...,
    ) -> None: ...

class FailureConfig:
    def __init__(self, max_failures: int = 0, fail_fast: bool | str = False) -> None: ...

class RunConfig:
    def __init__(
        self,
        name: str | None = None,
        storage_path: str | None = None,
        storage_filesystem: Incomplete | None = None,
        failure_config: FailureConfig | None = None,
        checkpoint_config: CheckpointConfig | None = None,
        sync_config: Incomplete | None = None,
        verbose: int | None = None,
        stop: Mapping[str, Any] | Callable[[str, Mapping[str, Any]], bool] | None = None,
        callbacks: list[Callback] | None = None,
        progress_reporter: Incomplete | None = None,
        log_to_file: bool | str | tuple[str, str] = False,
        local_dir: str | None = None,
    ) -> None: ...

class TuneConfig:
    def __init__(
        self,
        mode: str | None = None,
        metric: str | None = None,
        search_alg: Incomplete | None = None,
        scheduler: TrialScheduler | None = None,
        num_samples: int = 1,
        max_concurrent_trials: int | None = None,
        time_budget_s: float | None = None,
        reuse_actors: bool = False,
        trial_name_creator: Callable[[Trial], str] | None = None,
        trial_dirname_creator: Callable[[Trial], str] | None = None,
        chdir_to_trial_dir: bool | str = ...,
    ) -> None: ...

class Result:
    metrics: dict[str, Any] | None
    @property
    def config(self) -> dict[str, Any] | None: ...
    error: Exception | None
    path: str

class ResultGrid:
    @property
    def errors(self) -> list[Exception]: ...
    @property
    def num_errors(self) -> int: ...
    @property
    def experiment_path(self) -> str: ...
    def get_best_result(
        self,
        metric: str | None = None,
        mode: str | None = None,
        scope: str = "last",
        filter_nan_and_inf: bool = True,
    ) -> Result: ...
    def __len__(self) -> int: ...
    def __getitem__(self, i: int) -> Result: ...

class ExperimentAnalysis:
    trials: list[Trial]
    @property
    def experiment_path(self) -> str: ...

class Tuner:
    def __init__(
        self,
        trainable: _Trainable | None = None,
        *,
        param_space: dict[str, Any] | None = None,
        tune_config: TuneConfig | None = None,
        run_config: RunConfig | None = None,
        _tuner_kwargs: dict[str, Any] | None = None,
        _tuner_internal: Incomplete | None = None,
        _entrypoint: Incomplete = ...,
    ) -> None: ...
    def fit(self) -> ResultGrid: ...
    @classmethod
    def restore(
        cls,
        path: str,
        trainable: _Trainable,
        resume_unfinished: bool = True,
        resume_errored: bool = False,
        restart_errored: bool = False,
        param_space: dict[str, Any] | None = None,
        storage_filesystem: Incomplete | None = None,
        _resume_config: Incomplete | None = None,
    ) -> Tuner: ...
    @classmethod
    def can_restore(
        cls, path: str | os.PathLike[str], storage_filesystem: Incomplete | None = None
    ) -> bool: ...

def run(
    run_or_experiment: _Trainable,
    *,
    name: str | None = None,
    metric: str | None = None,
    mode: str | None = None,
    stop: Mapping[str, Any] | Callable[[str, Mapping[str, Any]], bool] | None = None,
    time_budget_s: float | None = None,
    config: dict[str, Any] | None = None,
    resources_per_trial: Mapping[str, Any] | PlacementGroupFactory | None = None,
    num_samples: int = 1,
    storage_path: str | None = None,
    storage_filesystem: Incomplete | None = None,
    search_alg: Incomplete | None = None,
    scheduler: TrialScheduler | str | None = None,
    checkpoint_config: CheckpointConfig | None = None,
    verbose: int | None = None,
    progress_reporter: Incomplete | None = None,
    log_to_file: bool = False,
    trial_name_creator: Callable[[Trial], str] | None = None,
    trial_dirname_creator: Callable[[Trial], str] | None = None,
    sync_config: Incomplete | None = None,
    export_formats: Sequence[str] | None = None,
    max_failures: int = 0,
    fail_fast: bool = False,
    restore: str | None = None,
    resume: bool | str | None = None,
    resume_config: Incomplete | None = None,
    reuse_actors: bool = False,
    raise_on_failed_trial: bool = True,
    callbacks: Sequence[Callback] | None = None,
    max_concurrent_trials: int | None = None,
    keep_checkpoints_num: int | None = None,
    checkpoint_score_attr: str | None = None,
    checkpoint_freq: int = 0,
    checkpoint_at_end: bool = False,
    chdir_to_trial_dir: bool | str = ...,
    local_dir: str | None = None,
    _remote: bool | None = None,
    _remote_string_queue: Incomplete | None = None,
    _entrypoint: Incomplete = ...,
) -> ExperimentAnalysis: ...
def report(metrics: dict[str, Any], *, checkpoint: Checkpoint | None = None) -> None: ...
def get_checkpoint() -> Checkpoint | None: ...
def choice(categories: Sequence[Any]) -> Incomplete: ...
def grid_search(values: Iterable[Any]) -> dict[str, Iterable[Any]]: ...
def uniform(lower: float, upper: float) -> Incomplete: ...
def loguniform(lower: float, upper: float, base: object = ...) -> Incomplete: ...
def randint(lower: int, upper: int) -> Incomplete: ...
def with_parameters(
    trainable: type[Trainable] | Callable[..., Any], **kwargs: Any
) -> Incomplete: ...
def with_resources(
    trainable: type[Trainable] | Callable[..., Any],
    resources: dict[str, float]
    | PlacementGroupFactory
    | Callable[[dict[str, Any]], PlacementGroupFactory],
) -> Incomplete: ...
def __getattr__(name: str) -> Incomplete: ...
