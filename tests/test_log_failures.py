"""A W&B service that dies mid-trial costs neither the trial nor the rows already written."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import psutil
import wandb
from ray import tune

from tests.wandb_reader import read_runs
from tune_wandb import WandbTrainableMixin, wandb_mixin
from tune_wandb._core._plan import FLUSH_INTERVAL, flushes_every_second

WANDB = {"project": "log-failures"}


def _capture_warnings(path: str) -> None:
    """Keep this worker's tune-wandb warnings in a file the test can read."""
    handler = logging.FileHandler(path)
    handler.setLevel(logging.WARNING)
    logging.getLogger("tune_wandb").addHandler(handler)


def _kill_wandb_service() -> int:
    """SIGKILL this process's wandb-core service: a real mid-run W&B failure."""
    killed = 0
    for child in psutil.Process().children(recursive=True):
        if child.name().startswith("wandb-core"):
            child.kill()
            child.wait(10)
            killed += 1
    return killed


@wandb_mixin
def loses_its_service(config: dict[str, Any]) -> None:
    _capture_warnings(config["warnings"])
    for i in range(3):
        wandb.log({"i": i})
    time.sleep(2 * FLUSH_INTERVAL)  # what wandb accepted is on disk before the fault
    killed = _kill_wandb_service()
    for i in range(3, 6):
        wandb.log({"i": i})
        tune.report({"i": i, "killed": killed})


class LosesItsService(WandbTrainableMixin, tune.Trainable):
    def setup(self, config: dict[str, Any]) -> None:
        _capture_warnings(config["warnings"])

    def step(self) -> dict[str, Any]:
        if self.iteration == 3:
            time.sleep(2 * FLUSH_INTERVAL)
            _kill_wandb_service()
        self.wandb.log({"i": self.iteration})
        return {"i": self.iteration, "done": self.iteration >= 5}


def test_decorated_trial_survives_its_service_dying(tune_run: Any, results: Path) -> None:
    """wandb.log failures are counted, reported once at trial end, and the trial succeeds."""
    warnings_file = results.parent / "warnings.log"
    analysis = tune_run(loses_its_service, config={"warnings": str(warnings_file), "wandb": WANDB})
    (trial,) = analysis.trials
    assert trial.status == "TERMINATED"
    assert trial.last_result["killed"] >= 1
    if flushes_every_second():  # older wandb held the rows in memory when its service died
        (run,) = read_runs(results).values()
        assert run.column("i") == [0, 1, 2]
    warnings = warnings_file.read_text().splitlines()
    failures = [w for w in warnings if "could not be logged" in w]
    assert len(failures) == 1
    assert "3 of 6 rows" in failures[0]
    assert "ConnectionResetError" in failures[0]


def test_class_trial_survives_its_service_dying(tune_run: Any, results: Path) -> None:
    """The same for self.wandb.log in a class Trainable."""
    warnings_file = results.parent / "warnings.log"
    analysis = tune_run(LosesItsService, config={"warnings": str(warnings_file), "wandb": WANDB})
    (trial,) = analysis.trials
    assert trial.status == "TERMINATED"
    if flushes_every_second():  # older wandb held the rows in memory when its service died
        (run,) = read_runs(results).values()
        assert run.column("i") == [0, 1, 2]
    warnings = warnings_file.read_text()
    assert warnings.count("could not be logged") == 1
    assert "3 of 6 rows" in warnings
