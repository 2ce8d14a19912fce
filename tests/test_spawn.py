"""Spawning the writer process: connected, in its own session, without the driver's service."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tune_wandb._logger import _spawn
from tune_wandb._logger._ops import Close
from tune_wandb._logger._wire import dumps, frame


def test_the_writer_connects_in_a_session_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """It connects back, runs in its own session, and the driver's WANDB_SERVICE is not its."""
    monkeypatch.setenv("WANDB_SERVICE", "3-1-tcp-localhost-1")
    conn, process = _spawn.spawn()
    try:
        assert os.getsid(process.pid) == process.pid != os.getsid(0)
        environ = Path(f"/proc/{process.pid}/environ").read_bytes().split(b"\0")
        assert not any(line.startswith(b"WANDB_SERVICE=") for line in environ)
        conn.send_bytes(frame(1, dumps(Close())))
        replies: list[tuple[str, object]] = []  # its log records come first, then these
        while not replies or replies[-1][0] != "closed":
            if isinstance(reply := conn.recv(), tuple):
                replies.append(reply)
        assert replies == [("records", {}), ("closed", 1)]
        assert process.wait(60) == 0
    finally:
        if process.poll() is None:
            process.kill()


def test_a_writer_that_ends_before_connecting_says_how(monkeypatch: pytest.MonkeyPatch) -> None:
    """A program that exits at once (here /bin/false as the interpreter) is told apart."""
    monkeypatch.setattr(sys, "executable", "/bin/false")
    with pytest.raises(_spawn.DiedEarly, match=r"died before it connected \(exit code 1\)"):
        _spawn.spawn()


def test_exit_reasons_name_the_signal() -> None:
    """A writer killed by a signal is reported by the signal's name."""
    process = subprocess.Popen(["sleep", "30"])
    process.send_signal(signal.SIGKILL)
    assert _spawn.exit_reason(process) == "killed by SIGKILL"
    done = subprocess.Popen(["true"])
    assert _spawn.exit_reason(done) == "exit code 0"
