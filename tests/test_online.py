"""Online against a live W&B-protocol server: what every entry point sends, read on the wire."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ray
import ray.train
import wandb
from ray import tune
from ray.train.v2.api.data_parallel_trainer import DataParallelTrainer

from tests.helpers import SIX_LOSSES, KeepsOne, MixinKeepsOne, keep_one
from tests.wire import SERVER_KEY, Proxy, SentRun, handed_off, sent_runs
from tune_wandb import WandbLogger, WandbTrainCallback, setup_wandb, wandb_mixin


def online(wire: Proxy, key_file: Path, **extra: Any) -> dict[str, Any]:
    """A trial's "wandb" settings for the test server behind ``wire``."""
    return {
        "project": "online",
        "mode": "online",
        "api_key_file": str(key_file),
        "settings": {"base_url": wire.url},
        **extra,
    }


#: What reports_or_fails reports as loss for a = 1 at iterations 1..5 (best 0, at 3).
LOSSES = [2, 1, 0, 1, 2]


def reports_or_fails(config: dict[str, Any]) -> None:
    for i in range(1, 6):
        print(f"step {i} of a={config['a']}")
        if i == config.get("fail_at"):
            raise RuntimeError("fails on purpose")
        tune.report({"loss": config["a"] * abs(i - 3)})


def fail_when_a_is_2(config: dict[str, Any]) -> int | None:
    return 4 if config["a"] == 2 else None


@wandb_mixin
def decorated(config: dict[str, Any]) -> None:
    for i in range(1, 6):
        print(f"step {i} of a={config['a']}")
        if i == config.get("fail_at"):
            raise RuntimeError("fails on purpose")
        wandb.log({"loss": config["a"] * abs(i - 3)})
        tune.report({"loss": config["a"] * abs(i - 3)})


def with_setup_wandb(config: dict[str, Any]) -> None:
    run = setup_wandb(config)
    for i in range(1, 6):
        run.log({"loss": config["a"] * abs(i - 3)})
        tune.report({"loss": config["a"] * abs(i - 3)})


def trial_runs(wire: Proxy, analysis: Any) -> dict[str, SentRun]:
    """The sent run of every trial, by trial id (its run id), once each is complete."""
    runs = wire.complete([t.trial_id for t in analysis.trials])
    return {t.trial_id: runs[t.trial_id] for t in analysis.trials}


def assert_no_key_sent(wire: Proxy) -> None:
    """The key goes in a header, never in a config, summary, row or file."""
    assert wire.requests
    assert not [r.path for r in wire.requests if SERVER_KEY.encode() in r.body]


def search(tune_run: Any, wire: Proxy, key_file: Path, trainable: Any, **run: Any) -> Any:
    """Two trials: a = 1 reports five losses, a = 2 fails at iteration 4."""
    return tune_run(
        trainable,
        config={
            "a": tune.grid_search([1, 2]),
            "fail_at": tune.sample_from(fail_when_a_is_2),
            "wandb": online(wire, key_file, summary_metric="loss", summary_mode="min"),
        },
        raise_on_failed_trial=False,
        **run,
    )


def assert_search_sent(runs: dict[str, SentRun], analysis: Any, tune_rows: bool) -> None:
    """Every row in order, the config, the best, the stop reason and the exit code."""
    for trial in analysis.trials:
        run = runs[trial.trial_id]
        a = trial.config["a"]
        count = 5 if a == 1 else 3
        assert run.column("loss") == [a * v for v in LOSSES[:count]]
        assert run.steps == (list(range(1, count + 1)) if tune_rows else list(range(count)))
        assert (run.project, run.group, run.config["a"]) == ("online", "exp", a)
        assert "wandb" not in run.config
        assert run.summary["loss"] == {"min": 0}
        assert run.complete
        assert run.exit_code == (0 if a == 1 else 1)
        if a == 2:
            assert run.summary["tune/error"]["message"] == "fails on purpose"
        # The console output reached the server: each trial's own lines, and the failure's
        # traceback, as stderr ("ERROR ..." in output.log).
        lines = run.output_text
        assert f"step 1 of a={a}" in lines, lines
        assert f"of a={3 - a}" not in lines, lines
        if a == 2:
            assert any(
                line.startswith("ERROR") and "RuntimeError: fails on purpose" in line
                for line in run.lines
            ), lines
        if tune_rows:  # the logger sees why Tune ended the trial
            assert (
                run.tags
                == [run.summary["tune/stop_reason"]]
                == ["completed" if a == 1 else "error"]
            )


