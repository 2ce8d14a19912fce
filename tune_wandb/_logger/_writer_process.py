"""The logger's runs written by one child process, so W&B never competes with Tune.

Tune's event loop runs in the driver; ``wandb.log`` costs about a millisecond
of Python time per row, and in a thread of the driver it competes with the
event loop for the GIL. Here the driver only pickles each operation onto a
queue (a sender thread sends it); one child process, for all trials, owns
every run with a :class:`~tune_wandb._logger._writer.RunWriter`. Its log
records are re-emitted in the driver, and its run records come back at close.

The child is ``python -m tune_wandb._logger._writer_process``, not a
``multiprocessing`` process: those re-import the user's script as
``__mp_main__``, and a Tune script without an ``if __name__ == "__main__":``
guard then started a second experiment inside the writer (seen). It connects
back over a ``multiprocessing.connection`` socket authenticated by a key it
reads from its stdin, and imports neither Ray nor the user's code. It runs in
a session of its own and ignores SIGINT and SIGTERM: a terminal's Ctrl-C
reaches the driver, which decides when the writer stops.

The driver supervises it. Each operation carries a sequence number and the
child confirms what it has carried out; the driver keeps what is unconfirmed,
and what was confirmed in the last few seconds (wandb writes a run's file
every second). What it holds is bounded (``_HELD_LIMIT`` bytes of pickled
operations): when the writer lags that far behind, ``submit`` waits for it,
which slows Tune's loop (backpressure) instead of growing the driver without
limit; a writer that makes no progress at all for ``_STALL`` seconds is not
waited for (one warning), so Tune is never held by W&B. The sender joins what
is queued into one message, and the child confirms a message at a time, so a
high report rate costs a send and a confirmation per batch, not per row.

If the child dies (``kill -9``, the OOM killer), the driver warns once,
starts a new one, reopens the open runs (the same run ids: online they resume,
offline they continue in a new folder beside the old one) and sends again what
it kept, so no row Tune received is lost. If no writer can be
had, the driver warns once, counts what it could not log, and Tune goes on.
"""

from __future__ import annotations

import collections
import contextlib
import io
import logging
import logging.handlers
import os
import pickle
import queue
import secrets
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path
from typing import Any, Final

import attrs

from tune_wandb._logger._records import RunRecord
from tune_wandb._logger._writer import Close, Finish, Log, Op, RunWriter, Start
from tune_wandb._plan import FLUSH_INTERVAL
from tune_wandb._results import Unsendable

logger = logging.getLogger("tune_wandb")

#: Each operation in a message to the child: its sequence number and its pickled size,
#: then the pickled operation. A message holds one or more operations.
_FRAME: Final = struct.Struct("!QI")
#: The sender joins queued operations into one message of about this many bytes at most;
#: woken from idle, it first gathers for ``_GATHER`` seconds: one wake-up of the sender
#: thread per interval, not per row, in the driver that runs Tune's loop.
_BATCH_BYTES: Final = 1 << 20
_GATHER: Final = 0.05
#: Bytes of pickled operations the driver holds (queued, unconfirmed, kept for a resend)
#: before ``submit`` waits for the writer: the bound on the driver's memory.
_HELD_LIMIT: Final = 64 << 20
#: Seconds ``submit`` waits for a writer that confirms nothing before it stops waiting.
_STALL: Final = 60.0
#: Seconds a confirmed operation is kept for a resend: wandb writes a run's file every
#: FLUSH_INTERVAL, so what was confirmed longer ago than this is on disk.
_RETAIN: Final = 3 * FLUSH_INTERVAL
#: Writers started after the first, at most, before the driver gives up.
MAX_RESTARTS: Final = 3
#: Seconds a new writer process may take to connect.
_CONNECT_TIMEOUT: Final = 120.0
#: The child confirms at least every this many operations, and when no more arrive
#: within ``_ACK_IDLE`` seconds.
_ACK_EVERY: Final = 256
_ACK_IDLE: Final = 0.05
#: The writer's niceness (and its wandb service's, which inherits it): that of Ray's
#: worker processes, so on a busy machine W&B takes CPU from Tune's driver loop no more
#: than a trial does, and catches up when the trials leave room.
NICENESS: Final = 15


