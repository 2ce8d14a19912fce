"""``WandbConfig``: the trial config's ``"wandb"`` dict as a ``TypedDict``, for mypy.

``{"wandb": WandbConfig(projekt="p")}`` is then a type error, not a run-time
one; ``{"wandb": WandbSettings(...)}`` is the other typed form. The keys are
:class:`~tune_wandb.WandbSettings`' fields, ``wandb.init()``'s parameters
(except those tune-wandb manages) and the seed's ``run_id`` / ``run_name``;
a test keeps them in step with the installed wandb.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, TypedDict

if TYPE_CHECKING:
    import wandb


class WandbConfig(TypedDict, total=False):
    """The ``"wandb"`` settings of a trial config, each key typed.

    Example::

        from tune_wandb import WandbConfig

        param_space = {
            "lr": tune.loguniform(1e-4, 1e-1),
            "wandb": WandbConfig(project="mnist", tags=["baseline"], excludes=["pid"]),
        }
    """

    # tune-wandb's own settings (see WandbSettings)
    project: str
    group: str
    api_key_file: str
    api_key: str
    excludes: Sequence[str]
    log_config: bool
    init_timeout: float
    offline_fallback: bool
    upload_timeout: float
    summary_metric: str
    summary_mode: Literal["min", "max"]
    tune_prefix: bool
    image_kwargs: dict[str, Any]
    video_kwargs: dict[str, Any]
    upload_checkpoints: bool | Literal["all", "best", "end"]
    log_console: bool
    log_system_metrics: bool
    # the seed's names for id and name
    run_id: str
    run_name: str
    # wandb.init()'s parameters
    entity: str
    dir: str
    id: str
    name: str
    notes: str
    tags: Sequence[str]
    config: dict[str, Any]
    config_exclude_keys: list[str]
    config_include_keys: list[str]
    allow_val_change: bool
    job_type: str
    mode: Literal["online", "offline", "disabled", "shared"]
    force: bool
    save_code: bool
    tensorboard: bool
    sync_tensorboard: bool
    monitor_gym: bool
    settings: wandb.Settings | dict[str, Any]
    anonymous: Literal["never", "allow", "must"]


WandbConfig.__module__ = "tune_wandb"  # the public path, for docs and reprs
