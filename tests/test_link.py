"""WriterLink: the logger's runs written by one child process; warnings, records sent back."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import Any

import pytest
from ray import tune
from ray.tune import Callback
from ray.tune.experiment import Trial

from tests.helpers import logger_start, newest_writer_process, reports_steadily
from tests.wandb_reader import RunLog, read_run_logs, read_runs
from tune_wandb import WandbLogger
from tune_wandb._logger import _child, _link
from tune_wandb._logger._link import WriterLink
from tune_wandb._logger._ops import Finish, Log, Start


def start(folder: Path, trial_id: str, **settings: Any) -> Start:
    return logger_start(folder, trial_id, **settings)


def test_runs_records_and_warnings_come_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Rows reach the run; the child (niced) warns here; records return at close."""
    writer = WriterLink()
    with caplog.at_level(logging.WARNING, logger="tune_wandb"):
        writer.submit(start(tmp_path, "p_00000"))
        for i in range(1, 4):
            writer.submit(Log("p_00000", {"i": i, "bad": object(), "training_iteration": i}))
        writer.submit(Finish("p_00000", 0))
        # It runs at the priority Ray gives its workers, below Tune's driver loop.
        while writer._conn is None:
            threading.Event().wait(0.05)
        process = newest_writer_process()
        assert process is not None
        assert process.nice() == _child.NICENESS
        assert writer.close(timeout=60)
    (run,) = read_runs(tmp_path).values()
    assert run.column("i") == [1, 2, 3]
    assert writer.records["p_00000"].rows == 3
    warnings = [r.getMessage() for r in caplog.records]
    assert sum("metric 'bad' of trial 'p_00000' is not logged" in w for w in warnings) == 1


