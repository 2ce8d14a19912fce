"""The experiment in W&B: best values, stop reasons, PBT exploits, the experiment run's table."""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import pytest
from ray import tune
from ray.tune.schedulers import ASHAScheduler

from tests.helpers import fails, fit_then_restore, run_pbt, trial_ids
from tests.wandb_reader import read_experiment_runs, read_run_logs, read_runs, read_table
from tune_wandb import RunRecord, WandbLogger
from tune_wandb._logger._experiment_run import JOB_TYPE, experiment_run_id


def descends(config: dict[str, Any]) -> None:
    """A loss that falls for `turn` steps, then climbs: its best is not its last value."""
    for i in range(1, 9):
        loss = config["lr"] * abs(i - config["turn"]) + config["width"]
        tune.report({"loss": loss, "acc": 1 / (1 + loss)})


def reports_nan(config: dict[str, Any]) -> None:
    for i in range(1, 5):
        tune.report({"loss": math.nan if i == 2 else 1.0 / i})


def fails_until_marker(config: dict[str, Any]) -> None:
    for i in range(1, 4):
        tune.report({"loss": config["x"] / i})
        if config["x"] == 2 and i == 2 and not Path(config["marker"]).exists():
            raise RuntimeError("fails until the marker exists")


def _fit(
    results: Path,
    trainable: Any,
    space: dict[str, Any],
    logger_kwargs: dict[str, Any] | None = None,
    **tune_config: Any,
) -> Any:
    logger = WandbLogger(project="experiment-tests", **(logger_kwargs or {}))
    tuner = tune.Tuner(
        trainable,
        param_space=space,
        tune_config=tune.TuneConfig(**tune_config),
        run_config=tune.RunConfig(
            name="exp", storage_path=str(results), callbacks=[logger], verbose=0
        ),
    )
    return tuner.fit(), logger


