"""WandbLogger: every reported result in its trial's own run, read back from W&B's log."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ray import tune

from tests.helpers import (
    Counter,
    checkpoints,
    dies,
    exit_codes_by_run,
    fails,
    fails_once,
    files_containing,
    fit_then_restore,
    interrupted,
    reports,
    reports_arrays,
    reports_wandb_names,
    rises_then_fails_once,
    run_pbt,
    trial_ids,
)
from tests.wandb_reader import read_experiment_runs, read_run_logs, read_runs, read_table
from tune_wandb import WandbLogger, WandbSettings
from tune_wandb._logger._summary import sync_pattern


class TestRuns:
    def test_one_run_per_trial_with_every_row(self, tune_run: Any, results: Path) -> None:
        """Each trial's run: its identity, config, bookkeeping, and every result at its step."""
        analysis = tune_run(
            reports,
            config={"a": tune.grid_search([1, 2]), "wandb": {"excludes": ["noisy", "info/skip"]}},
            callbacks=[WandbLogger(project="logger-tests", summary=False)],
        )
        runs = read_runs(results)
        trials = {t.trial_id: t for t in analysis.trials}
        assert set(runs) == set(trials)
        for trial_id, run in runs.items():
            trial = trials[trial_id]
            a = trial.config["a"]
            assert (run.name, run.group, run.project) == (str(trial), "exp", "logger-tests")
            assert run.config["a"] == a
            assert "wandb" not in run.config
            assert run.config["trial_id"] == trial_id
            assert {"hostname", "pid", "node_ip", "date"} <= set(run.config)
            assert run.steps == [1, 2, 3, 4, 5]
            assert run.column("loss") == [a * i for i in range(1, 6)]
            assert run.column("tune/training_iteration") == [1, 2, 3, 4, 5]
            assert run.column("info/lr") == [0.1] * 5
            for row in run.metrics:
                assert not {"noisy", "info/skip", "done", "config", "trial_id", "date"} & set(row)
            assert run.exit_code == 0

    def test_images_are_logged_as_media(
        self, tune_run: Any, results: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Arrays become media: 3-D an image, 4-D images, 5-D videos, 1-D and 2-D histograms."""
        # Tune's own TensorBoard logger cannot take an HWC image and would fail the run.
        monkeypatch.setenv("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")
        tune_run(reports_arrays, callbacks=[WandbLogger(project="p", summary=False)])
        (run,) = read_runs(results).values()
        (row,) = run.history
        assert (row["img._type"], row["img.width"]) == ("image-file", 8)
        assert (row["imgs._type"], row["imgs.count"]) == ("images/separated", 2)
        assert (row["videos._type"], row["videos.count"]) == ("videos", 1)
        assert row["videos.videos"][0]["path"].endswith(".gif")
        assert (row["hist1._type"], sum(row["hist1.values"])) == ("histogram", 10)
        assert (row["hist2._type"], sum(row["hist2.values"])) == ("histogram", 12)

    def test_names_wandb_would_drop_or_overwrite(
        self, tune_run: Any, results: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A result's _step is logged as tune/_step; "" and a colliding key are said once each."""
        with caplog.at_level(logging.WARNING, logger="tune_wandb"):
            tune_run(
                reports_wandb_names,
                config={"x": tune.grid_search([1, 2])},
                callbacks=[WandbLogger(project="p", summary=False)],
            )
        for run in read_runs(results).values():
            assert run.steps == [1, 2, 3]
            assert run.column("tune/_step") == [101, 102, 103]
            assert (run.column("a/b"), run.column("v")) == ([1, 2, 3], [1, 2, 3])
        messages = [r.getMessage() for r in caplog.records if "said once" in r.getMessage()]
        assert sorted(m.split("'")[1] for m in messages) == ["", "_step", "a/b"]

    def test_failed_trial_is_marked_failed(self, tune_run: Any, results: Path) -> None:
        """A trial that errors keeps its rows, exit code 1, and its error in the summary."""
        tune_run(
            fails, callbacks=[WandbLogger(project="p", summary=False)], raise_on_failed_trial=False
        )
        (run,) = read_runs(results).values()
        assert run.column("i") == [1]
        assert run.exit_code == 1
        error = run.summary["tune/error"]
        assert (error["type"], error["message"]) == ("RuntimeError", "fails on purpose")
        assert 'raise RuntimeError("fails on purpose")' in error["traceback"]

    def test_retried_trial_continues_its_run(
        self, tune_run: Any, results: Path, tmp_path: Path
    ) -> None:
        """With max_failures=1 a retried trial keeps one run, its rows after the earlier ones."""
        tune_run(
            fails_once,
            config={"marker": str(tmp_path / "failed-once")},
            max_failures=1,
            callbacks=[WandbLogger(project="p", summary=False)],
        )
        (run,) = read_runs(results).values()
        assert run.column("i") == [1, 2, 1, 2, 3]
        assert run.steps == [1, 2, 3, 4, 5]
        assert run.exit_code == 0

    def test_log_config_records_pbt_changes(self, tune_run: Any, results: Path) -> None:
        """With log_config, PBT's config changes appear as config/ metrics."""
        run_pbt(tune_run, {"log_config": True})
        runs = read_runs(results)
        assert len(runs) == 2
        lrs = [set(run.column("config/lr")) for run in runs.values()]
        assert all(lrs)
        assert any(len(values) > 1 for values in lrs), lrs

    def test_mixin_trials_keep_one_run_which_the_logger_lists(
        self,
        tune_run: Any,
        results: Path,
        caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """Logger and mixin: one run per trial (the mixin's, with Tune's rows), in logger.runs."""
        logger = WandbLogger()
        with caplog.at_level(logging.WARNING, logger="tune_wandb"):
            tune_run(
                Counter,
                config={"a": tune.grid_search([1, 2]), "wandb": {"project": "p"}},
                callbacks=[logger],
            )
        runs = read_runs(results)
        assert [run.column("it") for run in runs.values()] == [[1, 2, 3, 4]] * 2
        # Tune's results, which reach the logger, are in the mixin's run under tune/.
        for run in runs.values():
            assert run.column("tune/training_iteration") == [1, 2, 3, 4]
            assert run.column("tune/a") == [run.config["a"]] * 4
            assert "tune/time_total_s" in run.history[-1]
            assert run.summary["tune/stop_reason"] == "completed"  # as the logger saw it
        assert sorted(logger.runs) == sorted(runs)
        assert {r.sync_dir for r in logger.runs.values()} == {
            str(r.path.parent) for r in runs.values()
        }
        # Each trial's 4 rows of its own and 4 of Tune's.
        assert all(r.rows == 8 and r.exit_code == 0 for r in logger.runs.values())
        (said,) = [r.getMessage() for r in caplog.records if "use the W&B mixin" in r.getMessage()]
        assert said.startswith("tune-wandb: 2 trial(s) use the W&B mixin")
        printed = capsys.readouterr().out
        assert "W&B runs (2):" in printed
        (upload,) = [line for line in printed.splitlines() if line.startswith("Upload all:")]
        experiment = read_experiment_runs(results)[0].path.parent
        folders = sync_pattern([str(r.path.parent) for r in runs.values()])
        assert upload == f"Upload all:  wandb sync {folders} {experiment}"

    def test_a_mixin_trial_stopped_by_tune_says_why_in_its_run(
        self, tune_run: Any, results: Path
    ) -> None:
        """Beside the logger, a mixin run stopped by Tune's stop criteria is marked so."""
        tune_run(
            Counter,
            config={"a": 1, "wandb": {"project": "p"}},
            stop={"training_iteration": 2},
            callbacks=[WandbLogger()],
        )
        (run,) = read_runs(results).values()
        assert run.column("tune/training_iteration") == [1, 2]
        assert (run.exit_code, run.summary["tune/stop_reason"]) == (0, "stop-criteria")


class TestSettings:
    def test_bad_trial_setting_fails_before_trials_start(
        self, tune_run: Any, results: Path
    ) -> None:
        """A typo in a trial's "wandb" config stops tune.run with the settings error."""
        with pytest.raises(ValueError, match="Did you mean 'project'"):
            tune_run(
                reports,
                config={"a": 1, "wandb": {"projekt": "x"}},
                callbacks=[WandbLogger(summary=False)],
            )
        assert read_runs(results) == {}

    def test_missing_online_key_fails_before_trials_start(
        self, tune_run: Any, results: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Online with no key anywhere stops tune.run on the driver: no trial runs, no run."""
        monkeypatch.setenv("WANDB_MODE", "online")
        with pytest.raises(ValueError, match="No W&B API key"):
            tune_run(reports, config={"a": 1}, callbacks=[WandbLogger(project="p")])
        assert list(results.rglob("result.json")) == []
        assert read_runs(results) == {}

    def test_bad_keyword_fails_at_construction(self) -> None:
        """WandbLogger's own keyword arguments are validated when it is built."""
        with pytest.raises(ValueError, match="Did you mean 'project'"):
            WandbLogger(projekt="x")

    def test_settings_object_and_keywords(self) -> None:
        """A WandbSettings plus keywords: keywords win."""
        logger = WandbLogger(WandbSettings(project="a", group="g"), project="b")
        assert "project='b'" in repr(logger)
        assert "group='g'" in repr(logger)

    def test_pickled_logger_keeps_its_settings_but_not_the_key(self) -> None:
        """Tune pickles callbacks to disk: the key is not in the bytes, and comes back here."""
        import pickle

        logger = WandbLogger(project="p", api_key="k" * 40, tags=["t"], summary_metric="loss")
        data = pickle.dumps(logger)
        assert b"k" * 40 not in data
        clone = pickle.loads(data)
        assert clone._defaults == logger._defaults
        assert clone._defaults.api_key == "k" * 40
        assert (clone.summary_metric, clone.upload_checkpoints) == ("loss", False)

    def test_unpickled_elsewhere_the_key_is_asked_for(self, tmp_path: Path) -> None:
        """In another process the key is unknown: one warning says how to give it again."""
        import pickle

        path = tmp_path / "logger.pkl"
        path.write_bytes(pickle.dumps(WandbLogger(project="p", api_key="k" * 40)))
        code = (
            "import pickle, sys; logger = pickle.load(open(sys.argv[1], 'rb')); "
            "print(logger._defaults.api_key, logger._defaults.project)"
        )
        root = Path(__file__).parent.parent
        done = subprocess.run(
            [sys.executable, "-c", code, str(path)],
            env=dict(os.environ, PYTHONPATH=str(root)),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.split() == ["None", "p"]
        assert "WANDB_API_KEY" in done.stderr


class TestLifecycle:
    def test_checkpoints_uploaded_as_artifacts(self, tune_run: Any, results: Path) -> None:
        """upload_checkpoints=True logs each checkpoint folder as a W&B artifact."""
        tune_run(
            checkpoints,
            callbacks=[WandbLogger(project="p", upload_checkpoints=True, summary=False)],
        )
        (run,) = read_runs(results).values()
        assert run.column("i") == [1, 2]
        assert len(run.artifacts) == 2, run.artifacts

    def test_killed_worker_keeps_rows_and_fails_run(self, tune_run: Any, results: Path) -> None:
        """A trial whose process dies keeps the rows Tune received; its run is marked failed."""
        tune_run(
            dies, callbacks=[WandbLogger(project="p", summary=False)], raise_on_failed_trial=False
        )
        (run,) = read_runs(results).values()
        assert run.column("i")[:2] == [1, 2]
        assert run.exit_code == 1

    def test_restored_experiment_continues_run_ids(
        self, ray_session: None, results: Path, tmp_path: Path
    ) -> None:
        """Tuner.restore of an interrupted experiment writes under the same run ids, no new ones."""
        grid, restored = fit_then_restore(
            interrupted,
            results,
            tmp_path / "m",
            {"a": tune.grid_search([1, 2])},
            callbacks=[WandbLogger(project="p", summary=False)],
        )
        assert (grid.num_errors, restored.num_errors) == (2, 0)
        assert exit_codes_by_run(results) == {trial: [0, 1] for trial in trial_ids(restored)}

    def test_the_best_value_survives_a_restore(
        self, ray_session: None, results: Path, tmp_path: Path
    ) -> None:
        """Restored from iteration 3, the trial's best stays 2.0 at 1: summary and table."""
        fit_then_restore(
            rises_then_fails_once,
            results,
            tmp_path / "m",
            {},
            callbacks=[
                WandbLogger(project="p", summary_metric="loss", summary_mode="min", summary=False)
            ],
        )
        logs = read_run_logs(results)
        assert [log.column("loss") for log in logs] == [[2.0, 2.1, 2.2], [2.3, 2.4]]
        restored = logs[-1]
        assert restored.summary["loss"] == {"min": 2.0}
        assert restored.summary["tune/best_step"] == 1
        (table,) = [read_table(run) for run in read_experiment_runs(results)[-1:]]
        assert [(row["best"], row["best_step"]) for row in table] == [(2.0, 1)]

    def test_best_checkpoints_after_a_restore_must_beat_the_earlier_best(
        self, ray_session: None, results: Path, tmp_path: Path
    ) -> None:
        """ "best": restored from iteration 3, the worse 2.3 and 2.4 are no new best version."""
        logger = WandbLogger(
            project="p",
            summary=False,
            summary_metric="loss",
            summary_mode="min",
            upload_checkpoints="best",
        )
        fit_then_restore(rises_then_fails_once, results, tmp_path / "m", {}, callbacks=[logger])
        versions = [
            json.loads(artifact["metadata"])["training_iteration"]
            for log in read_run_logs(results)
            for artifact in log.artifacts
        ]
        assert versions == [1]  # 2.0 at iteration 1: nothing after it beats it


def test_script_without_main_guard_runs_once_and_logs(tmp_path: Path) -> None:
    """A script with no __main__ guard is not run twice by the writer; __main__ objects drop."""
    root = Path(__file__).parent.parent
    done = subprocess.run(
        [sys.executable, str(root / "tests" / "no_guard_script.py"), str(tmp_path / "res")],
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(root)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert output.count("script body ran in") == 1
    assert [p.name for p in (tmp_path / "res").iterdir()] == ["no_guard"]
    runs = read_runs(tmp_path / "res")
    assert len(runs) == 2
    assert all(run.column("i") == [0, 1, 2] for run in runs.values())
    assert all(run.column("thing") == [] for run in runs.values())


def _session_dir() -> Path:
    """This Ray session's folder (logs, sockets, runtime resources)."""
    return Path("/tmp/ray/session_latest").resolve()


@pytest.mark.parametrize("source", ["api_key", "api_key_file", "WANDB_API_KEY"])
def test_the_key_is_in_no_file_written(
    ray_session: None,
    results: Path,
    tmp_path: Path,
    refusing_server: str,
    monkeypatch: pytest.MonkeyPatch,
    source: str,
) -> None:
    """Given to the constructor, as a file or in the environment: tune.run, Tuner and
    Tuner.restore write the key to no file under the results, Ray's session or wandb's folders.
    """
    key = f"{source}-key-".ljust(40, "x")
    monkeypatch.setenv("WANDB_MODE", "online")
    kwargs: dict[str, Any] = {
        "project": "p",
        "init_timeout": 3,
        "settings": {"base_url": refusing_server},
    }
    if source == "api_key":
        kwargs["api_key"] = key
    elif source == "api_key_file":
        key_file = tmp_path / "secret" / "wandb.key"
        key_file.parent.mkdir()
        key_file.write_text(key)
        kwargs["api_key_file"] = str(key_file)
    else:
        monkeypatch.setenv("WANDB_API_KEY", key)
    tune.run(
        reports,
        config={"a": 1},
        callbacks=[WandbLogger(**kwargs)],
        storage_path=str(results),
        name="run",
        verbose=0,
    )
    grid, restored = fit_then_restore(
        interrupted, results, tmp_path / "interrupted", {}, callbacks=[WandbLogger(**kwargs)]
    )
    assert (grid.num_errors, restored.num_errors) == (1, 0)
    assert (results / "restore" / "tuner.pkl").exists()
    assert len(read_run_logs(results)) == 3  # run, tuner, restored: each offline, W&B refused
    wandb_folders = [Path(os.environ[v]) for v in ("WANDB_CONFIG_DIR", "WANDB_CACHE_DIR")]
    for folder in [results, _session_dir(), *wandb_folders]:
        assert files_containing(folder, key) == [], folder