def test_close_is_bounded_by_the_upload_timeout(
    tmp_path: Path, stalling_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A writer stuck on W&B (a server that never answers) holds the driver no longer."""
    writer = WriterLink()
    writer.submit(
        start(
            tmp_path,
            "s_00000",
            mode="online",
            api_key="s" * 40,
            init_timeout=120,
            settings={"base_url": stalling_server},
        )
    )
    try:
        with caplog.at_level(logging.WARNING, logger="tune_wandb"):
            assert not writer.close(timeout=2)
    finally:
        (process, _listener) = writer._writers[-1]
        process.kill()  # the stuck writer would wait out its 120 s
    (warning,) = [r.getMessage() for r in caplog.records if "upload_timeout" in r.getMessage()]
    assert "wandb sync" in warning


def _watch_held(writer: WriterLink, stop: threading.Event, peak: list[int]) -> None:
    while not stop.wait(0.001):
        peak[0] = max(peak[0], writer._held)


def test_a_lagging_writer_bounds_what_the_driver_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows sent faster than W&B takes them: submit waits, the bound holds, no row is lost."""
    # Bytes; 2,000 rows of 144 bytes each are 3x as much. Confirmed rows count until they
    # are 3 s old (kept for a resend), so past the bound ~700 rows go through per 3 s.
    limit = 100_000
    monkeypatch.setattr(_link, "_HELD_LIMIT", limit)
    writer = WriterLink()
    writer.submit(start(tmp_path, "b_00000"))
    peak = [0]
    stop = threading.Event()
    watcher = threading.Thread(target=_watch_held, args=(writer, stop, peak))
    watcher.start()
    for i in range(1, 2001):
        writer.submit(Log("b_00000", {"i": i, "training_iteration": i}))
    writer.submit(Finish("b_00000", 0))
    assert writer.close(timeout=120)
    stop.set()
    watcher.join()
    # The writer did lag (the bound was reached), and the bound held.
    assert limit / 2 < peak[0] <= limit
    (run,) = read_runs(tmp_path).values()
    assert run.column("i") == list(range(1, 2001))


def test_a_writer_that_confirms_nothing_is_not_waited_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A frozen writer (SIGSTOP) holds submit for the stall timeout at most; no row is lost."""
    monkeypatch.setattr(_link, "_HELD_LIMIT", 20_000)
    monkeypatch.setattr(_link, "_STALL", 1.0)
    writer = WriterLink()
    writer.submit(start(tmp_path, "f_00000"))
    writer.submit(Log("f_00000", {"i": 0, "training_iteration": 0}))
    # Its first row confirmed, the writer is frozen as a hung process would be.
    while writer._conn is None or writer._unconfirmed:
        threading.Event().wait(0.05)
    process = newest_writer_process()
    assert process is not None
    process.send_signal(signal.SIGSTOP)
    try:
        with caplog.at_level(logging.WARNING, logger="tune_wandb"):
            for i in range(1, 1001):
                writer.submit(Log("f_00000", {"i": i, "training_iteration": i}))
        stalled = [r.getMessage() for r in caplog.records if "confirmed nothing" in r.getMessage()]
        assert len(stalled) == 1
        assert writer._held > 20_000
    finally:
        process.send_signal(signal.SIGCONT)
    writer.submit(Finish("f_00000", 0))
    assert writer.close(timeout=120)
    (run,) = read_runs(tmp_path).values()
    assert run.column("i") == list(range(1001))


class KillsTheWriter(Callback):
    """SIGKILLs the writer process at the 20th result of the experiment (as an OOM kill).

    ``always``: at every result from the 20th on, so no new writer lasts.
    """

    def __init__(self, record: Path, *, always: bool = False) -> None:
        self.record = record
        self.results = 0
        self.always = always

    def on_trial_result(
        self, iteration: int, trials: list[Trial], trial: Trial, result: dict[str, Any], **info: Any
    ) -> None:
        self.results += 1
        if self.results != 20 and not (self.always and self.results > 20):
            return
        writer = newest_writer_process()
        if writer is not None:
            writer.kill()
            self.record.write_text(str(writer.pid))


def test_a_killed_writer_is_replaced_and_no_row_is_lost(
    tune_run: Any, results: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """kill -9 of the writer: one warning, a new writer, every trial's run with every row."""
    killer = KillsTheWriter(results.parent / "killed")
    with caplog.at_level(logging.WARNING, logger="tune_wandb"):
        analysis = tune_run(
            reports_steadily,
            config={"a": tune.grid_search([1, 2, 3, 4]), "steps": 30, "pause": 0.05},
            callbacks=[WandbLogger(project="p", summary=False), killer],
        )
    assert killer.record.exists()
    logs = read_run_logs(results)
    by_id: dict[str, list[RunLog]] = {}
    for log in logs:
        by_id.setdefault(log.run_id, []).append(log)
    # Runs the killed writer had just started may have reached their files with nothing.
    assert all(log.history == [] for log in by_id.pop("", []))
    assert set(by_id) == {t.trial_id for t in analysis.trials}
    for run_logs in by_id.values():
        steps = sorted({step for log in run_logs for step in log.steps})
        assert steps == list(range(1, 31))
        values = {row["_step"]: row["i"] for log in run_logs for row in log.history}
        assert values == {i: i for i in range(1, 31)}
        last = max(run_logs, key=lambda log: max(log.steps, default=0))
        assert last.exit_code == 0
    died = [r.getMessage() for r in caplog.records if "writer process" in r.getMessage()]
    assert len(died) == 1
    assert "SIGKILL" in died[0]


def test_a_writer_that_cannot_be_had_costs_no_trial(
    tune_run: Any,
    results: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Writers killed as soon as they start: one warning, fit() goes on, the summary counts."""
    killer = KillsTheWriter(results.parent / "killed", always=True)
    with caplog.at_level(logging.WARNING, logger="tune_wandb"):
        analysis = tune_run(
            reports_steadily,
            config={"a": tune.grid_search([1, 2]), "steps": 30, "pause": 0.05},
            callbacks=[WandbLogger(project="p"), killer],
        )
    assert all(t.status == "TERMINATED" for t in analysis.trials)
    gave_up = [r.getMessage() for r in caplog.records if "could be had" in r.getMessage()]
    assert len(gave_up) == 1
    out = capsys.readouterr().out
    assert "Not logged: " in out
    assert "no W&B writer process could be had" in out


def test_two_fits_leave_no_thread_and_no_writer_behind(tune_run: Any, results: Path) -> None:
    """Each fit() joins the link's threads and reaps its writer before it returns."""
    before = {t.ident for t in threading.enumerate()}
    for name in ("first", "second"):
        tune_run(
            reports_steadily,
            config={"steps": 2, "pause": 0},
            callbacks=[WandbLogger(project="p", summary=False)],
            name=name,
        )
        ours = [
            t.name
            for t in threading.enumerate()
            if t.ident not in before and t.name.startswith("tune-wandb")
        ]
        assert ours == []
        assert newest_writer_process() is None
    assert len(read_runs(results)) == 2
