"""The writer process: carries out the logger's operations until told to close.

Started as ``python -m tune_wandb._logger._child`` (:mod:`._spawn`), not as a
``multiprocessing`` process: those re-import the user's script as
``__mp_main__``, and a Tune script without an ``if __name__ == "__main__":``
guard then started a second experiment inside the writer (seen). It connects
back over a ``multiprocessing.connection`` socket authenticated by a key it
reads from its stdin, and imports neither Ray nor the user's code. It runs in
a session of its own and ignores SIGINT and SIGTERM: a terminal's Ctrl-C
reaches the driver, which decides when the writer stops.

It confirms what it has carried out (every :data:`ACK_EVERY` operations, and
when the driver sends nothing more for :data:`ACK_IDLE` seconds), sends each
finished run's record, and its log records are re-emitted in the driver.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import pickle
import signal
import sys
import threading
from multiprocessing.connection import Client, Connection
from typing import Final

from tune_wandb._logger._ops import Close
from tune_wandb._logger._wire import frames
from tune_wandb._logger._writer import RunWriter

#: The child confirms at least every this many operations, and when no more arrive
#: within ``ACK_IDLE`` seconds.
ACK_EVERY: Final = 256
ACK_IDLE: Final = 0.05
#: The writer's niceness (and its wandb service's, which inherits it): that of Ray's
#: worker processes, so on a busy machine W&B takes CPU from Tune's driver loop no more
#: than a trial does, and catches up when the trials leave room.
NICENESS: Final = 15


class _ToDriver:
    """A queue-like end of the connection for ``QueueHandler``: records go to the driver."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()

    def put_nowait(self, item: object) -> None:
        with self._lock:
            self._conn.send(item)


def _lower_priority() -> None:
    """Run at ``NICENESS``: this process, and (Linux) its session's scheduling group.

    The writer has a session of its own, and where the kernel groups processes by
    session (``sched_autogroup``) a niceness counts only inside the group: the
    group's own niceness is what weighs against the driver (measured: with the
    process's niceness alone, the driver lost as much CPU as before).
    """
    with contextlib.suppress(OSError):
        os.nice(max(0, NICENESS - os.nice(0)))
    with contextlib.suppress(OSError), open("/proc/self/autogroup", "w") as group:
        group.write(str(NICENESS))


def _end_service(writer: RunWriter) -> None:
    """End wandb's service, so the process exits now rather than after wandb's exit hooks.

    A run that did not finish uploading within its ``upload_timeout`` (the server
    is down) keeps the service busy: it goes on trying for as long again, while
    the driver, which has every record already, is free to go; then the process
    ends, and the summary's ``wandb sync`` uploads the rest from disk.
    """
    import wandb

    def teardown() -> None:
        with contextlib.suppress(Exception):
            wandb.teardown()

    ending = threading.Thread(target=teardown, name="tune-wandb-teardown", daemon=True)
    ending.start()
    ending.join(None if writer.all_finished() else writer.longest_upload_timeout())


def serve(address: str, authkey: bytes) -> None:
    """Carry out operations until ``Close``, then send the records and end wandb's service."""
    # The driver decides when the writer stops (a terminal's Ctrl-C reaches it too).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _lower_priority()
    conn = Client(address, authkey=authkey)
    to_driver = _ToDriver(conn)
    own = logging.getLogger("tune_wandb")
    own.handlers = [logging.handlers.QueueHandler(to_driver)]  # type: ignore[arg-type]  # put_nowait is all it uses
    own.setLevel(logging.DEBUG)
    own.propagate = False

    writer = RunWriter(
        on_record=lambda trial_id, record: to_driver.put_nowait(("records", {trial_id: record}))
    )
    unconfirmed = 0
    seq = 0
    while True:
        try:
            message = conn.recv_bytes()
        except (EOFError, OSError):
            # The driver is gone (killed): finish what is open, warnings to stderr.
            own.handlers = [logging.StreamHandler()]
            writer.close_all()
            return
        for seq, data in frames(message):
            try:
                op = pickle.loads(data)
            except Exception:  # noqa: BLE001 - one unreadable row must not end the writer
                own.exception("tune-wandb: an operation for the writer could not be read")
                op = None
            if isinstance(op, Close):
                writer.close_all()
                to_driver.put_nowait(("records", writer.records))  # again, all at once
                to_driver.put_nowait(("closed", seq))
                _end_service(writer)
                return
            if op is not None:
                try:
                    writer.handle(op)
                except Exception:  # noqa: BLE001 - the writer must outlive any one operation
                    own.exception("tune-wandb: internal error handling %s", type(op).__name__)
            unconfirmed += 1
            if unconfirmed >= ACK_EVERY:
                to_driver.put_nowait(("done", seq))
                unconfirmed = 0
        # Confirm when the driver sends nothing more for a moment: one message back per
        # burst, not per row, while what was written is never unconfirmed for long.
        if unconfirmed and not conn.poll(ACK_IDLE):
            to_driver.put_nowait(("done", seq))
            unconfirmed = 0


if __name__ == "__main__":
    serve(sys.argv[1], bytes.fromhex(sys.stdin.readline().strip()))
