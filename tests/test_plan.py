"""RunPlan in Tune: the user's overrides reach the runs the logger and the mixins write."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ray import tune

from tests.helpers import Counter, reports
from tests.wandb_reader import read_runs
from tune_wandb import WandbLogger


class TestOverridesReachTheRun:
    def test_logger(self, tune_run: Any, results: Path) -> None:
        """group, id, name and tags set by the user are what the logger's run holds."""
        tune_run(
            reports,
            config={"a": 1, "wandb": {"id": "my-id", "name": "my-name", "tags": ["t1"]}},
            callbacks=[WandbLogger(project="p", group="my-group", summary=False)],
        )
        (run,) = read_runs(results).values()
        assert (run.run_id, run.name, run.group) == ("my-id", "my-name", "my-group")
        assert run.tags == ["t1", "completed"]  # the logger adds why the trial ended
        assert len(run.history) == 5

    def test_mixin(self, tune_run: Any, results: Path) -> None:
        """The same overrides reach a mixin trial's run."""
        settings = {"project": "p", "id": "m-id", "name": "m-name", "group": "g", "tags": ["t2"]}
        tune_run(Counter, config={"a": tune.grid_search([1]), "wandb": settings})
        (run,) = read_runs(results).values()
        assert (run.run_id, run.name, run.group, run.tags) == ("m-id", "m-name", "g", ["t2"])
