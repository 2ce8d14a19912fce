"""Module paths of tune-wandb 0.1.0 that moved, still importable for what was pickled then.

Tune pickles callbacks, trainables and trial configs into an experiment's
folder (``tuner.pkl``, ``params.pkl``), and ``Tuner.restore`` loads them. A
pickle names each class by its module path: one made by 0.1.0 names, for
example, ``tune_wandb._settings.WandbSettings``. Public classes now name
``tune_wandb`` itself, so later moves break nothing; this finder maps the old
paths to the new modules, so experiments written by 0.1.0 restore.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Final

#: Each 0.1.0 module path that moved, and where its contents are now.
MOVED: Final = {
    "tune_wandb._best": "tune_wandb._core._best",
    "tune_wandb._checkpoint_files": "tune_wandb._core._checkpoint_files",
    "tune_wandb._checkpoint_policy": "tune_wandb._core._checkpoint_policy",
    "tune_wandb._checkpoint_uploader": "tune_wandb._wandb._uploader",
    "tune_wandb._cluster_keys": "tune_wandb._ray._cluster_store",
    "tune_wandb._config_dict": "tune_wandb._core._config_dict",
    "tune_wandb._experiment": "tune_wandb._core._experiment",
    "tune_wandb._hooks": "tune_wandb._core._hooks",
    "tune_wandb._identity": "tune_wandb._core._identity",
    "tune_wandb._log_failures": "tune_wandb._core._log_failures",
    "tune_wandb._logger._media": "tune_wandb._wandb._media",
    "tune_wandb._logger._records": "tune_wandb._core._records",
    "tune_wandb._logger._stops": "tune_wandb._core._stops",
    "tune_wandb._logger._writer_process": "tune_wandb._logger._link",
    "tune_wandb._plan": "tune_wandb._core._plan",
    "tune_wandb._preflight": "tune_wandb._wandb._preflight",
    "tune_wandb._provisional": "tune_wandb._wandb._provisional",
    "tune_wandb._results": "tune_wandb._core._results",
    "tune_wandb._run": "tune_wandb._wandb._run",
    "tune_wandb._secrets": "tune_wandb._core._secrets",
    "tune_wandb._settings": "tune_wandb._core._settings",
    "tune_wandb._train._hosts": "tune_wandb._ray._hosts",
    "tune_wandb._trial_run": "tune_wandb._wandb._trial_run",
    "tune_wandb._waiting": "tune_wandb._wandb._waiting",
}


class _Alias(importlib.abc.Loader):
    """Loads an old path as the module now at the new one (the same module object)."""

    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the module is the new one, already imported."""


class MovedFinder(importlib.abc.MetaPathFinder):
    """Finds the modules in :data:`MOVED` under their old paths."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        target_name = MOVED.get(fullname)
        if target_name is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Alias(target_name))


def install() -> None:
    """Put the finder on ``sys.meta_path`` once (at ``import tune_wandb``)."""
    if not any(isinstance(finder, MovedFinder) for finder in sys.meta_path):
        sys.meta_path.append(MovedFinder())
