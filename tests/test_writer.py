"""RunWriter: the logger's runs, each row at its step, restarts continued, failures counted."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import Any

import psutil
import pytest
from ray.tune import Callback
from ray.tune.experiment import Trial

from tests.helpers import UNREACHABLE, logger_start, newest_writer_process, reports_steadily
from tests.wandb_reader import read_runs
from tune_wandb import WandbLogger
from tune_wandb._core._plan import FLUSH_INTERVAL, flushes_every_second
from tune_wandb._logger._ops import Finish, Log, Start
from tune_wandb._logger._writer import RunWriter


def start(folder: Path, trial_id: str = "w_00000", **settings: Any) -> Start:
    return logger_start(folder, trial_id, {"lr": 0.5}, **settings)


class TestRunWriter:
    def test_rows_at_their_steps_and_a_record(self, tmp_path: Path) -> None:
        """Each result is a row at training_iteration; finishing leaves a record of the run."""
        writer = RunWriter()
        writer.handle(start(tmp_path))
        for i in range(1, 4):
            writer.handle(Log("w_00000", {"loss": 1 / i, "training_iteration": i}))
        writer.handle(Finish("w_00000", 0))
        writer.close_all()  # finishes go on in threads: wait for them
        (run,) = read_runs(tmp_path).values()
        assert run.steps == [1, 2, 3]
        assert run.column("loss") == [1.0, 0.5, 1 / 3]
        assert (run.config["lr"], run.exit_code, run.group) == (0.5, 0, "exp")
        record = writer.records["w_00000"]
        assert (record.trial_id, record.rows, record.exit_code, record.offline) == (
            "w_00000",
            3,
            0,
            True,
        )

    def test_a_restarted_trial_continues_its_run(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A restarted trial keeps its run; repeated iterations get later steps, said once."""
        writer = RunWriter()
        writer.handle(start(tmp_path))
        writer.handle(Log("w_00000", {"i": 1, "training_iteration": 1}))
        writer.handle(Log("w_00000", {"i": 2, "training_iteration": 2}))
        writer.handle(start(tmp_path))
        with caplog.at_level(logging.WARNING, logger="tune_wandb"):
            writer.handle(Log("w_00000", {"i": 1, "training_iteration": 1}))
            writer.handle(Log("w_00000", {"i": 2, "training_iteration": 2}))
        (warning,) = [r.getMessage() for r in caplog.records if "went back" in r.getMessage()]
        assert "iteration 1 after step 2" in warning
        writer.handle(Finish("w_00000", 0))
        writer.close_all()  # finishes go on in threads: wait for them
        (run,) = read_runs(tmp_path).values()
        assert (run.column("i"), run.steps) == ([1, 2, 1, 2], [1, 2, 3, 4])

    def test_a_run_that_cannot_start_is_warned_and_its_rows_ignored(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """With offline_fallback off and W&B unreachable: one warning, later ops do nothing."""
        writer = RunWriter()
        op = start(
            tmp_path,
            mode="online",
            api_key="u" * 40,
            offline_fallback=False,
            init_timeout=2,
            settings={"base_url": UNREACHABLE},
        )
        with caplog.at_level(logging.WARNING, logger="tune_wandb"):
            writer.handle(op)
            writer.handle(Log("w_00000", {"i": 1}))
            writer.handle(Finish("w_00000", 0))
            writer.close_all()  # finishes go on in threads: wait for them
        assert [r.getMessage() for r in caplog.records if "no W&B run" in r.getMessage()]
        assert writer.records == {}

    def test_close_all_fails_what_is_open(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Runs whose trials never ended are finished as failed, with one warning naming them."""
        writer = RunWriter()
        writer.handle(start(tmp_path / "a", "w_a"))
        writer.handle(start(tmp_path / "b", "w_b"))
        writer.handle(Log("w_a", {"i": 1}))
        with caplog.at_level(logging.WARNING, logger="tune_wandb"):
            writer.close_all()
        runs = read_runs(tmp_path)
        assert {r.exit_code for r in runs.values()} == {1}
        (warning,) = [r.getMessage() for r in caplog.records if "had not ended" in r.getMessage()]
        assert "w_a, w_b" in warning


class KillsWritersService(Callback):
    """At the fourth result, SIGKILLs the writer process's wandb-core: a real mid-run failure.

    Under load the writer may still be starting its run when the fourth result arrives
    (seen in CI: no wandb-core to kill yet, and on the oldest wandb a kill during
    ``wandb.init``, which is a failed start rather than lost rows). So it waits (Tune's
    loop with it) until ``wandb.init`` has returned, as the run's own debug log says, and,
    where wandb writes its log every second, until rows 1 to 4 are on disk. Tune runs a
    copy of its callbacks, so the kill is recorded in a file.
    """

    def __init__(self, record: Path, results: Path) -> None:
        self.record = record
        self.results = results
        self.killed = 0

    def on_trial_result(
        self, iteration: int, trials: list[Trial], trial: Trial, result: dict[str, Any], **info: Any
    ) -> None:
        if result["training_iteration"] != 4 or self.killed:
            return
        deadline = time.monotonic() + 120
        services: list[psutil.Process] = []
        while time.monotonic() < deadline:
            writer = newest_writer_process()
            children = writer.children() if writer is not None else []
            services = [p for p in children if p.name().startswith("wandb-core")]
            runs = list(read_runs(self.results).values()) if flushes_every_second() else []
            on_disk = not flushes_every_second() or (
                len(runs) == 1 and runs[0].column("i") == [1, 2, 3, 4]
            )
            if services and on_disk and _init_returned(self.results):
                break
            time.sleep(FLUSH_INTERVAL)
        for proc in services:
            proc.kill()
            self.killed += 1
            self.record.write_text(str(self.killed))


def _init_returned(results: Path) -> bool:
    """Whether a run under ``results`` says, in its debug log, that ``wandb.init`` returned."""
    return any(
        "run started, returning control" in log.read_text(errors="replace")
        for log in results.rglob("logs/debug.log")
    )


def test_rows_lost_to_a_dead_service_are_counted(
    tune_run: Any, results: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """W&B failing mid-run costs no trial; the lost rows are counted in one warning."""
    killer = KillsWritersService(results.parent / "killed", results)
    with caplog.at_level(logging.WARNING, logger="tune_wandb"):
        analysis = tune_run(
            reports_steadily,
            config={"steps": 8, "pause": 0.3},
            callbacks=[WandbLogger(project="p", summary=False), killer],
        )
    assert killer.record.read_text() == "1"
    (trial,) = analysis.trials
    assert trial.status == "TERMINATED"
    if flushes_every_second():  # older wandb held the rows in memory when its service died
        (run,) = read_runs(results).values()
        assert run.column("i") == [1, 2, 3, 4]
    (warning,) = [r.getMessage() for r in caplog.records if "could not be logged" in r.getMessage()]
    counted = re.search(r"(\d+) of 8 rows", warning)
    assert counted is not None, warning
    lost = int(counted.group(1))
    if flushes_every_second():
        assert lost == 4  # rows 1 to 4 were read back before the kill
    else:
        # Older wandb shows no row before its log is written (every 15 s), so the kill
        # may come before the writer has logged row 4, which it received a moment earlier.
        assert lost in (4, 5)
