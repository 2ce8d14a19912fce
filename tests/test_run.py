"""Starting and finishing runs: outages and bad keys cost no trial or row; the key never leaks."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import pytest
import wandb
from ray import tune

from examples.decorator import train_fn
from tests.helpers import KEY, UNREACHABLE, files_containing, online, reports
from tests.wandb_reader import read_runs
from tune_wandb import WandbLogger, WandbTrainableMixin
from tune_wandb._wandb._run import finish_run


class TestOutage:
    def test_mixin_logs_offline_when_server_is_down(
        self, tune_run: Any, results: Path, key_file: Path
    ) -> None:
        """With the server unreachable the trial runs, every row is kept offline, no key on disk."""
        tune_run(train_fn, config={"a": 1, "b": 2, "wandb": online(key_file, UNREACHABLE)})
        (run,) = read_runs(results).values()
        assert run.column("loss") == [3] * 10
        assert run.exit_code == 0
        assert files_containing(results, KEY) == []

    def test_logger_logs_offline_on_a_refused_key(
        self,
        tune_run: Any,
        results: Path,
        key_file: Path,
        refusing_server: str,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """A server answering 401 sends the logger's runs offline with a wandb sync hint."""
        with caplog.at_level(logging.WARNING, logger="tune_wandb"):
            tune_run(
                reports,
                config={"a": tune.grid_search([1, 2]), "wandb": online(key_file, refusing_server)},
                callbacks=[WandbLogger(summary=False)],
            )
        runs = read_runs(results)
        assert len(runs) == 2
        assert all(len(run.history) == 5 for run in runs.values())
        messages = [r.getMessage() for r in caplog.records]
        assert any("HTTP 401" in m and "wandb sync" in m for m in messages)
        assert not any(KEY in m for m in messages)
        assert files_containing(results, KEY) == []

    def test_strict_mode_fails_the_trial_with_a_clear_error(
        self, tune_run: Any, results: Path, key_file: Path
    ) -> None:
        """offline_fallback=False makes an unreachable server an error naming the setting."""
        analysis = tune_run(
            train_fn,
            config={"a": 1, "b": 2, "wandb": online(key_file, UNREACHABLE, offline_fallback=False)},
            raise_on_failed_trial=False,
        )
        (trial,) = analysis.trials
        assert trial.status == "ERROR"
        error = Path(trial.local_path or "", "error.txt").read_text()
        assert "offline_fallback" in error
        assert KEY not in error


class TestSecrets:
    def test_literal_key_in_trial_config_stays_out_of_wandb(
        self, tune_run: Any, results: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A literal api_key: one warning, and the key is in no W&B file (config, logs)."""
        settings = {
            "project": "secrets",
            "mode": "online",
            "api_key": KEY,
            "init_timeout": 3,
            "settings": {"base_url": UNREACHABLE},
        }
        with caplog.at_level(logging.WARNING, logger="tune_wandb"):
            tune_run(
                reports,
                config={"a": 1, "wandb": settings},
                callbacks=[WandbLogger(summary=False)],
            )
        wandb_dirs = [p for p in results.rglob("wandb") if p.is_dir()]
        assert wandb_dirs
        for folder in wandb_dirs:
            assert files_containing(folder, KEY) == []
        (run,) = read_runs(results).values()
        assert KEY not in str(run.config)
        assert sum("api_key_file" in r.getMessage() for r in caplog.records) == 1


class TestFinish:
    def test_hanging_finish_is_bounded(self, caplog: pytest.LogCaptureFixture) -> None:
        """finish_run gives up after its timeout and says how to upload later.

        A fake run: wandb's finish cannot be made to hang for real without a
        server that accepts and then stalls uploads.
        """

        class HangingRun:
            id = "hang"
            settings = wandb.Settings(mode="offline")

            def finish(self, exit_code: int | None = None) -> None:
                time.sleep(30)

        with caplog.at_level(logging.WARNING, logger="tune_wandb"):
            assert not finish_run(HangingRun(), exit_code=0, timeout=0.5)  # type: ignore[arg-type]  # the fake above
        assert any("wandb sync" in r.getMessage() for r in caplog.records)


class InheritsDriverService(WandbTrainableMixin, tune.Trainable):
    """A trial whose process inherited the driver's wandb service (driver used wandb first)."""

    def __init__(self, config: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        os.environ["WANDB_SERVICE"] = config["inherited"]
        super().__init__(config, *args, **kwargs)

    def step(self) -> dict[str, Any]:
        self.wandb.log({"x": 1})
        return {"token": os.environ.get("WANDB_SERVICE", ""), "pid": os.getpid(), "done": True}


class TestService:
    def test_trial_starts_its_own_service(
        self, tune_run: Any, results: Path, tmp_path: Path
    ) -> None:
        """A trial process that inherited the driver's WANDB_SERVICE runs its own service."""
        wandb.init(project="driver", dir=tmp_path, mode="offline", reinit="create_new").finish()
        driver_token = os.environ["WANDB_SERVICE"]
        assert driver_token.split("-")[1] == str(os.getpid())
        analysis = tune_run(
            InheritsDriverService, config={"inherited": driver_token, "wandb": {"project": "p"}}
        )
        result = analysis.trials[0].last_result
        assert result["token"].split("-")[1] == str(result["pid"])
        (run,) = read_runs(results).values()
        assert run.column("x") == [1]
