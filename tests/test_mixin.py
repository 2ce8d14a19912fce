"""WandbTrainableMixin and @wandb_mixin: one correct W&B run per trial, from inside the trial."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
import wandb
from ray import tune

from examples.decorator import train_fn  # the seed's example, as shipped
from tests.helpers import (
    Counter,
    SeesFinishedRuns,
    by_trial,
    exit_codes_by_run,
    fit_then_restore,
    trial_ids,
)
from tests.wandb_reader import read_run_logs, read_runs
from tune_wandb import WandbLogger, WandbTrainableMixin, wandb_mixin
from tune_wandb._core._plan import FLUSH_INTERVAL, flushes_every_second

WANDB = {"project": "mixin-tests"}


@wandb_mixin
def logs_i(config: dict[str, Any]) -> None:
    for i in range(3):
        wandb.log({"i": i})
        tune.report({"i": i})


@wandb_mixin
def sees_config(config: dict[str, Any]) -> None:
    assert "wandb" not in config, config
    wandb.log({"a": config["a"]})
    tune.report({"a": config["a"]})


@wandb_mixin
def rises_then_falls(config: dict[str, Any]) -> None:
    for i in range(6):
        acc = -abs(i - config["peak"])
        wandb.log({"acc": acc})
        tune.report({"acc": acc})


@wandb_mixin
def fails_at_three(config: dict[str, Any]) -> None:
    for i in range(1, 6):
        if i == 3:
            raise ValueError("trial failed on purpose")
        wandb.log({"i": i})
        tune.report({"i": i})


@wandb_mixin
def logs_its_own_a(config: dict[str, Any]) -> None:
    for _ in range(5):
        wandb.log({"a": config["a"]})
        tune.report({"a": config["a"]})


@wandb_mixin
def dies_after_four(config: dict[str, Any]) -> None:
    for i in range(4):
        wandb.log({"i": i})
        tune.report({"i": i})
    time.sleep(2 * FLUSH_INTERVAL)
    os._exit(1)  # the trial's process dies, as on an OOM kill; its wandb service with it


@wandb_mixin
def fails_first_time(config: dict[str, Any]) -> None:
    """Fails at its third step until the marker exists (it makes it as it fails)."""
    marker = Path(config["marker"])
    for i in range(1, 4):
        if i == 3 and not marker.exists():
            marker.touch()
            raise RuntimeError("first attempt fails on purpose")
        wandb.log({"i": i})
        tune.report({"i": i})


@wandb_mixin
def fails_until_marker(config: dict[str, Any]) -> None:
    """Fails at its third step while the marker (made by the test) is missing."""
    for i in range(1, 4):
        if i == 3 and not Path(config["marker"]).exists():
            raise RuntimeError("interrupted until the marker exists")
        wandb.log({"i": i})
        tune.report({"i": i})


@wandb_mixin
def with_data(config: dict[str, Any], data: list[int] | None = None) -> None:
    assert data is not None
    wandb.log({"total": sum(data) * config["a"]})
    tune.report({"total": sum(data)})


class TestDecorator:
    def test_seed_example_gives_one_correct_run_per_trial(
        self, tune_run: Any, results: Path
    ) -> None:
        """Each trial's run has its id, name, group, project, config and all ten rows."""
        analysis = tune_run(
            train_fn, config={"a": tune.grid_search([1, 2]), "b": 4, "wandb": WANDB}
        )
        runs = read_runs(results)
        trials = by_trial(analysis)
        assert set(runs) == set(trials)
        for trial_id, run in runs.items():
            trial = trials[trial_id]
            assert run.name == str(trial)
            assert run.group == "exp"
            assert run.project == "mixin-tests"
            assert run.config == {"a": trial.config["a"], "b": 4}
            assert run.column("loss") == [trial.config["a"] + 4] * 10
            assert run.exit_code == 0
            # Without a WandbLogger, the run holds the user's rows alone.
            assert not [key for row in run.history for key in row if key.startswith("tune/")]

    def test_beside_the_logger_tunes_results_are_rows_under_tune(
        self, tune_run: Any, results: Path
    ) -> None:
        """Beside WandbLogger, what the function reports to Tune is in its run under tune/."""
        tune_run(logs_i, config={"wandb": WANDB}, callbacks=[WandbLogger(summary=False)])
        (run,) = read_runs(results).values()
        assert run.column("i") == [0, 1, 2]
        assert run.column("tune/i") == [0, 1, 2]
        assert run.column("tune/training_iteration") == [1, 2, 3]
        assert (run.exit_code, run.summary["tune/stop_reason"]) == (0, "completed")

    def test_keeps_the_function_name(self) -> None:
        """The generated Trainable is named after the function, for Tune's output."""
        assert train_fn.__name__ == "train_fn"
        assert issubclass(train_fn, WandbTrainableMixin)

    def test_function_sees_config_without_wandb_key(self, tune_run: Any, results: Path) -> None:
        """The user's function gets the config without "wandb"."""
        tune_run(sees_config, config={"a": 3, "wandb": WANDB})
        (run,) = read_runs(results).values()
        assert run.column("a") == [3]
        assert run.exit_code == 0

    def test_the_run_is_finished_before_tune_stops_the_trial(self, tune_run: Any) -> None:
        """The function's return finishes its run inside train(), which Tune waits for."""
        sees = SeesFinishedRuns()
        analysis = tune_run(logs_i, config={"wandb": WANDB}, callbacks=[sees])
        (trial,) = analysis.trials
        assert sees.seen == {trial.trial_id: ([0, 1, 2], 0)}

    def test_failing_trial_keeps_rows_and_is_marked_failed(
        self, tune_run: Any, results: Path
    ) -> None:
        """A trial that raises keeps its rows, a non-zero exit code, and its error."""
        tune_run(fails_at_three, config={"wandb": WANDB}, raise_on_failed_trial=False)
        (run,) = read_runs(results).values()
        assert run.column("i") == [1, 2]
        assert run.exit_code == 1
        error = run.summary["tune/error"]
        assert (error["type"], error["message"]) == ("ValueError", "trial failed on purpose")
        assert "fails_at_three" in error["traceback"]

    def test_actor_reuse_never_mixes_trials(self, tune_run: Any, results: Path) -> None:
        """With reuse_actors=True, each trial's rows land in its own run only."""
        analysis = tune_run(
            logs_its_own_a,
            config={"a": tune.grid_search([1, 2, 3, 4, 5]), "wandb": WANDB},
            reuse_actors=True,
        )
        runs = read_runs(results)
        trials = by_trial(analysis)
        assert set(runs) == set(trials)
        for trial_id, run in runs.items():
            assert run.column("a") == [trials[trial_id].config["a"]] * 5
            assert run.exit_code == 0

    @pytest.mark.skipif(
        not flushes_every_second(),
        reason="wandb < 0.31 writes its transaction log every 15 s: a killed process keeps "
        "none of its last 15 s (documented in the README)",
    )
    def test_killed_process_keeps_the_rows_wandb_accepted(
        self, tune_run: Any, results: Path
    ) -> None:
        """A dying trial process keeps the rows it logged over a second before its death."""
        analysis = tune_run(dies_after_four, config={"wandb": WANDB}, raise_on_failed_trial=False)
        (trial,) = analysis.trials
        assert trial.status == "ERROR"
        (run,) = read_runs(results).values()
        assert run.column("i") == [0, 1, 2, 3]

    def test_with_parameters(self, tune_run: Any, results: Path) -> None:
        """tune.with_parameters passes its objects to the decorated function."""
        tune_run(tune.with_parameters(with_data, data=[1, 2, 3]), config={"a": 2, "wandb": WANDB})
        (run,) = read_runs(results).values()
        assert run.column("total") == [12]

    def test_with_resources_and_tuner(self, ray_session: None, results: Path) -> None:
        """tune.with_resources and the Tuner API work with the decorated function."""
        tuner = tune.Tuner(
            tune.with_resources(sees_config, {"cpu": 1}),
            param_space={"a": tune.grid_search([5, 6]), "wandb": WANDB},
            run_config=tune.RunConfig(name="tuner", storage_path=str(results), verbose=0),
        )
        grid = tuner.fit()
        assert not grid.errors
        runs = read_runs(results)
        assert sorted(r.column("a")[0] for r in runs.values()) == [5, 6]
        assert {r.group for r in runs.values()} == {"tuner"}

    def test_summary_holds_the_experiments_best(self, ray_session: None, results: Path) -> None:
        """With TuneConfig(metric=, mode=), the run's summary holds the best value and its step."""
        tuner = tune.Tuner(
            rises_then_falls,
            param_space={"peak": tune.grid_search([2, 4]), "wandb": WANDB},
            tune_config=tune.TuneConfig(metric="acc", mode="max"),
            run_config=tune.RunConfig(name="best", storage_path=str(results), verbose=0),
        )
        grid = tuner.fit()
        runs = read_runs(results)
        assert len(runs) == len(grid) == 2
        for run in runs.values():
            accs = run.column("acc")
            assert accs[-1] < max(accs)  # the last value is not the best
            assert run.summary["acc"] == {"max": max(accs)}
            assert run.steps[accs.index(max(accs))] == run.summary["tune/best_step"]

    def test_decorating_a_class_says_what_to_do(self) -> None:
        """@wandb_mixin on a class points to WandbTrainableMixin."""
        with pytest.raises(TypeError, match=r"class Counter\(WandbTrainableMixin"):
            wandb_mixin(Counter)


