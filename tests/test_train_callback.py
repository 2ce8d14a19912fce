"""WandbTrainCallback: one W&B run per Ray Train run, from the controller, finished by fit()."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import ray
import ray.train
from ray.train.v2.api.data_parallel_trainer import DataParallelTrainer

from tests.wandb_reader import read_run_logs, read_runs
from tune_wandb import WandbTrainCallback


def reports(config: dict[str, Any]) -> None:
    rank = ray.train.get_context().get_world_rank()
    for i in range(1, 5):
        # Only rank 0 fails: with both ranks racing for the marker, whichever touched it
        # first raised, and the error named that rank.
        if i == config.get("fail_at") and rank == 0 and not Path(config["marker"]).exists():
            _wait_for_rank_one(Path(config["marker"] + ".rank1"))
            Path(config["marker"]).touch()
            raise RuntimeError("worker fails on purpose")
        ray.train.report({"loss": 1 / i + rank, "i": i})
        if i == config.get("fail_at", 0) - 1 and rank == 1:
            Path(config["marker"] + ".rank1").touch()


def _wait_for_rank_one(reported: Path) -> None:
    """Rank 0 fails only once rank 1 has made the report before the failure.

    Ray Train delivers a report to its callbacks only when every rank has made
    it, one report per worker per poll; rank 0 failing before rank 1 had made
    the same report made Ray drop that report (seen once in a full run: rows
    ``[1, 1, 2, 3, 4]``). Such a report is in none of Ray's results, so it
    cannot be in the run either; the test waits to pin what a delivered report
    becomes.
    """
    deadline = time.monotonic() + 60
    while not reported.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def fit(results: Path, callback: WandbTrainCallback, retries: int = 0, **config: Any) -> Any:
    trainer = DataParallelTrainer(
        reports,
        train_loop_config=config,
        scaling_config=ray.train.ScalingConfig(num_workers=2),
        run_config=ray.train.RunConfig(
            name="cb",
            storage_path=str(results),
            callbacks=[callback],
            failure_config=ray.train.FailureConfig(max_failures=retries),
        ),
    )
    return trainer.fit()


def test_rank_zero_metrics_in_one_finished_run(ray_session: None, results: Path) -> None:
    """Every report of rank 0 is a row; the run is named after the Train run and finished."""
    fit(results, WandbTrainCallback(project="train-cb"))
    (run,) = read_runs(results).values()
    assert (run.name, run.group, run.project) == ("cb", "cb", "train-cb")
    assert run.steps == [1, 2, 3, 4]
    assert run.column("i") == [1, 2, 3, 4]
    assert run.column("loss") == [1.0, 0.5, 1 / 3, 0.25]
    assert run.exit_code == 0


def test_every_rank_under_a_prefix(ray_session: None, results: Path) -> None:
    """ranks="all" logs each rank's metrics under rank_<i>/."""
    fit(results, WandbTrainCallback(project="train-cb", ranks="all"))
    (run,) = read_runs(results).values()
    assert run.column("rank_0/loss") == [1.0, 0.5, 1 / 3, 0.25]
    assert run.column("rank_1/loss") == [2.0, 1.5, 1 + 1 / 3, 1.25]


def test_a_failed_run_is_marked_failed(ray_session: None, results: Path, tmp_path: Path) -> None:
    """A worker that raises: the rows so far, exit code 1, when fit() returns."""
    with pytest.raises(Exception, match="fails on purpose"):
        fit(
            results,
            WandbTrainCallback(project="train-cb"),
            fail_at=3,
            marker=str(tmp_path / "failed"),
        )
    (run,) = read_runs(results).values()
    assert run.column("i") == [1, 2]
    assert run.exit_code == 1
    error = run.summary["tune/error"]
    assert "worker fails on purpose" in error["message"]
    assert "Rank 0" in error["message"] + error["traceback"]  # Train names the failing rank


def test_a_restarted_worker_group_goes_on_in_the_same_run(
    ray_session: None, results: Path, tmp_path: Path
) -> None:
    """max_failures=1: one run holds both attempts' reports, at increasing steps, exit 0."""
    fit(
        results,
        WandbTrainCallback(project="train-cb"),
        retries=1,
        fail_at=3,
        marker=str(tmp_path / "failed"),
    )
    (log,) = read_run_logs(results)
    assert log.column("i") == [1, 2, 1, 2, 3, 4]
    assert log.steps == [1, 2, 3, 4, 5, 6]
    assert log.exit_code == 0


def test_bad_ranks_value_fails_at_construction() -> None:
    """ranks must be "zero" or "all"."""
    with pytest.raises(ValueError, match="'zero' or 'all'"):
        WandbTrainCallback(ranks="some")  # type: ignore[arg-type]  # the wrong value is the test


def reports_checkpoints(config: dict[str, Any]) -> None:
    import tempfile

    rank = ray.train.get_context().get_world_rank()
    for i in range(1, 5):
        with tempfile.TemporaryDirectory() as folder:
            Path(folder, "model.txt").write_text(f"weights {i}")
            checkpoint = ray.train.Checkpoint.from_directory(folder)
            keep = i % 2 == 0 and rank == 0
            ray.train.report({"i": i}, checkpoint=checkpoint if keep else None)


def test_checkpoints_become_artifact_versions(ray_session: None, results: Path) -> None:
    """upload_checkpoints=True: each reported checkpoint is a version of one artifact."""
    trainer = DataParallelTrainer(
        reports_checkpoints,
        scaling_config=ray.train.ScalingConfig(num_workers=2),
        run_config=ray.train.RunConfig(
            name="cb",
            storage_path=str(results),
            callbacks=[WandbTrainCallback(project="train-cb", upload_checkpoints=True)],
        ),
    )
    trainer.fit()
    (run,) = read_runs(results).values()
    assert run.column("i") == [1, 2, 3, 4]
    assert [sorted(a["aliases"]) for a in run.artifacts] == [
        ["iter-2", "latest"],
        ["iter-4", "latest"],
    ]
    assert {a["name"] for a in run.artifacts} == {f"checkpoint-{run.run_id}"}


def test_best_mode_logs_improvements_with_the_best_alias(ray_session: None, results: Path) -> None:
    """upload_checkpoints="best" with summary_metric="i", mode max: both checkpoints improve."""
    callback = WandbTrainCallback(
        project="train-cb", upload_checkpoints="best", summary_metric="i", summary_mode="max"
    )
    trainer = DataParallelTrainer(
        reports_checkpoints,
        scaling_config=ray.train.ScalingConfig(num_workers=2),
        run_config=ray.train.RunConfig(name="cb", storage_path=str(results), callbacks=[callback]),
    )
    trainer.fit()
    (run,) = read_runs(results).values()
    assert [sorted(a["aliases"]) for a in run.artifacts] == [
        ["best", "iter-2", "latest"],
        ["best", "iter-4", "latest"],
    ]
