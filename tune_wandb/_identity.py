"""Which W&B run belongs to which Tune trial, and where it is written.

The logger (on the driver, from a ``Trial``) and the mixins (in the trial's
worker, from a ``Trainable``) both build a :class:`RunIdentity` here, so a
trial's run has the same id, name, group and folder whichever wrote it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from ray.train._internal.storage import StorageContext
    from ray.tune.experiment import Trial
    from ray.tune.trainable import Trainable

    from tune_wandb._settings import WandbSettings


def _is_local(storage: StorageContext) -> bool:
    return type(storage.storage_filesystem).__name__ == "LocalFileSystem"


def run_folder(storage: StorageContext, *, fallback: str) -> str:
    """The folder a trial's run is written to.

    On local storage that is the trial's folder in the experiment's results,
    written in place: Tune's final copy of staging folders happens before
    ``on_experiment_end``, so a run written to staging and copied later could
    be caught half-written. Elsewhere (cloud storage), ``fallback``.
    """
    if _is_local(storage):
        return storage.trial_fs_path
    return fallback


@attrs.frozen(kw_only=True)
class RunIdentity:
    """A trial's W&B run: id = trial id, name = trial name, group = experiment name."""

    run_id: str
    name: str
    group: str
    project: str
    folder: str

    @classmethod
    def from_trial(cls, trial: Trial, settings: WandbSettings) -> RunIdentity:
        """The identity of ``trial``'s run, as seen from the driver."""
        storage = trial.storage
        return cls._build(
            trial_id=trial.trial_id,
            trial_name=str(trial),
            experiment=trial.experiment_dir_name,
            folder=run_folder(storage, fallback=storage.trial_driver_staging_path),
            settings=settings,
        )

    @classmethod
    def from_trainable(cls, trainable: Trainable, settings: WandbSettings) -> RunIdentity:
        """The identity of the trial a ``Trainable`` is running, as seen in its worker."""
        storage = trainable._storage
        if storage is None:  # a Trainable built by hand, outside Tune
            return cls._build(
                trial_id=trainable.trial_id,
                trial_name=trainable.trial_name,
                experiment="default",
                folder=str(Path.cwd()),
                settings=settings,
            )
        return cls._build(
            trial_id=trainable.trial_id,
            trial_name=trainable.trial_name,
            experiment=storage.experiment_dir_name,
            folder=run_folder(storage, fallback=storage.trial_working_directory),
            settings=settings,
        )

    @classmethod
    def _build(
        cls,
        *,
        trial_id: str,
        trial_name: str,
        experiment: str,
        folder: str,
        settings: WandbSettings,
    ) -> RunIdentity:
        kwargs = settings.init_kwargs
        return cls(
            run_id=str(kwargs.get("id") or trial_id),
            name=str(kwargs.get("name") or trial_name),
            group=settings.group or experiment,
            project=settings.resolved_project(),
            folder=str(kwargs.get("dir") or folder),
        )