class TestClassMixin:
    def test_runs_rows_and_identity(self, tune_run: Any, results: Path) -> None:
        """self.wandb is the trial's run: one run per trial with its rows and config."""
        analysis = tune_run(Counter, config={"a": tune.grid_search([1, 2]), "wandb": WANDB})
        runs = read_runs(results)
        trials = by_trial(analysis)
        assert set(runs) == set(trials)
        for trial_id, run in runs.items():
            a = trials[trial_id].config["a"]
            assert run.config == {"a": a}
            assert run.column("it") == [1, 2, 3, 4]
            assert run.column("a") == [a] * 4
            assert (run.name, run.group, run.exit_code) == (str(trials[trial_id]), "exp", 0)

    def test_failing_trial_is_marked_failed(self, tune_run: Any, results: Path) -> None:
        """A step that raises finishes the run failed, its rows kept, its error in the summary."""
        tune_run(
            Counter, config={"a": 1, "fail_at": 3, "wandb": WANDB}, raise_on_failed_trial=False
        )
        (run,) = read_runs(results).values()
        assert run.column("it") == [1, 2]
        assert run.exit_code == 1
        error = run.summary["tune/error"]
        assert (error["type"], error["message"]) == ("ValueError", "trial failed on purpose")

    def test_actor_reuse_with_reset_config(self, tune_run: Any, results: Path) -> None:
        """reset_config reuse finishes the old trial's run and starts the new one's."""
        analysis = tune_run(
            Counter, config={"a": tune.grid_search([1, 2, 3, 4]), "wandb": WANDB}, reuse_actors=True
        )
        runs = read_runs(results)
        trials = by_trial(analysis)
        assert set(runs) == set(trials)
        for trial_id, run in runs.items():
            assert run.column("a") == [trials[trial_id].config["a"]] * 4
            assert run.exit_code == 0

    def test_mixin_after_trainable_is_refused(self) -> None:
        """Putting the mixin after Trainable fails at class definition with the right order."""
        with pytest.raises(TypeError, match=r"before Trainable"):

            class Wrong(tune.Trainable, WandbTrainableMixin):  # type: ignore[misc]  # the wrong order is the test
                pass


