"""Which Tune trial a W&B run belongs to, and where its run is written.

The logger (on the driver, from a ``Trial``) and the mixins (in the trial's
worker, from a ``Trainable``) both describe the trial here, from Tune alone;
:mod:`tune_wandb._plan` then applies the user's overrides (``id``, ``name``,
``group``, ``dir``), so a trial's run is the same whichever entry point wrote it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import attrs

if TYPE_CHECKING:
    from ray.train._internal.storage import StorageContext
    from ray.tune.experiment import Trial


class TrainableLike(Protocol):
    """What identity needs of a running ``Trainable``: its trial and its storage."""

    @property
    def trial_id(self) -> str: ...

    @property
    def trial_name(self) -> str: ...

    @property
    def _storage(self) -> StorageContext | None: ...


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


def experiment_folder(storage: StorageContext) -> str:
    """The folder the experiment's own run is written to: its results folder, if local."""
    if _is_local(storage):
        return storage.experiment_fs_path
    return storage.experiment_driver_staging_path


@attrs.frozen(kw_only=True)
class TrialIdentity:
    """A Tune trial as W&B sees it: its id and name, its experiment, its folder.

    Example::

        >>> TrialIdentity(trial_id="a1_00000", trial_name="fn_a1_00000",
        ...               experiment="exp", folder="/tmp/exp/fn_a1_00000").trial_id
        'a1_00000'
    """

    trial_id: str
    trial_name: str
    experiment: str
    folder: str

    @classmethod
    def from_trial(cls, trial: Trial) -> TrialIdentity:
        """``trial`` as seen from the driver."""
        storage = trial.storage
        return cls(
            trial_id=trial.trial_id,
            trial_name=str(trial),
            experiment=trial.experiment_dir_name,
            folder=run_folder(storage, fallback=storage.trial_driver_staging_path),
        )

    @classmethod
    def from_trainable(cls, trainable: TrainableLike) -> TrialIdentity:
        """The trial a ``Trainable`` is running, as seen in its worker."""
        storage = trainable._storage
        if storage is None:  # a Trainable built by hand, outside Tune
            return cls(
                trial_id=trainable.trial_id,
                trial_name=trainable.trial_name,
                experiment="default",
                folder=str(Path.cwd()),
            )
        return cls(
            trial_id=trainable.trial_id,
            trial_name=trainable.trial_name,
            experiment=storage.experiment_dir_name,
            folder=run_folder(storage, fallback=storage.trial_working_directory),
        )