class TestSearch:
    @pytest.fixture(scope="class")
    def searched(self, ray_session: None, tmp_path_factory: pytest.TempPathFactory) -> Any:
        results = tmp_path_factory.mktemp("searched")
        grid, logger = _fit(
            results,
            descends,
            {
                "lr": tune.loguniform(0.01, 1.0),
                "width": tune.choice([1, 2]),
                "turn": tune.grid_search([3, 9]),
            },
            metric="loss",
            mode="min",
            num_samples=3,
            scheduler=ASHAScheduler(max_t=8, grace_period=2, reduction_factor=2),
        )
        return results, grid, logger

    def test_each_runs_summary_holds_its_true_best(self, searched: Any) -> None:
        """Summaries hold the minimum loss (not the last) and its step, as Tune's results say."""
        results, grid, _ = searched
        runs = read_runs(results)
        assert len(runs) == len(grid) == 6
        for result in grid:
            frame = result.metrics_dataframe
            run = runs[result.metrics["trial_id"]]
            assert run.summary["loss"] == {"min": frame["loss"].min()}
            best_step = int(frame.loc[frame["loss"].idxmin(), "training_iteration"])
            assert run.summary["tune/best_step"] == best_step

    def test_tune_bookkeeping_is_under_tune_prefix(self, searched: Any) -> None:
        """Tune's own metrics are logged as tune/...; the user's keep their names and come first."""
        results, _, _ = searched
        for run in read_runs(results).values():
            first = run.metrics[0]
            assert {"loss", "acc", "tune/training_iteration", "tune/time_total_s"} <= set(first)
            assert not {"training_iteration", "time_total_s", "timestamp"} & set(first)
            assert run.steps == run.column("tune/training_iteration")

    def test_early_stopped_trials_are_told_apart(self, searched: Any) -> None:
        """ASHA's stops are tagged early-stopped; trials that used the whole budget, completed."""
        results, grid, logger = searched
        runs = read_runs(results)
        reasons = set()
        for result in grid:
            run = runs[result.metrics["trial_id"]]
            iterations = result.metrics["training_iteration"]
            reason = "completed" if iterations == 8 else "early-stopped"
            reasons.add(reason)
            assert run.summary["tune/stop_reason"] == reason
            assert reason in run.tags
            assert logger.runs[run.run_id].stop_reason == reason
        assert reasons == {"completed", "early-stopped"}

    def test_experiment_run_has_a_row_per_trial(self, searched: Any) -> None:
        """One experiment run in the group: a row per trial with status, reason, best, params."""
        results, grid, logger = searched
        (experiment,) = read_experiment_runs(results)
        assert (experiment.group, experiment.job_type) == ("exp", JOB_TYPE)
        assert experiment.run_id == experiment_run_id("exp")
        rows = {row["trial_id"]: row for row in read_table(experiment)}
        runs = read_runs(results)
        assert set(rows) == trial_ids(grid)
        for result in grid:
            row = rows[result.metrics["trial_id"]]
            run = runs[row["run_id"]]
            assert row["status"] == "TERMINATED"
            assert row["stop_reason"] == run.summary["tune/stop_reason"]
            assert row["best"] == result.metrics_dataframe["loss"].min()
            assert row["best_step"] == run.summary["tune/best_step"]
            assert row["iterations"] == result.metrics["training_iteration"]
            assert row["run"] == str(run.path.parent)
            for key in ("lr", "width", "turn"):
                assert row[key] == result.config[key]
        assert logger.experiment_run is not None
        assert logger.experiment_run.run_id == experiment.run_id

    def test_experiment_run_describes_the_search(self, searched: Any) -> None:
        """Its config holds the space as text, the searcher, the scheduler; its summary the best."""
        results, grid, _ = searched
        (experiment,) = read_experiment_runs(results)
        config = experiment.config
        assert config["search_space"] == {
            "lr": "loguniform(0.01, 1.0)",
            "width": "choice([1, 2])",
            "turn": {"grid_search": [3, 9]},
        }
        assert (config["metric"], config["mode"]) == ("loss", "min")
        assert config["scheduler"]["name"] == "AsyncHyperBandScheduler"
        assert config["scheduler"]["max_t"] == 8
        assert config["search_alg"]["name"] == "BasicVariantGenerator"
        best = grid.get_best_result(metric="loss", mode="min", scope="all")
        summary = experiment.summary
        assert summary["best/trial_id"] == best.metrics["trial_id"]
        assert summary["best/value"] == best.metrics_dataframe["loss"].min()
        assert summary["best/config"] == best.config
        assert summary["trials/total"] == 6
        assert summary["trials/terminated"] == 6

    def test_runs_are_records_after_fit(self, searched: Any) -> None:
        """logger.runs: a typed record per trial with its run id, folder, state and best."""
        _, grid, logger = searched
        assert set(logger.runs) == trial_ids(grid)
        for result in grid:
            record = logger.runs[result.metrics["trial_id"]]
            assert isinstance(record, RunRecord)
            assert (record.state, record.offline, record.url) == ("finished", True, None)
            assert record.best == result.metrics_dataframe["loss"].min()
            assert record.rows == result.metrics["training_iteration"]
            assert record.sync_dir is not None
            assert Path(record.sync_dir).is_dir()


def test_pbt_exploits_are_recorded_where_they_happen(tune_run: Any, results: Path) -> None:
    """A config change from PBT steps tune/perturbations up at that row; the run config follows."""
    analysis = run_pbt(tune_run)
    runs = read_runs(results)
    perturbed = [run for run in runs.values() if run.column("tune/perturbations")]
    assert perturbed, "PBT changed no trial's config"
    trials = {t.trial_id: t for t in analysis.trials}
    for run in perturbed:
        changes = run.column("tune/perturbations")
        assert changes == list(range(1, len(changes) + 1))
        assert run.summary["tune/perturbations"] == len(changes)
        assert run.config["lr"] == trials[run.run_id].config["lr"]
    for run in runs.values():
        assert run.summary["tune/stop_reason"] == "stop-criteria"
        assert run.summary["score"] == {"max": max(run.column("score"))}