class TestContinuation:
    def test_a_retried_trial_continues_its_run(
        self, tune_run: Any, results: Path, tmp_path: Path
    ) -> None:
        """max_failures=1: the retry writes under the same run id; first failed, then finished."""
        tune_run(
            fails_first_time,
            config={"marker": str(tmp_path / "failed-once"), "wandb": WANDB},
            max_failures=1,
        )
        logs = read_run_logs(results)
        assert len(logs) == 2
        assert len({log.run_id for log in logs}) == 1
        by_rows = sorted(logs, key=lambda log: len(log.history))
        assert [log.column("i") for log in by_rows] == [[1, 2], [1, 2, 3]]
        assert [log.exit_code for log in by_rows] == [1, 0]

    def test_a_restored_experiment_continues_its_runs(
        self, ray_session: None, results: Path, tmp_path: Path
    ) -> None:
        """Tuner.restore of an errored experiment writes under the trials' run ids, no new ones."""
        config = {"a": tune.grid_search([1, 2]), "wandb": WANDB}
        grid, restored = fit_then_restore(fails_until_marker, results, tmp_path / "m", config)
        assert (grid.num_errors, restored.num_errors) == (2, 0)
        assert exit_codes_by_run(results) == {trial: [0, 1] for trial in trial_ids(restored)}


class TestSettingsErrors:
    def test_missing_online_key_fails_before_any_trial(
        self, tune_run: Any, results: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Online with no key anywhere stops tune.run on the driver, for the mixins too."""
        monkeypatch.setenv("WANDB_MODE", "online")
        with pytest.raises(ValueError, match="No W&B API key"):
            tune_run(train_fn, config={"a": 1, "b": 2, "wandb": WANDB})
        assert list(results.rglob("result.json")) == []

    def test_bad_setting_fails_before_any_trial(self, tune_run: Any, results: Path) -> None:
        """A typo in config['wandb'] stops tune.run on the driver, and no run is written."""
        with pytest.raises(ValueError, match="Did you mean 'project'"):
            tune_run(train_fn, config={"a": 1, "b": 2, "wandb": {"projekt": "x"}})
        assert read_runs(results) == {}