class _Pickler(pickle.Pickler):
    """Pickles what the writer process can load: nothing from the user's ``__main__``.

    The writer does not import the user's script, so an object of a class
    defined there could not be unpickled; it crosses as a placeholder, which
    result cleaning then drops with its one warning naming the type.
    """

    def reducer_override(self, obj: Any) -> Any:
        cls = obj if isinstance(obj, type) else type(obj)
        if getattr(cls, "__module__", None) == "__main__":
            return Unsendable, (cls.__name__,)
        return NotImplemented


def _pickle(obj: object) -> bytes:
    # Pickle's C code first: a class from ``__main__`` is pickled by reference to that
    # module, by name, so a pickle without the name has none (the Python-level
    # reducer_override below costs a call per object: most of submit's time, profiled).
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    if b"__main__" not in data:
        return data
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buffer.getvalue()


def _frames(message: bytes) -> list[tuple[int, memoryview]]:
    """The operations in a message: each one's sequence number and pickled bytes."""
    view = memoryview(message)
    frames = []
    offset = 0
    while offset < len(view):
        seq, size = _FRAME.unpack_from(view, offset)
        offset += _FRAME.size
        frames.append((seq, view[offset : offset + size]))
        offset += size
    return frames


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
            result[key] = Unsendable(type(value).__name__)
    return _pickle(attrs.evolve(op, result=result))


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


def _child(address: str, authkey: bytes) -> None:
    """The writer process: carry out operations until Close, then send the records."""
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
    import wandb  # noqa: F401 - imported now, while the driver starts its trials

    writer = RunWriter()
    unconfirmed = 0
    while True:
        try:
            message = conn.recv_bytes()
        except (EOFError, OSError):
            # The driver is gone (killed): finish what is open, warnings to stderr.
            own.handlers = [logging.StreamHandler()]
            writer.close_all()
            return
        for seq, data in _frames(message):
            try:
                op = pickle.loads(data)
            except Exception:  # noqa: BLE001 - one unreadable row must not end the writer
                own.exception("tune-wandb: an operation for the writer could not be read")
                op = None
            if isinstance(op, Close):
                writer.close_all()
                to_driver.put_nowait(("records", writer.records))
                to_driver.put_nowait(("closed", seq))
                return
            if op is not None:
                try:
                    writer.handle(op)
                except Exception:  # noqa: BLE001 - the writer must outlive any one operation
                    own.exception("tune-wandb: internal error handling %s", type(op).__name__)
                record = writer.records.get(op.trial_id) if isinstance(op, Finish) else None
                if record is not None:
                    to_driver.put_nowait(("records", {op.trial_id: record}))
            unconfirmed += 1
            if unconfirmed >= _ACK_EVERY:
                to_driver.put_nowait(("done", seq))
                unconfirmed = 0
        # Confirm when the driver sends nothing more for a moment: one message back per
        # burst, not per row, while what was written is never unconfirmed for long.
        if unconfirmed and not conn.poll(_ACK_IDLE):
            to_driver.put_nowait(("done", seq))
            unconfirmed = 0


class _DiedEarly(Exception):
    """A new writer process ended before it connected."""


@attrs.define
class _Sent:
    """An operation handed to a writer process, kept until it is safely written."""

    seq: int
    trial_id: str | None
    kind: type[Op]
    #: The operation's frame: its header, then its pickle.
    data: bytes
    confirmed_at: float | None = None


#: Put on the outbox to make the sender look at the writer process's state.
_WAKE: Final = _Sent(seq=0, trial_id=None, kind=Close, data=b"")


