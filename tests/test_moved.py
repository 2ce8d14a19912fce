"""Experiments pickled by 0.1.0's module layout still load: the logger and both mixins."""

from __future__ import annotations

import importlib
import pickle
from pathlib import Path
from typing import Any

from ray import cloudpickle, tune

from tests.wandb_reader import read_runs
from tune_wandb import WandbLogger, WandbSettings, WandbTrainableMixin
from tune_wandb._moved import MOVED

#: Made with 0.1.0 (before the layers), as Tune pickles a callback and a script's trainables.
DATA = Path(__file__).parent / "data"


def test_every_old_path_is_the_new_module() -> None:
    """Importing an old path gives the module at its new one, the very same object."""
    for old, new in MOVED.items():
        assert importlib.import_module(old) is importlib.import_module(new)


def test_a_logger_pickled_by_0_1_0_keeps_its_settings() -> None:
    """Its settings come back, upload_checkpoints (then the logger's own argument) among them."""
    logger = pickle.loads((DATA / "logger-0.1.0.pkl").read_bytes())
    assert isinstance(logger, WandbLogger)
    settings: WandbSettings = logger._defaults
    assert (settings.project, settings.summary_metric, settings.init_kwargs) == (
        "p",
        "loss",
        {"tags": ["t"]},
    )
    assert settings.checkpoint_mode == "best"
    assert settings.log_console is True  # added since: its default


def test_mixin_trainables_pickled_by_0_1_0_still_write_runs(tune_run: Any, results: Path) -> None:
    """The decorated function and the class mixin of a 0.1.0 script run and log their trials."""
    decorated = cloudpickle.loads((DATA / "decorated-0.1.0.pkl").read_bytes())
    cls = cloudpickle.loads((DATA / "class-mixin-0.1.0.pkl").read_bytes())
    assert issubclass(decorated, WandbTrainableMixin)
    assert issubclass(cls, WandbTrainableMixin)
    tune_run(decorated, config={"a": tune.grid_search([1, 2]), "wandb": {"project": "old"}})
    tune_run(cls, config={"wandb": {"project": "old"}}, name="cls")
    runs = read_runs(results)
    assert sorted(str(run.config.get("a")) for run in runs.values()) == ["1", "2", "None"]
    assert all(run.exit_code == 0 for run in runs.values())


def test_new_pickles_name_the_public_path() -> None:
    """A logger pickled now names tune_wandb.WandbLogger, whatever module holds it."""
    data = pickle.dumps(WandbLogger(project="p"))
    assert b"tune_wandb._logger" not in data
    assert b"tune_wandb._core" not in data
