"""setup_wandb: a drop-in for Ray's whose run is finished with every row, in Tune and Train."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psutil
import pytest
import ray
import ray.train
import wandb
from ray import tune
from ray.train.v2.api.data_parallel_trainer import DataParallelTrainer
from ray.tune.integration.ray_train import TuneReportCallback

from tests.helpers import SeesFinishedRuns, by_trial
from tests.wandb_reader import read_run_logs, read_runs
from tune_wandb import WandbLogger, setup_wandb

WANDB = {"project": "setup-tests"}


def as_rays_docstring(config: dict[str, Any]) -> None:
    """Ray's docstring: setup_wandb(config), then wandb.log; no finish()."""
    setup_wandb(config)
    for i in range(30):
        wandb.log({"i": i})
        tune.report({"i": i})


def fails_at_three(config: dict[str, Any]) -> None:
    run = setup_wandb(config)
    for i in range(1, 6):
        if i == 3:
            raise ValueError("fails on purpose")
        run.log({"i": i})
        tune.report({"i": i})


def twice(config: dict[str, Any]) -> None:
    first = setup_wandb(config)
    assert setup_wandb(config) is first
    first.log({"a": config["a"]})
    tune.report({"a": config["a"]})


def lowest_in_the_middle(config: dict[str, Any]) -> None:
    run = setup_wandb(config, summary_metric="loss", summary_mode="min")
    for i in range(5):
        run.log({"loss": abs(i - 2)})
        tune.report({"loss": abs(i - 2)})


class TestInTune:
    def test_summary_holds_the_experiments_best(self, tune_run: Any, results: Path) -> None:
        """summary_metric/summary_mode: the run's summary holds the minimum loss and its step."""
        tune_run(lowest_in_the_middle, config={"wandb": WANDB})
        (run,) = read_runs(results).values()
        assert run.column("loss") == [2, 1, 0, 1, 2]
        assert run.summary["loss"] == {"min": 0}
        assert run.summary["tune/best_step"] == run.steps[2]

    def test_every_row_without_finish(self, tune_run: Any, results: Path) -> None:
        """Used as Ray's docstring shows: 30 of 30 rows, exit 0, the trial's identity."""
        analysis = tune_run(as_rays_docstring, config={"wandb": WANDB})
        (run,) = read_runs(results).values()
        (trial,) = analysis.trials
        assert run.column("i") == list(range(30))
        assert (run.run_id, run.name, run.group) == (trial.trial_id, str(trial), "exp")
        assert run.exit_code == 0

    def test_the_run_is_finished_before_tune_stops_the_trial(self, tune_run: Any) -> None:
        """The function's return finishes its run inside train(), which Tune waits for.

        stop() would be too late: at an experiment's end Tune gives it 10 s, and
        under load a run finished there was lost (no row on disk).
        """
        sees = SeesFinishedRuns()
        analysis = tune_run(as_rays_docstring, config={"wandb": WANDB}, callbacks=[sees])
        (trial,) = analysis.trials
        assert sees.seen == {trial.trial_id: (list(range(30)), 0)}

    def test_a_failing_trial_is_marked_failed(self, tune_run: Any, results: Path) -> None:
        """A function that raises: its rows kept, exit code 1, the error in the summary."""
        tune_run(fails_at_three, config={"wandb": WANDB}, raise_on_failed_trial=False)
        (run,) = read_runs(results).values()
        assert run.column("i") == [1, 2]
        assert run.exit_code == 1
        error = run.summary["tune/error"]
        assert (error["type"], error["message"]) == ("ValueError", "fails on purpose")

    def test_reused_actors_keep_one_run_per_trial(self, tune_run: Any, results: Path) -> None:
        """reuse_actors: each trial's run holds its own rows; a second call returns the same run."""
        analysis = tune_run(
            twice, config={"a": tune.grid_search([1, 2, 3]), "wandb": WANDB}, reuse_actors=True
        )
        runs = read_runs(results)
        trials = by_trial(analysis)
        assert set(runs) == set(trials)
        for trial_id, run in runs.items():
            assert run.column("a") == [trials[trial_id].config["a"]]
            assert run.exit_code == 0

    def test_many_reused_trials_each_keep_their_run(self, tune_run: Any, results: Path) -> None:
        """A stress test of the race CI saw: 10 trials on reused actors, every run complete.

        Each run is read as Tune completes its trial, and again after fit(): every row
        and the exit record are there both times.
        """
        sees = SeesFinishedRuns()
        analysis = tune_run(
            as_rays_docstring,
            config={"a": tune.grid_search(list(range(10))), "wandb": WANDB},
            reuse_actors=True,
            callbacks=[sees],
        )
        trials = by_trial(analysis)
        assert sees.seen == {trial_id: (list(range(30)), 0) for trial_id in trials}
        runs = read_runs(results)
        assert {t: (r.column("i"), r.exit_code) for t, r in runs.items()} == sees.seen

    def test_bad_settings_fail_with_the_same_message(self, tune_run: Any) -> None:
        """A typo in config["wandb"] fails the trial with the settings error."""
        analysis = tune_run(
            as_rays_docstring, config={"wandb": {"projekt": "x"}}, raise_on_failed_trial=False
        )
        (trial,) = analysis.trials
        assert "Did you mean 'project'" in Path(trial.error_file or "").read_text()


