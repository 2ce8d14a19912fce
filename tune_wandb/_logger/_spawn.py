"""Starting a writer process and taking its connection.

The child (:mod:`._child`) is started with this very ``tune_wandb`` on its
path, however the driver found it, in a session of its own (a terminal's
Ctrl-C is for the driver alone), and with no inherited wandb service. It
reads the connection's key from its stdin and connects back; a child that
ends or stalls before it connects is told apart from one that connected.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from multiprocessing import AuthenticationError
from multiprocessing.connection import Connection, Listener
from pathlib import Path
from typing import Any, Final

from tune_wandb._wandb._compat import without_service

#: Seconds a new writer process may take to connect.
CONNECT_TIMEOUT: Final = 120.0


class DiedEarly(Exception):
    """A new writer process ended before it connected (the message says how)."""


def spawn() -> tuple[Connection, subprocess.Popen[bytes]]:
    """A new writer process and its connection; ``DiedEarly`` or ``TimeoutError`` if not."""
    authkey = secrets.token_bytes(32)
    listener = Listener(authkey=authkey)
    here = str(Path(__file__).resolve().parents[2])
    path = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)
    # wandb puts its service's address in the environment of a process that used
    # wandb (a driver script calling wandb.init); the writer starts its own.
    env = {**without_service(dict(os.environ)), "PYTHONPATH": path}
    process = subprocess.Popen(
        [sys.executable, "-m", "tune_wandb._logger._child", str(listener.address)],
        stdin=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    assert process.stdin is not None
    try:
        process.stdin.write(authkey.hex().encode() + b"\n")
    except BrokenPipeError:  # it ended already: accept() below tells how
        pass
    finally:
        with contextlib.suppress(BrokenPipeError):
            process.stdin.close()
    # accept() has no timeout of its own, and closing the listener does not wake
    # it: if the process ends first or takes too long, a watchdog knocks once.
    accepted = threading.Event()

    def watch() -> None:
        deadline = time.monotonic() + CONNECT_TIMEOUT
        while not accepted.wait(0.1):
            if process.poll() is not None or time.monotonic() > deadline:
                _knock(listener.address)
                return

    watchdog = threading.Thread(target=watch, name="tune-wandb-connect-watch", daemon=True)
    watchdog.start()
    try:
        conn = listener.accept()
    except (OSError, EOFError, AuthenticationError):
        if process.poll() is None:
            process.kill()
            process.wait()
            raise TimeoutError(f"it did not connect within {CONNECT_TIMEOUT:.0f} s") from None
        raise DiedEarly(
            f"(pid {process.pid}) died before it connected ({exit_reason(process)})"
        ) from None
    finally:
        accepted.set()
        listener.close()
        watchdog.join()
    return conn, process


def _knock(address: Any) -> None:
    """Connect to a listener and hang up, which makes its ``accept()`` raise."""
    family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
    try:
        with socket.socket(family) as knock:
            knock.connect(address)
    except OSError:
        pass  # the listener is gone already


def exit_reason(process: subprocess.Popen[bytes]) -> str:
    """How a writer process ended, for a warning (waits a little for it to end)."""
    try:
        code = process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        return "its connection dropped"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"
