"""The logger's runs written by one child process, so W&B never competes with Tune.

Tune's event loop runs in the driver; ``wandb.log`` costs about a millisecond
of Python time per row, and in a thread of the driver it competes with the
event loop for the GIL. Here the driver only pickles each operation onto a
queue (a sender thread sends it); one child process, for all trials, owns
every run with a :class:`~tune_wandb._writer.RunWriter`. Its log records are
re-emitted in the driver, and its run records come back at close.

The child is ``python -m tune_wandb._logger._writer_process``, not a ``multiprocessing``
process: those re-import the user's script as ``__mp_main__``, and a Tune
script without an ``if __name__ == "__main__":`` guard then started a second
experiment inside the writer (seen). It connects back over a
``multiprocessing.connection`` socket authenticated by a key it reads from
its stdin, and imports neither Ray nor the user's code.
"""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
import pickle
import queue
import secrets
import subprocess
import sys
import threading
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path
from typing import Any

from tune_wandb._logger._writer import Close, Log, Op, RunRecord, RunWriter

logger = logging.getLogger("tune_wandb")


class _Unpicklable:
    """Stands in for a result value that cannot cross to the writer process."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


class _Pickler(pickle.Pickler):
    """Pickles what the writer process can load: nothing from the user's ``__main__``.

    The writer does not import the user's script, so an object of a class
    defined there could not be unpickled; it crosses as a placeholder, which
    result cleaning then drops with its one warning.
    """

    def reducer_override(self, obj: Any) -> Any:
        cls = obj if isinstance(obj, type) else type(obj)
        if getattr(cls, "__module__", None) == "__main__":
            return _Unpicklable, (f"<unpicklable {cls.__name__}>",)
        return NotImplemented


def _pickle(obj: object) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buffer.getvalue()


def _dumps(op: Op) -> bytes:
    try:
        return _pickle(op)
    except Exception:
        if not isinstance(op, Log):
            raise
    result: dict[str, Any] = {}
    for key, value in op.result.items():
        try:
            _pickle(value)
            result[key] = value
        except Exception:  # noqa: BLE001 - the child warns once and drops it
            result[key] = _Unpicklable(f"<unpicklable {type(value).__name__}>")
    return _pickle(Log(op.trial_id, result))


class _ToDriver:
    """A queue-like end of the connection for ``QueueHandler``: records go to the driver."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()

    def put_nowait(self, item: object) -> None:
        with self._lock:
            self._conn.send(item)


def _child(address: str, authkey: bytes) -> None:
    """The writer process: carry out operations until Close, then send the records."""
    conn = Client(address, authkey=authkey)
    to_driver = _ToDriver(conn)
    own = logging.getLogger("tune_wandb")
    own.handlers = [logging.handlers.QueueHandler(to_driver)]  # type: ignore[arg-type]  # put_nowait is all it uses
    own.setLevel(logging.DEBUG)
    own.propagate = False
    import wandb  # noqa: F401 - imported now, while the driver starts its trials

    writer = RunWriter()
    while True:
        try:
            data = conn.recv_bytes()
        except (EOFError, OSError):
            # The driver is gone (killed): finish what is open, warnings to stderr.
            own.handlers = [logging.StreamHandler()]
            writer.close_all()
            return
        try:
            op = pickle.loads(data)
        except Exception:  # noqa: BLE001 - one unreadable row must not end the writer
            own.exception("tune-wandb: an operation for the writer could not be read")
            continue
        if isinstance(op, Close):
            writer.close_all()
            to_driver.put_nowait(("records", writer.records))
            return
        try:
            writer.handle(op)
        except Exception:  # noqa: BLE001 - the writer must outlive any one operation
            own.exception("tune-wandb: internal error handling %s", type(op).__name__)


class WriterProcess:
    """A driver-side handle on the writer process: ``submit`` never blocks on W&B."""

    def __init__(self) -> None:
        self._outbox: queue.SimpleQueue[bytes] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._done = threading.Event()
        self._lock = threading.Lock()
        self.records: dict[str, RunRecord] = {}

    def start(self) -> None:
        """Start the writer process now (it imports wandb while Ray starts trials)."""
        with self._lock:
            if self._process is None:
                self._start()

    def submit(self, op: Op) -> None:
        """Queue ``op`` for the writer process, starting it on first use."""
        self.start()
        assert self._outbox is not None
        self._outbox.put(_dumps(op))

    def _start(self) -> None:
        authkey = secrets.token_bytes(32)
        listener = Listener(authkey=authkey)
        self._outbox = queue.SimpleQueue()
        self._done.clear()
        # The child finds this very tune_wandb, however the driver found it.
        here = str(Path(__file__).resolve().parents[2])
        path = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)
        env = {**os.environ, "PYTHONPATH": path}
        # wandb puts its service's address in the environment of a process that used
        # wandb (a driver script calling wandb.init); the writer starts its own.
        env.pop("WANDB_SERVICE", None)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tune_wandb._logger._writer_process", str(listener.address)],
            stdin=subprocess.PIPE,
            env=env,
        )
        assert self._process.stdin is not None
        self._process.stdin.write(authkey.hex().encode() + b"\n")
        self._process.stdin.close()
        threading.Thread(
            target=self._serve,
            args=(listener, self._outbox),
            name="tune-wandb-writer-link",
            daemon=True,
        ).start()

    def _serve(self, listener: Listener, outbox: queue.SimpleQueue[bytes]) -> None:
        """Accept the child's connection, then send it every queued operation."""
        try:
            conn = listener.accept()
        except (OSError, EOFError):
            logger.warning("tune-wandb: the W&B writer process never connected.")
            return
        finally:
            listener.close()
        threading.Thread(
            target=self._listen, args=(conn,), name="tune-wandb-listener", daemon=True
        ).start()
        while True:
            data = outbox.get()
            try:
                conn.send_bytes(data)
            except OSError:
                return
            if data == _CLOSE:
                return

    def _listen(self, conn: Connection) -> None:
        while True:
            try:
                item = conn.recv()
            except (EOFError, OSError):
                self._done.set()  # the child ended; close() need not wait for it
                return
            if isinstance(item, logging.LogRecord):
                logging.getLogger(item.name).handle(item)
            elif isinstance(item, tuple) and item[0] == "records":
                self.records.update(item[1])
                self._done.set()
                return

    def close(self, timeout: float) -> bool:
        """Finish every run and end the process; wait at most ``timeout`` seconds."""
        with self._lock:
            process, outbox = self._process, self._outbox
            self._process = None
        if process is None or outbox is None:
            return True
        outbox.put(_CLOSE)
        finished = self._done.wait(timeout)
        if not finished:
            logger.warning(
                "tune-wandb: W&B runs were still being written after %.0f s "
                "(upload_timeout). What was written is on disk; upload it with `wandb sync`.",
                timeout,
            )
            return False
        # Every run is finished; the process exits by itself (wandb's own exit
        # hooks can take seconds), and Tune need not wait for that.
        return True


_CLOSE = _pickle(Close())


if __name__ == "__main__":
    _child(sys.argv[1], bytes.fromhex(sys.stdin.readline().strip()))