class WriterProcess:
    """A driver-side handle on the writer process: ``submit`` never blocks on W&B."""

    def __init__(self) -> None:
        self._outbox: queue.SimpleQueue[_Sent] = queue.SimpleQueue()
        self._lock = threading.Lock()
        #: Notified when the writer confirms operations (room for ``submit``).
        self._room = threading.Condition(self._lock)
        #: Bytes of operations held: queued, unconfirmed, or kept for a resend.
        self._held = 0
        #: When the writer last confirmed operations, and whether it is not waited for.
        self._confirmed_at = 0.0
        self._stalled = False
        self._done = threading.Event()
        self._sender: threading.Thread | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._generation = 0
        self._seq = 0
        #: Each trial's Start, to reopen its run in a new writer.
        self._starts: dict[str, bytes] = {}
        #: Trials whose Finish a writer carried out: their runs are complete.
        self._finished: set[str] = set()
        #: Operations handed to the sender and not yet confirmed, in order.
        self._unconfirmed: collections.deque[_Sent] = collections.deque()
        #: Confirmed operations kept for ``_RETAIN`` seconds, for a new writer to redo.
        self._retained: collections.deque[_Sent] = collections.deque()
        self._given_up = False
        #: How the last writer process ended, for the warning.
        self._death = ""
        self._closed = False
        #: Rows that no writer could log, by trial id (after the driver gave up).
        self.lost_rows: dict[str, int] = {}
        self.records: dict[str, RunRecord] = {}

    # -- the driver's side -----------------------------------------------------

    def start(self) -> None:
        """Start the writer process now (it imports wandb while Ray starts trials)."""
        with self._lock:
            if self._sender is None:
                self._sender = threading.Thread(
                    target=self._send_forever, name="tune-wandb-writer-link", daemon=True
                )
                self._sender.start()

    def submit(self, op: Op) -> None:
        """Queue ``op`` for the writer process, starting it on first use.

        Waits while the driver holds ``_HELD_LIMIT`` bytes the writer has not
        caught up with (not for ``Close``, and not for a writer that has
        confirmed nothing for ``_STALL`` seconds).
        """
        self.start()
        trial_id = op.plan.trial_id if isinstance(op, Start) else getattr(op, "trial_id", None)
        data = _dumps(op)
        with self._room:
            if not isinstance(op, Close):
                self._wait_for_room(_FRAME.size + len(data))
            self._seq += 1
            frame = _FRAME.pack(self._seq, len(data)) + data
            if isinstance(op, Start):
                self._starts[op.plan.trial_id] = _FRAME.pack(0, len(data)) + data
            self._held += len(frame)
            self._outbox.put(_Sent(self._seq, trial_id, type(op), frame))

    def _wait_for_room(self, size: int) -> None:
        """Backpressure: wait (lock held) until ``size`` more bytes fit in ``_HELD_LIMIT``."""
        waiting_since = None
        while not self._given_up and not self._stalled:
            now = time.monotonic()
            self._drop_retained(now)
            if not self._held or self._held + size <= _HELD_LIMIT:
                return
            waiting_since = waiting_since or now
            if now - max(waiting_since, self._confirmed_at) > _STALL:
                self._stalled = True
                logger.warning(
                    "tune-wandb: the W&B writer process confirmed nothing for %.0f s while "
                    "%.0f MiB of results waited for it; Tune goes on, and results are held "
                    "in memory until it catches up.",
                    _STALL,
                    self._held / 2**20,
                )
                return
            self._room.wait(timeout=0.1)

    def close(self, timeout: float) -> bool:
        """Finish every run and end the process; wait at most ``timeout`` seconds."""
        if self._sender is None:
            return True
        self.submit(Close())
        finished = self._done.wait(timeout)
        self._closed = True  # past this, a writer that dies is not replaced
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

    # -- the sender thread: one for the handle's life, across writer processes ----

    def _send_forever(self) -> None:
        conn = self._connect()
        while True:
            batch = self._next_batch()
            if any(sent is _WAKE for sent in batch):
                batch = [sent for sent in batch if sent is not _WAKE]
                if self._conn is None and not self._given_up and not self._done.is_set():
                    conn = self._connect()
            if not batch:
                continue
            with self._lock:
                given_up = self._given_up
                if given_up:
                    self._held -= sum(len(sent.data) for sent in batch)
                else:
                    self._unconfirmed.extend(batch)
            if given_up:
                self._count_lost(batch)
                if any(sent.kind is Close for sent in batch):
                    self._done.set()
                continue
            if conn is None:
                continue  # a writer is being replaced; these are sent again to the new one
            try:
                conn.send_bytes(b"".join(sent.data for sent in batch))
            except OSError:
                conn = None  # the listener notices the process is gone and wakes us

    def _next_batch(self) -> list[_Sent]:
        """The next queued operation, and whatever else is queued, up to ``_BATCH_BYTES``."""
        batch = [self._outbox.get()]
        if batch[0].kind is not Close and self._outbox.empty():
            time.sleep(_GATHER)  # from idle: let a burst gather (with a backlog, no wait)
        size = len(batch[0].data)
        while size < _BATCH_BYTES:
            try:
                sent = self._outbox.get_nowait()
            except queue.Empty:
                break
            batch.append(sent)
            size += len(sent.data)
        return batch

    def _connect(self) -> Connection | None:
        """Start a writer process, connect it, and send it again what it must redo."""
        while True:
            if self._generation > MAX_RESTARTS:
                self._give_up(f"the last one {self._death}; it died more than {MAX_RESTARTS} times")
                return None
            self._generation += 1
            try:
                conn = self._spawn()
            except _DiedEarly:
                continue
            except Exception as error:  # noqa: BLE001 - Tune goes on without W&B
                self._give_up(f"a new one could not be started ({type(error).__name__}: {error})")
                return None
            try:
                self._resend(conn)
            except OSError:
                continue  # it died again at once
            with self._lock:
                self._conn = conn
            return conn

    def _spawn(self) -> Connection:
        authkey = secrets.token_bytes(32)
        listener = Listener(authkey=authkey)
        # The child finds this very tune_wandb, however the driver found it.
        here = str(Path(__file__).resolve().parents[2])
        path = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)
        env = {**os.environ, "PYTHONPATH": path}
        # wandb puts its service's address in the environment of a process that used
        # wandb (a driver script calling wandb.init); the writer starts its own.
        env.pop("WANDB_SERVICE", None)
        process = subprocess.Popen(
            [sys.executable, "-m", "tune_wandb._logger._writer_process", str(listener.address)],
            stdin=subprocess.PIPE,
            env=env,
            start_new_session=True,  # a terminal's Ctrl-C is for the driver alone
        )
        assert process.stdin is not None
        process.stdin.write(authkey.hex().encode() + b"\n")
        process.stdin.close()
        # accept() has no timeout of its own, and closing the listener does not wake
        # it: if the process ends first or takes too long, a watchdog knocks once.
        accepted = threading.Event()

        def watch() -> None:
            deadline = time.monotonic() + _CONNECT_TIMEOUT
            while not accepted.wait(0.1):
                if process.poll() is not None or time.monotonic() > deadline:
                    _knock(listener.address)
                    return

        threading.Thread(target=watch, name="tune-wandb-connect-watch", daemon=True).start()
        try:
            conn = listener.accept()
        except (OSError, EOFError, AuthenticationError):
            if process.poll() is None:
                process.kill()
                raise TimeoutError(f"it did not connect within {_CONNECT_TIMEOUT:.0f} s") from None
            self._death = f"(pid {process.pid}) died before it connected ({_exit_reason(process)})"
            raise _DiedEarly from None
        finally:
            accepted.set()
            listener.close()
        self._process = process
        threading.Thread(
            target=self._listen,
            args=(conn, process, self._generation),
            name="tune-wandb-listener",
            daemon=True,
        ).start()
        return conn

    def _resend(self, conn: Connection) -> None:
        """In a new writer: reopen the open runs, then send what is unconfirmed or recent."""
        with self._lock:
            pending = [
                s for s in (*self._retained, *self._unconfirmed) if s.trial_id not in self._finished
            ]
            reopen = [
                self._starts[trial]
                for trial in self._starts
                if trial not in self._finished and self._generation > 1
            ]
        for start in range(0, len(reopen), _ACK_EVERY):
            conn.send_bytes(b"".join(reopen[start : start + _ACK_EVERY]))
        for start in range(0, len(pending), _ACK_EVERY):
            conn.send_bytes(b"".join(sent.data for sent in pending[start : start + _ACK_EVERY]))
        resent = len(pending)
        if self._generation > 1:
            logger.warning(
                "tune-wandb: the W&B writer process %s; a new one took over: %d open run(s) "
                "continue under their run ids (offline: in a new folder beside the first), "
                "and %d operation(s) it may not have written were sent again.",
                self._death,
                len(reopen),
                resent,
            )

    # -- the listener thread: one per writer process -------------------------------

    def _listen(self, conn: Connection, process: subprocess.Popen[bytes], generation: int) -> None:
        while True:
            try:
                item = conn.recv()
            except (EOFError, OSError):
                break
            if isinstance(item, logging.LogRecord):
                logging.getLogger(item.name).handle(item)
            elif isinstance(item, tuple) and item[0] == "done":
                self._confirm(item[1])
            elif isinstance(item, tuple) and item[0] == "records":
                self.records.update(item[1])
            elif isinstance(item, tuple) and item[0] == "closed":
                self._done.set()
                process.wait()  # it exits by itself once wandb's exit hooks ran; reap it
                return
        # The process ended without being closed: it died.
        with self._lock:
            if self._conn is conn:
                self._conn = None
        if self._done.is_set() or self._closed:
            return
        self._death = f"(pid {process.pid}) died ({_exit_reason(process)})"
        self._outbox.put(_WAKE)

    def _confirm(self, seq: int) -> None:
        now = time.monotonic()
        with self._room:
            while self._unconfirmed and self._unconfirmed[0].seq <= seq:
                sent = self._unconfirmed.popleft()
                sent.confirmed_at = now
                self._retained.append(sent)
                if sent.kind is Finish and sent.trial_id is not None:
                    self._finished.add(sent.trial_id)
                    self._starts.pop(sent.trial_id, None)
            self._drop_retained(now)
            self._confirmed_at = now
            self._stalled = False
            self._room.notify_all()

    def _drop_retained(self, now: float) -> None:
        """Forget (lock held) confirmed operations old enough to be on disk."""
        while self._retained and now - (self._retained[0].confirmed_at or now) > _RETAIN:
            self._held -= len(self._retained.popleft().data)

    def _give_up(self, why: str) -> None:
        with self._room:
            self._given_up = True
            pending = list(self._unconfirmed)
            self._held -= sum(len(s.data) for s in (*self._unconfirmed, *self._retained))
            self._unconfirmed.clear()
            self._retained.clear()
            self._room.notify_all()
        logger.warning(
            "tune-wandb: no W&B writer process could be had (%s); Tune goes on, and rows "
            "reported from now on are not logged (counted in the summary).",
            why,
        )
        self._count_lost(pending)
        if any(s.kind is Close for s in pending):
            self._done.set()

    def _count_lost(self, sent: list[_Sent]) -> None:
        for item in sent:
            if item.kind is Log and item.trial_id is not None:
                self.lost_rows[item.trial_id] = self.lost_rows.get(item.trial_id, 0) + 1


def _knock(address: Any) -> None:
    """Connect to a listener and hang up, which makes its ``accept()`` raise."""
    family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
    try:
        with socket.socket(family) as knock:
            knock.connect(address)
    except OSError:
        pass  # the listener is gone already


def _exit_reason(process: subprocess.Popen[bytes]) -> str:
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


if __name__ == "__main__":
    _child(sys.argv[1], bytes.fromhex(sys.stdin.readline().strip()))
