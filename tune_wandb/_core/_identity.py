"""Which run a W&B run is, as Ray knows it, and where it is written.

Every entry point describes its run here, with a named constructor: a trial
from the driver (:meth:`TrialIdentity.from_trial`) or from inside it
(:meth:`TrialIdentity.in_trial`), a Ray Train run (:meth:`TrialIdentity.for_train_run`,
the same from a worker and from the controller), the experiment
(:meth:`TrialIdentity.for_experiment`), or none of these
(:meth:`TrialIdentity.outside_ray`). :mod:`._plan` then applies the user's
overrides (``id``, ``name``, ``group``, ``dir``), so a trial's run is the same
whichever entry point wrote it.

One rule places every run: in its own folder of the experiment's results
when those are on the local filesystem (written in place: Tune's final copy
of staging folders happens before ``on_experiment_end``, so a run written to
staging and copied later could be caught half-written), and elsewhere (cloud
storage) in a local folder of the process that writes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from ray.train._internal.storage import StorageContext
    from ray.tune.experiment import Trial


def local_path(path: str, filesystem: Any = None) -> str | None:
    """``path`` on this machine's filesystem, or ``None`` if it is elsewhere (S3, GCS, ...).

    ``filesystem`` is the pyarrow filesystem the path is on, where known.

    Example::

        >>> local_path("/tmp/results"), local_path("s3://bucket/results")
        ('/tmp/results', None)
    """
    if filesystem is not None and type(filesystem).__name__ != "LocalFileSystem":
        return None
    if "://" in path and not path.startswith("file://"):
        return None
    return str(Path(path.removeprefix("file://")).expanduser())


def _is_local(storage: StorageContext) -> bool:
    return type(storage.storage_filesystem).__name__ == "LocalFileSystem"


@attrs.frozen(kw_only=True)
class TrialIdentity:
    """A run as W&B sees it: its id and name, its experiment (the group), its folder.

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
        """``trial`` as seen from the driver (the logger)."""
        storage = trial.storage
        return cls(
            trial_id=trial.trial_id,
            trial_name=str(trial),
            experiment=trial.experiment_dir_name,
            folder=storage.trial_fs_path
            if _is_local(storage)
            else storage.trial_driver_staging_path,
        )

    @classmethod
    def in_trial(
        cls, *, trial_id: str, trial_name: str, storage: StorageContext | None
    ) -> TrialIdentity:
        """The trial a ``Trainable`` runs, from inside it (its storage, if Tune gave it one)."""
        if storage is None:  # a Trainable built by hand, outside Tune
            return cls(
                trial_id=trial_id,
                trial_name=trial_name,
                experiment="default",
                folder=str(Path.cwd()),
            )
        return cls(
            trial_id=trial_id,
            trial_name=trial_name,
            experiment=storage.experiment_dir_name,
            folder=storage.trial_fs_path if _is_local(storage) else storage.trial_working_directory,
        )

    @classmethod
    def for_train_run(
        cls, *, run_id: str, name: str, storage_path: str, filesystem: Any = None
    ) -> TrialIdentity:
        """A Ray Train run: the same from its workers and its controller.

        ``storage_path`` is the run's ``RunConfig.storage_path``; the run is
        written in its folder ``<storage_path>/<name>`` there.
        """
        results = local_path(storage_path, filesystem)
        return cls(
            trial_id=run_id,
            trial_name=name,
            experiment=name,
            folder=str(Path(results, name)) if results is not None else str(Path.cwd()),
        )

    @classmethod
    def for_experiment(cls, *, run_id: str, storage: StorageContext) -> TrialIdentity:
        """The experiment's own run (the logger's), in the experiment's results folder."""
        experiment = storage.experiment_dir_name
        return cls(
            trial_id=run_id,
            trial_name=f"{experiment} (experiment)",
            experiment=experiment,
            folder=(
                storage.experiment_fs_path
                if _is_local(storage)
                else storage.experiment_driver_staging_path
            ),
        )

    @classmethod
    def outside_ray(cls, run_id: str) -> TrialIdentity:
        """A run started neither in a Tune trial nor in a Train run: named by wandb."""
        return cls(trial_id=run_id, trial_name="", experiment="", folder=str(Path.cwd()))
