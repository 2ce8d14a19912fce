"""The mixins log their trial's checkpoints from its process, with the logger's modes."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
import ray.train
import wandb
from ray import tune
from ray.train.v2.api.data_parallel_trainer import DataParallelTrainer

from tests.helpers import ALL_VERSIONS, LOSSES
from tests.wandb_reader import RunLog, read_runs
from tune_wandb import WandbLogger, WandbTrainableMixin, setup_wandb, wandb_mixin


class SavesModels(WandbTrainableMixin, tune.Trainable):
    """A class trainable: loss from LOSSES at each step, a checkpoint after each."""

    def step(self) -> dict[str, Any]:
        loss = LOSSES[self.iteration]
        self.wandb.log({"loss": loss})
        return {"loss": loss, "done": self.iteration + 1 == len(LOSSES)}

    def save_checkpoint(self, checkpoint_dir: str) -> None:
        Path(checkpoint_dir, "model.txt").write_text(f"weights {self.iteration}")

    def load_checkpoint(self, checkpoint_dir: str) -> None:
        pass


@wandb_mixin
def reports_models(config: dict[str, Any]) -> None:
    """A function trainable: wandb.log and a checkpoint with each report."""
    for loss in LOSSES:
        wandb.log({"loss": loss})
        with tempfile.TemporaryDirectory() as folder:
            Path(folder, "model.txt").write_text(f"weights at loss {loss}")
            tune.report({"loss": loss}, checkpoint=tune.Checkpoint.from_directory(folder))


def versions(run: RunLog) -> list[list[str]]:
    """The aliases of each version of the run's checkpoint artifact, in order."""
    # Every version is of the run's one artifact; each caller asserts how many there are.
    assert [a["name"] for a in run.artifacts] == [f"checkpoint-{run.run_id}"] * len(run.artifacts)
    return [sorted(a["aliases"]) for a in run.artifacts]


def test_class_mixin_logs_every_saved_checkpoint(tune_run: Any, results: Path) -> None:
    """save_checkpoint() each step, "all": four versions, best where the loss improved."""
    tune_run(
        SavesModels,
        config={"wandb": {"project": "p", "upload_checkpoints": "all"}},
        metric="loss",
        mode="min",
        checkpoint_config=tune.CheckpointConfig(checkpoint_frequency=1),
    )
    (run,) = read_runs(results).values()
    assert versions(run) == ALL_VERSIONS
    metadata = [json.loads(a["metadata"]) for a in run.artifacts]
    assert [m["metrics"]["loss"] for m in metadata] == list(LOSSES)
    assert run.column("loss") == list(LOSSES)


def test_decorator_logs_the_best_reported_checkpoints(tune_run: Any, results: Path) -> None:
    """tune.report(checkpoint=...) in a @wandb_mixin function, "best": the improvements only."""
    tune_run(
        reports_models,
        config={"wandb": {"project": "p", "upload_checkpoints": "best"}},
        metric="loss",
        mode="min",
    )
    (run,) = read_runs(results).values()
    assert versions(run) == [
        ["best", "iter-1", "latest"],
        ["best", "iter-2", "latest"],
        ["best", "iter-4", "latest"],
    ]


def test_end_logs_the_last_checkpoint_before_the_run_finishes(tune_run: Any, results: Path) -> None:
    """ "end": one version, the trial's last checkpoint, logged before the run's exit."""
    tune_run(reports_models, config={"wandb": {"project": "p", "upload_checkpoints": "end"}})
    (run,) = read_runs(results).values()
    assert versions(run) == [["iter-4", "latest"]]
    assert run.exit_code == 0


def test_logger_and_mixin_log_each_checkpoint_once(tune_run: Any, results: Path) -> None:
    """WandbLogger(upload_checkpoints=True) beside a mixin trial: the mixin's versions only."""
    tune_run(
        reports_models,
        config={"wandb": {"project": "p", "upload_checkpoints": "all"}},
        callbacks=[WandbLogger(project="p", upload_checkpoints=True, summary=False)],
    )
    (run,) = read_runs(results).values()
    assert len(versions(run)) == len(LOSSES)


def test_best_without_a_metric_fails_before_trials_start(tune_run: Any) -> None:
    """ "best" with no metric anywhere fails on the driver, saying how to set one."""
    with pytest.raises(Exception, match=r"@wandb_mixin: upload_checkpoints='best' needs a metric"):
        tune_run(reports_models, config={"wandb": {"project": "p", "upload_checkpoints": "best"}})


def test_a_mode_that_is_not_one_fails_naming_the_setting(tune_run: Any) -> None:
    """config['wandb']['upload_checkpoints']='sometimes' names the setting and the choices."""
    with pytest.raises(Exception, match=r"\['upload_checkpoints'\]: 'sometimes' is not a choice"):
        tune_run(
            reports_models, config={"wandb": {"project": "p", "upload_checkpoints": "sometimes"}}
        )


def setup_wandb_reports_models(config: dict[str, Any]) -> None:
    """setup_wandb in a Tune function or a Train worker: a checkpoint with each report."""
    run = setup_wandb(config)
    in_train = config.get("train", False)
    for loss in LOSSES:
        run.log({"loss": loss})
        with tempfile.TemporaryDirectory() as folder:
            Path(folder, "model.txt").write_text(f"weights at loss {loss}")
            checkpoint = ray.train.Checkpoint.from_directory(folder)
            if in_train:
                ray.train.report({"loss": loss}, checkpoint=checkpoint)
            else:
                tune.report({"loss": loss}, checkpoint=tune.Checkpoint.from_directory(folder))


def test_setup_wandb_in_tune_logs_reported_checkpoints(tune_run: Any, results: Path) -> None:
    """setup_wandb in a function trainable, "all": a version per tune.report(checkpoint=)."""
    settings = {"project": "p", "upload_checkpoints": "all", "summary_metric": "loss"}
    tune_run(setup_wandb_reports_models, config={"wandb": settings})
    (run,) = read_runs(results).values()
    assert versions(run) == ALL_VERSIONS


def test_setup_wandb_in_ray_train_logs_rank_zeros_checkpoints(
    ray_session: None, results: Path
) -> None:
    """setup_wandb in a Train V2 worker, "end": the last ray.train.report checkpoint, once."""
    trainer = DataParallelTrainer(
        setup_wandb_reports_models,
        train_loop_config={"train": True, "wandb": {"project": "p", "upload_checkpoints": "end"}},
        scaling_config=ray.train.ScalingConfig(num_workers=2),
        run_config=ray.train.RunConfig(name="train", storage_path=str(results)),
    )
    trainer.fit()
    (run,) = read_runs(results).values()
    assert versions(run) == [["iter-4", "latest"]]
    (artifact,) = run.artifacts
    assert json.loads(artifact["metadata"])["metrics"]["loss"] == LOSSES[-1]


def test_setup_wandb_best_without_a_metric_fails_the_trial_clearly(tune_run: Any) -> None:
    """setup_wandb with "best" and no metric known in the trial fails it with the fix."""
    analysis = tune_run(
        setup_wandb_reports_models,
        config={"wandb": {"project": "p", "upload_checkpoints": "best"}},
        raise_on_failed_trial=False,
    )
    (trial,) = analysis.trials
    assert trial.status == "ERROR"
    assert "needs a metric to rank checkpoints" in Path(trial.error_file).read_text()