def train_loop(config: dict[str, Any]) -> None:
    """Logs with wandb.log on every rank; rank 1's process count is kept in a file."""
    run = setup_wandb(config)
    context = ray.train.get_context()
    rank = context.get_world_rank()
    for i in range(1, 6):
        wandb.log({"i": i, "rank": rank})
        ray.train.report({"i": i})
        # Rank 0 fails (once): the rank whose run is checked, whatever the other does.
        if i == config.get("fail_at") and rank == 0 and not Path(config["marker"]).exists():
            Path(config["marker"]).touch()
            raise RuntimeError("worker fails on purpose")
    children = [p.name() for p in psutil.Process().children(recursive=True)]
    Path(config["facts"], f"rank{rank}.json").write_text(
        json.dumps({"disabled": run.disabled, "wandb_processes": children})
    )


def fit(results: Path, tmp_path: Path, name: str, retries: int = 0, **config: Any) -> Any:
    facts = tmp_path / "facts"
    facts.mkdir(exist_ok=True)
    trainer = DataParallelTrainer(
        train_loop,
        train_loop_config={
            "wandb": WANDB,
            "facts": str(facts),
            "marker": str(tmp_path / "failed-once"),
            **config,
        },
        scaling_config=ray.train.ScalingConfig(num_workers=2),
        run_config=ray.train.RunConfig(
            name=name,
            storage_path=str(results),
            failure_config=ray.train.FailureConfig(max_failures=retries),
        ),
    )
    return trainer.fit()