def test_failed_trials_and_restore_keep_one_experiment_run(
    ray_session: None, results: Path, tmp_path: Path
) -> None:
    """An errored trial is marked error; after Tuner.restore, the same experiment run has all."""
    _, restored = fit_then_restore(
        fails_until_marker,
        results,
        tmp_path / "marker",
        {"x": tune.grid_search([1, 2])},
        callbacks=[WandbLogger(project="p", summary_metric="loss", summary_mode="min")],
    )
    first, second = read_experiment_runs(results)
    assert first.run_id == second.run_id == experiment_run_id("restore")
    before = {row["trial_id"]: row for row in read_table(first)}
    after = {row["trial_id"]: row for row in read_table(second)}
    assert set(before) == set(after) == trial_ids(restored)
    errored = next(t for t, row in before.items() if row["status"] == "ERROR")
    assert before[errored]["stop_reason"] == "error"
    assert after[errored]["status"] == "TERMINATED"
    assert after[errored]["stop_reason"] == "completed"
    ok = next(t for t in after if t != errored)
    assert after[ok]["stop_reason"] == "completed"  # ended before the restore: kept
    assert after[ok]["best"] == before[ok]["best"] == 1 / 3
    assert second.summary["best/trial_id"] == ok


def test_stop_criteria_and_errors_are_reasons(tune_run: Any, results: Path) -> None:
    """stop={...} marks stop-criteria; a raised trial is marked error and stays failed."""
    tune_run(
        descends,
        config={"lr": 1.0, "width": 1, "turn": 5},
        stop={"training_iteration": 3},
        callbacks=[WandbLogger(project="p", summary=False)],
    )
    (run,) = read_runs(results).values()
    assert run.summary["tune/stop_reason"] == "stop-criteria"
    assert run.steps == [1, 2, 3]
    tune_run(
        fails,
        name="failing",
        callbacks=[WandbLogger(project="p", summary=False)],
        raise_on_failed_trial=False,
    )
    (failed,) = read_runs(results / "failing").values()
    assert (failed.summary["tune/stop_reason"], failed.exit_code) == ("error", 1)
    assert "error" in failed.tags


def test_unreported_metric_and_nan_are_warned_table_still_written(
    ray_session: None, results: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A metric no trial reports, or reported as NaN: one warning each; the table is written."""
    with caplog.at_level(logging.WARNING, logger="tune_wandb"):
        _fit(results, reports_nan, {"x": tune.grid_search([1, 2])}, metric="loss", mode="min")
        # Tune itself rejects a TuneConfig metric that is not reported; the logger's is its own.
        _fit(results / "second", reports_nan, {"x": 1}, {"summary_metric": "lost"})
    messages = [r.getMessage() for r in caplog.records]
    assert sum("2 result(s) reported 'loss' as NaN" in m for m in messages) == 1
    assert sum("no trial reported a finite value of 'lost'" in m for m in messages) == 1
    first = read_runs(results / "exp")
    for run in first.values():
        assert run.summary["loss"] == {"min": 0.25}
        assert run.summary["tune/best_step"] == 4
    experiments = read_experiment_runs(results)
    assert len(experiments) == 2
    rows = read_table(next(e for e in experiments if "second" in str(e.path)))
    (row,) = rows
    assert row["best"] is None


def test_experiment_run_can_be_turned_off(tune_run: Any, results: Path) -> None:
    """experiment_run=False: the trials' runs only."""
    tune_run(
        descends,
        config={"lr": 1.0, "width": 1, "turn": 5},
        callbacks=[WandbLogger(project="p", experiment_run=False, summary=False)],
    )
    assert not read_experiment_runs(results)
    assert len(read_run_logs(results)) == 1


def test_tune_prefix_off_keeps_rays_names(tune_run: Any, results: Path) -> None:
    """tune_prefix=False logs Tune's metrics under their own names, as Ray's callback does."""
    tune_run(
        descends,
        config={"lr": 1.0, "width": 1, "turn": 5},
        callbacks=[WandbLogger(project="p", tune_prefix=False, summary=False)],
    )
    (run,) = read_runs(results).values()
    assert run.column("training_iteration") == run.steps
    assert "tune/training_iteration" not in run.metrics[0]
