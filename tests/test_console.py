"""Console output in the run: each trial's prints in its own run, from setup on, key masked."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import ray
import ray.train
import wandb
from ray import tune
from ray.train.v2.api.data_parallel_trainer import DataParallelTrainer

from tests.wandb_reader import read_runs
from tune_wandb import WandbLogger, WandbTrainableMixin, setup_wandb, wandb_mixin

KEY = "c" * 40


@wandb_mixin
def prints(config: dict[str, Any]) -> None:
    print(f"starting trial a={config['a']}")  # before anything waits for the run
    for i in range(3):
        print(f"a={config['a']} step {i}")
        wandb.log({"i": i})
        tune.report({"i": i})
    print(f"a warning from a={config['a']}", file=sys.stderr)
    print(f"my key is {KEY}")


class PrintsInSetup(WandbTrainableMixin, tune.Trainable):
    def setup(self, config: dict[str, Any]) -> None:
        print(f"setup of a={config['a']}")

    def step(self) -> dict[str, Any]:
        if config_fails(self.config) and self.iteration == 1:
            raise ValueError("trial failed on purpose")
        print(f"a={self.config['a']} iteration {self.iteration + 1}")
        return {"i": self.iteration, "done": self.iteration >= 2}


def config_fails(config: dict[str, Any]) -> bool:
    return bool(config.get("fail"))


def test_each_trials_lines_are_in_its_own_run(tune_run: Any, results: Path) -> None:
    """Every line a trial printed, stdout and stderr, is in its run and in no other."""
    tune_run(
        prints,
        config={"a": tune.grid_search([1, 2]), "wandb": {"project": "p", "api_key": KEY}},
    )
    runs = read_runs(results).values()
    assert len(runs) == 2
    for run in runs:
        a, other = run.config["a"], 3 - run.config["a"]
        printed = run.printed
        assert f"starting trial a={a}\n" in printed
        assert [f"a={a} step {i}\n" in printed for i in range(3)] == [True] * 3
        assert ("STDERR", f"a warning from a={a}\n") in run.output
        assert f"a={other}" not in printed
        assert KEY not in printed
        assert "my key is ***\n" in printed


def test_setup_prints_and_a_failure_traceback_are_in_the_run(tune_run: Any, results: Path) -> None:
    """The class mixin's run holds what setup() printed, and a failed trial's traceback."""
    tune_run(
        PrintsInSetup,
        config={"a": 7, "fail": True, "wandb": {"project": "p"}},
        raise_on_failed_trial=False,
    )
    (run,) = read_runs(results).values()
    assert run.exit_code == 1
    assert "setup of a=7\n" in run.printed
    assert "a=7 iteration 1\n" in run.printed
    stderr = "".join(line for stream, line in run.output if stream == "STDERR")
    assert "Traceback (most recent call last)" in stderr
    assert "ValueError: trial failed on purpose" in stderr


def test_log_console_off_captures_nothing(tune_run: Any, results: Path) -> None:
    """log_console=False: the run has no console output."""
    tune_run(prints, config={"a": 1, "wandb": {"project": "p", "log_console": False}})
    (run,) = read_runs(results).values()
    assert run.output == []
    assert run.column("i") == [0, 1, 2]


def prints_with_setup_wandb(config: dict[str, Any]) -> None:
    print("before setup_wandb")
    run = setup_wandb(config, project="p")
    print("after setup_wandb")
    run.log({"i": 1})


def test_setup_wandb_captures_from_its_call(tune_run: Any, results: Path) -> None:
    """setup_wandb's run holds what the function printed from the call on."""
    tune_run(prints_with_setup_wandb, config={"a": 1})
    (run,) = read_runs(results).values()
    assert "after setup_wandb\n" in run.printed
    assert "before setup_wandb" not in run.printed  # printed before there was a run to plan


def test_with_tunes_log_to_file_each_line_is_captured_once(tune_run: Any, results: Path) -> None:
    """Tune's own copy of the output (log_to_file wraps sys.stdout) doubles no line."""
    analysis = tune_run(prints, config={"a": 1, "wandb": {"project": "p"}}, log_to_file=True)
    (run,) = read_runs(results).values()
    assert run.printed.count("a=1 step 1\n") == 1
    (trial,) = analysis.trials
    # Tune writes it in the trial's working folder, beside its driver-side folder.
    local = Path(trial.local_path)
    stdout = local.parent.parent / "working_dirs" / local.name / "stdout"
    assert "a=1 step 1" in stdout.read_text()  # Tune's copy has it too


def prints_then_fails_at_three(config: dict[str, Any]) -> None:
    for i in range(1, 5):
        print(f"a={config['a']} logger step {i}")
        if config["a"] == 2 and i == 3:
            raise ValueError("trial failed on purpose")
        tune.report({"i": i})


def test_the_logger_takes_each_trials_output_from_tunes_files(tune_run: Any, results: Path) -> None:
    """With log_to_file, each logger run holds its trial's lines, and a failure's traceback."""
    tune_run(
        prints_then_fails_at_three,
        config={"a": tune.grid_search([1, 2])},
        callbacks=[WandbLogger(project="p", api_key=KEY, mode="offline", summary=False)],
        log_to_file=True,
        raise_on_failed_trial=False,
    )
    runs = {run.config["a"]: run for run in read_runs(results).values()}
    assert [f"a=1 logger step {i}\n" in runs[1].printed for i in range(1, 5)] == [True] * 4
    assert "a=2" not in runs[1].printed
    assert ":actor_name:" not in runs[1].printed  # Ray's own marker lines
    # Tune's file holds what Ray flushed by the trial's last result; a failed trial's
    # lines after it may not be there yet when the logger finishes its run.
    assert "a=2 logger step 2\n" in runs[2].printed
    stderr = "".join(line for stream, line in runs[2].output if stream == "STDERR")
    assert "ValueError: trial failed on purpose" in stderr
    assert KEY not in runs[1].printed + runs[2].printed


def test_the_logger_without_log_to_file_adds_no_output(tune_run: Any, results: Path) -> None:
    """Without Tune's log_to_file the logger has nothing to read: no output records."""
    tune_run(
        prints_then_fails_at_three,
        config={"a": 1},
        callbacks=[WandbLogger(project="p", summary=False)],
    )
    (run,) = read_runs(results).values()
    assert run.output == []


def prints_in_a_train_worker(config: dict[str, Any]) -> None:
    setup_wandb(config)
    print("printed once in a Train worker")
    ray.train.report({"i": 1})


def test_a_print_in_a_ray_train_worker_is_one_line(ray_session: None, results: Path) -> None:
    """Ray Train's print writes each line to stdout and again to stderr: the run holds it once."""
    DataParallelTrainer(
        prints_in_a_train_worker,
        train_loop_config={"wandb": {"project": "p"}},
        scaling_config=ray.train.ScalingConfig(num_workers=1),
        run_config=ray.train.RunConfig(name="prints", storage_path=str(results)),
    ).fit()
    (run,) = read_runs(results).values()
    assert [line for _, line in run.output if "printed once" in line] == [
        "printed once in a Train worker\n"
    ]
