"""Ctrl-C or a kill mid-experiment, and Ray shut down with runs open: every run is finished."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.wandb_reader import read_runs

ROOT = Path(__file__).parent.parent


def _interrupt(
    tmp_path: Path, name: str, signum: int = signal.SIGINT, *, group: bool = False
) -> str:
    """Run tests/interrupt_check.py; signal it once both trials have logged for a while.

    ``group``: signal its whole process group, as a terminal's Ctrl-C does.
    """
    ready = tmp_path / "ready"
    ready.mkdir()
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.interrupt_check", str(tmp_path / "res"), str(ready), name],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a shell gives a command
    )
    deadline = time.monotonic() + 180
    while len(list(ready.iterdir())) < 2 and child.poll() is None:
        assert time.monotonic() < deadline, "the trials never started logging"
        time.sleep(0.2)
    time.sleep(2)
    if group:
        os.killpg(child.pid, signum)
    else:
        child.send_signal(signum)
    output, _ = child.communicate(timeout=300)
    if signum == signal.SIGINT:
        assert child.returncode == 0, output[-3000:]
        assert "tune.run returned" in output
    return output


def _results_received(run_file: Path) -> int:
    """How many results Tune recorded for the trial whose folder holds ``run_file``."""
    trial_folder = run_file.parents[2]
    return len((trial_folder / "result.json").read_text().splitlines())


@pytest.mark.parametrize("group", [False, True], ids=["driver", "process-group"])
@pytest.mark.parametrize("name", ["mixin", "logger"])
def test_ctrl_c_finishes_every_run_with_every_row(tmp_path: Path, name: str, group: bool) -> None:
    """Ctrl-C (to the driver, or a terminal's to the group): every run finished, every row kept."""
    output = _interrupt(tmp_path, name, group=group)
    runs = read_runs(tmp_path / "res")
    assert len(runs) == 2
    for run in runs.values():
        reported = _results_received(run.path)
        assert reported >= 4  # a lower bound: the signal comes 2 s into steady reporting
        # The mixin logs before each report, so it may hold one row more.
        assert len(run.history) in ((reported, reported + 1) if name == "mixin" else (reported,))
        assert run.exit_code is not None
    if name == "logger":  # the trials had not ended: failed, and said so once; the summary
        assert all(run.exit_code == 1 for run in runs.values())
        assert output.count("had not ended when the experiment did") == 1
        assert "W&B runs (2):" in output
        # The writer outlived the signal: no KeyboardInterrupt, no traceback of its own.
        # (Ray's workers may print their own on SIGTERM; those are not ours.)
        assert "KeyboardInterrupt" not in output
        assert "_logger/_child" not in output


def test_killed_driver_leaves_the_logger_runs_finished(tmp_path: Path) -> None:
    """SIGTERM to the driver: the writer process finishes its open runs as failed, then exits."""
    output = _interrupt(tmp_path, "logger", signal.SIGTERM)
    runs = read_runs(tmp_path / "res")
    assert len(runs) == 2
    for run in runs.values():
        assert len(run.history) >= 4
        assert run.exit_code == 1
    assert output.count("had not ended when the experiment did") == 1