class TestInRayTrain:
    def test_rank_zero_logs_one_run_and_other_ranks_start_nothing(
        self, ray_session: None, results: Path, tmp_path: Path
    ) -> None:
        """Two workers: one run (rank 0's), every row, finished; rank 1 had no W&B process."""
        fit(results, tmp_path, "train")
        (run,) = read_runs(results).values()
        assert (run.name, run.group) == ("train", "train")
        assert run.column("i") == [1, 2, 3, 4, 5]
        assert run.column("rank") == [0] * 5
        assert run.exit_code == 0
        rank0 = json.loads((tmp_path / "facts" / "rank0.json").read_text())
        rank1 = json.loads((tmp_path / "facts" / "rank1.json").read_text())
        assert rank0["disabled"] is False
        assert "wandb-core" in rank0["wandb_processes"]
        assert rank1 == {"disabled": True, "wandb_processes": []}

    def test_a_failed_run_is_marked_failed(
        self, ray_session: None, results: Path, tmp_path: Path
    ) -> None:
        """A worker that raises: rows kept, exit code 1, the error in the summary."""
        with pytest.raises(Exception, match="fails on purpose"):
            fit(results, tmp_path, "fails", fail_at=3)
        (run,) = read_runs(results).values()
        assert run.column("i") == [1, 2, 3]
        assert run.exit_code == 1
        error = run.summary["tune/error"]
        assert (error["type"], error["message"]) == ("RuntimeError", "worker fails on purpose")
        assert 'raise RuntimeError("worker fails on purpose")' in error["traceback"]

    def test_bad_settings_fail_every_rank_at_once(
        self, ray_session: None, results: Path, tmp_path: Path
    ) -> None:
        """A typo fails fit() with the settings error; no rank waits for another."""
        with pytest.raises(Exception, match="Did you mean 'project'"):
            fit(results, tmp_path, "bad", wandb={"projekt": "x"})
        assert read_runs(results) == {}

    def test_a_restarted_worker_group_continues_the_run(
        self, ray_session: None, results: Path, tmp_path: Path
    ) -> None:
        """FailureConfig(max_failures=1): the new group logs under the same run id."""
        fit(results, tmp_path, "restarts", fail_at=3, retries=1)
        logs = read_run_logs(results)
        assert len(logs) == 2
        assert len({log.run_id for log in logs}) == 1
        first, second = sorted(logs, key=lambda log: log.exit_code or 0, reverse=True)
        assert (first.column("i"), first.exit_code) == ([1, 2, 3], 1)
        assert (second.column("i"), second.exit_code) == ([1, 2, 3, 4, 5], 0)


def trial_with_a_trainer(config: dict[str, Any]) -> None:
    trainer = DataParallelTrainer(
        train_loop,
        train_loop_config=config,
        scaling_config=ray.train.ScalingConfig(num_workers=1),
        run_config=ray.train.RunConfig(
            name=tune.get_context().get_trial_name(),
            storage_path=config["storage"],
            callbacks=[TuneReportCallback()],
        ),
    )
    trainer.fit()


def test_tune_with_train_keeps_one_run_per_trial(
    tune_run: Any, results: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A trainer inside each trial, WandbLogger on Tune's side, setup_wandb in the workers too:
    one run per trial, holding what the workers reported, and the workers' runs disabled.
    """
    facts = tmp_path / "facts"
    facts.mkdir()
    analysis = tune_run(
        tune.with_resources(trial_with_a_trainer, {"cpu": 0.5}),
        config={
            "a": tune.grid_search([1, 2]),
            "wandb": WANDB,
            "facts": str(facts),
            "marker": str(tmp_path / "m"),
            "storage": str(tmp_path / "train"),
        },
        callbacks=[WandbLogger(summary=False)],
    )
    runs = read_runs(results)
    assert set(runs) == set(by_trial(analysis))
    for run in runs.values():
        assert run.column("i") == [1, 2, 3, 4, 5]
    assert read_runs(tmp_path / "train") == {}
    assert json.loads((facts / "rank0.json").read_text())["disabled"] is True


def test_outside_ray_it_is_wandb_init_with_our_settings(tmp_path: Path) -> None:
    """No Tune trial, no Train worker: a plain run with the settings, finished by the user."""
    run = setup_wandb({"wandb": {"project": "plain", "dir": str(tmp_path)}}, tags=["t"])
    try:
        assert wandb.run is not None
        assert run.id == wandb.run.id
        run.log({"x": 1})
    finally:
        run.finish()
    (log,) = read_runs(tmp_path).values()
    assert (log.project, log.tags, log.column("x")) == ("plain", ["t"], [1])


def test_bad_settings_fail_on_the_first_call() -> None:
    """The settings errors of every entry point, before anything starts."""
    with pytest.raises(ValueError, match="Did you mean 'project'"):
        setup_wandb({"wandb": {"projekt": "p"}})
    with pytest.raises(ValueError, match="WANDB_PROJECT"):
        setup_wandb({})