def test_logger_sends_every_trial_and_the_experiment(
    tune_run: Any, wire: Proxy, server_key_file: Path
) -> None:
    """The logger: each trial's rows, config, best, tags, output and exit code; the trials table."""
    analysis = search(
        tune_run,
        wire,
        server_key_file,
        reports_or_fails,
        callbacks=[WandbLogger()],
        log_to_file=True,  # where the logger reads each trial's output
    )
    runs = sent_runs(wire.requests)
    assert_search_sent(runs, analysis, tune_rows=True)
    (experiment,) = [r for r in runs.values() if r.name == "exp (experiment)"]
    assert experiment.summary["trials/total"] == 2
    assert experiment.summary["best/run_id"] == analysis.trials[0].trial_id
    assert experiment.artifacts == [f"run-{experiment.run_id}-trials"]
    assert experiment.complete
    assert_no_key_sent(wire)


def test_decorator_sends_every_row(tune_run: Any, wire: Proxy, server_key_file: Path) -> None:
    """@wandb_mixin: each trial's wandb.log rows, its best, tags, output and exit code."""
    analysis = search(tune_run, wire, server_key_file, decorated)
    assert_search_sent(trial_runs(wire, analysis), analysis, tune_rows=False)
    assert_no_key_sent(wire)


def test_setup_wandb_in_tune_sends_every_row(
    tune_run: Any, wire: Proxy, server_key_file: Path
) -> None:
    """setup_wandb in a Tune trial: its rows, config and exit code."""
    analysis = tune_run(with_setup_wandb, config={"a": 1, "wandb": online(wire, server_key_file)})
    (run,) = trial_runs(wire, analysis).values()
    assert run.column("loss") == LOSSES
    assert (run.exit_code, run.complete, run.config["a"]) == (0, True, 1)
    assert_no_key_sent(wire)


def test_class_mixin_sends_every_row_and_its_exit_code(
    tune_run: Any, results: Path, wire: Proxy, server_key_file: Path
) -> None:
    """The class mixin: every row and exit code 0, also when Tune ends the actor first.

    Tune gives stopping actors seconds at the experiment's end, and a run still
    uploading then is finished by the hand-off, from its transaction log.
    """
    analysis = keep_one(tune_run, LogsAndKeepsOne, config={"wandb": online(wire, server_key_file)})
    handed_off(results)
    runs = trial_runs(wire, analysis)
    assert len(runs) == 2
    for run in runs.values():
        assert run.column("loss") == list(SIX_LOSSES)
        assert run.steps == [0, 1, 2, 3, 4, 5]
        assert (run.exit_code, run.complete) == (0, True)
    assert_no_key_sent(wire)


def test_logger_uploads_every_checkpoint_tune_keeps_or_deletes(
    tune_run: Any, wire: Proxy, server_key_file: Path
) -> None:
    """upload_checkpoints="all" with num_to_keep=1: six versions per trial reach the server."""
    analysis = keep_one(
        tune_run,
        KeepsOne,
        config={"wandb": online(wire, server_key_file)},
        callbacks=[WandbLogger(upload_checkpoints="all")],
    )
    runs = trial_runs(wire, analysis)
    for trial_id, run in runs.items():
        assert run.column("loss") == list(SIX_LOSSES)
        assert run.artifacts == [f"checkpoint-{trial_id}"] * 6
        assert (run.exit_code, run.complete) == (0, True)
    assert_no_key_sent(wire)


class LogsAndKeepsOne(MixinKeepsOne):
    """MixinKeepsOne, logging its loss with self.wandb.log."""

    def step(self) -> dict[str, Any]:
        result = super().step()
        self.wandb.log({"loss": result["loss"]})
        return result


def train_loop(config: dict[str, Any]) -> None:
    run = setup_wandb(config) if "wandb" in config else None
    for i in range(1, 4):
        if run is not None:
            run.log({"i": i})
        ray.train.report({"i": i})


def fit_train(results: Path, callbacks: list[Any], loop_config: dict[str, Any]) -> None:
    trainer = DataParallelTrainer(
        train_loop,
        train_loop_config=loop_config,
        scaling_config=ray.train.ScalingConfig(num_workers=2),
        run_config=ray.train.RunConfig(
            name="train", storage_path=str(results), callbacks=callbacks
        ),
    )
    trainer.fit()


def assert_train_sent(wire: Proxy) -> None:
    (run,) = sent_runs(wire.requests).values()
    assert run.column("i") == [1, 2, 3]
    assert (run.exit_code, run.complete, run.name, run.group) == (0, True, "train", "train")
    assert_no_key_sent(wire)


def test_setup_wandb_in_ray_train_sends_rank_zeros_run(
    ray_session: None, results: Path, wire: Proxy, server_key_file: Path
) -> None:
    """setup_wandb on 2 Train workers: one run (rank 0's), every row, finished."""
    fit_train(results, [], {"wandb": online(wire, server_key_file)})
    assert_train_sent(wire)


def test_train_callback_sends_rank_zeros_reports(
    ray_session: None, results: Path, wire: Proxy, server_key_file: Path
) -> None:
    """WandbTrainCallback: the controller's run holds rank 0's reports, finished."""
    callback = WandbTrainCallback(**online(wire, server_key_file))
    fit_train(results, [callback], {})
    assert_train_sent(wire)
