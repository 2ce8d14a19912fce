"""The mixins and setup_wandb start W&B beside the trial's setup; early uses wait for the run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import wandb
from ray import tune

from tests.helpers import KEY, UNREACHABLE, online
from tests.wandb_reader import read_runs
from tune_wandb import WandbTrainableMixin, setup_wandb, wandb_mixin


class SetsUpWhileStarting(WandbTrainableMixin, tune.Trainable):
    """Records, at the end of setup(), whether its run had started; uses W&B right away."""

    def setup(self, config: dict[str, Any]) -> None:
        self.started_during_setup = type(wandb.run).__name__ == "Run"
        wandb.config["set_in_setup"] = 1  # waits for the run, then sets it

    def step(self) -> dict[str, Any]:
        self.wandb.log({"x": self.iteration})
        return {"setup_waited": not self.started_during_setup, "done": self.iteration >= 2}


class NeverLogs(WandbTrainableMixin, tune.Trainable):
    def step(self) -> dict[str, Any]:
        return {"done": self.iteration >= 1}


@wandb_mixin
def logs_first_thing(config: dict[str, Any]) -> None:
    """wandb.log before anything else: it waits for the run the mixin is starting."""
    for i in range(3):
        wandb.log({"i": i})
        tune.report({"i": i})


def setup_wandb_logs_first_thing(config: dict[str, Any]) -> None:
    run = setup_wandb(config)
    run.log({"i": 0})
    wandb.log({"i": 1})
    tune.report({"i": 1})


def test_setup_runs_while_the_run_starts(
    tune_run: Any, results: Path, key_file: Path, stalling_server: str
) -> None:
    """W&B takes 3 s to start (then falls back offline): setup() ran meanwhile; nothing lost."""
    analysis = tune_run(
        SetsUpWhileStarting, config={"wandb": online(key_file, stalling_server, project="p")}
    )
    assert analysis.trials[0].last_result["setup_waited"] is True
    (run,) = read_runs(results).values()
    assert run.column("x") == [0, 1, 2]
    assert run.config["set_in_setup"] == 1
    assert run.exit_code == 0


def test_decorator_and_setup_wandb_log_before_the_run_has_started(
    tune_run: Any, results: Path, key_file: Path, stalling_server: str
) -> None:
    """wandb.log and setup_wandb's run, used at once, wait for the run: every row is kept."""
    settings = online(key_file, stalling_server, project="p")
    tune_run(logs_first_thing, config={"wandb": settings}, name="decorated")
    tune_run(setup_wandb_logs_first_thing, config={"wandb": settings}, name="setup")
    runs = {run.group: run for run in read_runs(results).values()}
    assert runs["decorated"].column("i") == [0, 1, 2]
    assert runs["setup"].column("i") == [0, 1]


def test_a_run_that_cannot_start_fails_a_trial_that_never_used_it(
    tune_run: Any, key_file: Path
) -> None:
    """offline_fallback=False, W&B unreachable, no log call: the trial still fails, saying why."""
    settings = online(key_file, UNREACHABLE, project="p", offline_fallback=False)
    analysis = tune_run(NeverLogs, config={"wandb": settings}, raise_on_failed_trial=False)
    (trial,) = analysis.trials
    assert trial.status == "ERROR"
    error = Path(trial.local_path or "", "error.txt").read_text()
    assert "offline_fallback" in error
    assert KEY not in error
