"""The logger's runs written by one child process, so W&B never competes with Tune.

Tune's event loop runs in the driver; ``wandb.log`` costs about a millisecond
of Python time per row, and in a thread of the driver it competes with the
event loop for the GIL. Here the driver only pickles each operation onto a
queue (a feeder thread sends it); one child process, for all trials, owns
every run with a :class:`~tune_wandb._writer.RunWriter`. Its log records are
re-emitted in the driver, and its run records come back at close.
"""

from __future__ import annotations

import logging
import logging.handlers
import multiprocessing
import pickle
import threading
from typing import TYPE_CHECKING, Any

from tune_wandb._writer import Close, Log, Op, RunRecord, RunWriter

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess
    from multiprocessing.queues import Queue

logger = logging.getLogger("tune_wandb")


class _Unpicklable:
    """Stands in for a result value that cannot cross to the writer process."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _dumps(op: Op) -> bytes:
    try:
        return pickle.dumps(op, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        if not isinstance(op, Log):
            raise
    result: dict[str, Any] = {}
    for key, value in op.result.items():
        try:
            pickle.dumps(value)
            result[key] = value
        except Exception:  # noqa: BLE001 - the child warns once and drops it
            result[key] = _Unpicklable(f"<unpicklable {type(value).__name__}>")
    return pickle.dumps(Log(op.run_id, result), protocol=pickle.HIGHEST_PROTOCOL)


def _child(ops: Queue[bytes], out: Queue[Any]) -> None:
    """The writer process: carry out operations until Close, then send the records."""
    own = logging.getLogger("tune_wandb")
    own.handlers = [logging.handlers.QueueHandler(out)]
    own.setLevel(logging.DEBUG)
    own.propagate = False
    import wandb  # noqa: F401 - imported now, while the driver starts its trials

    writer = RunWriter()
    while True:
        op = pickle.loads(ops.get())
        if isinstance(op, Close):
            writer.close_all()
            out.put(("records", writer.records))
            return
        try:
            writer.handle(op)
        except Exception:  # noqa: BLE001 - the writer must outlive any one operation
            own.exception("tune-wandb: internal error handling %s", type(op).__name__)


class WriterProcess:
    """A driver-side handle on the writer process: ``submit`` never blocks on W&B."""

    def __init__(self) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._ops: Queue[bytes] | None = None
        self._out: Queue[Any] | None = None
        self._process: BaseProcess | None = None
        self._listener: threading.Thread | None = None
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
        assert self._ops is not None
        self._ops.put(_dumps(op))

    def _start(self) -> None:
        self._ops = self._context.Queue()
        self._out = self._context.Queue()
        self._done.clear()
        self._process = self._context.Process(
            target=_child, args=(self._ops, self._out), name="tune-wandb-writer", daemon=True
        )
        self._process.start()
        self._listener = threading.Thread(
            target=self._listen, args=(self._out,), name="tune-wandb-listener", daemon=True
        )
        self._listener.start()

    def _listen(self, out: Queue[Any]) -> None:
        while True:
            try:
                item = out.get()
            except (EOFError, OSError):
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
            process, ops = self._process, self._ops
            self._process = None
        if process is None or ops is None:
            return True
        ops.put(_dumps(Close()))
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
