"""The driver's side of the writer link: one child process writes every run of the logger.

Tune's event loop runs in the driver; ``wandb.log`` costs about a millisecond
of Python time per row, and in a thread of the driver it competes with the
event loop for the GIL. Here the driver only pickles each operation
(:mod:`._wire`) onto a queue that a sender thread sends; one child process
(:mod:`._child`, started by :mod:`._spawn`), for all trials, owns every run.

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
it kept, so no row Tune received is lost. If no writer can be had, the driver
warns once, counts what it could not log, and Tune goes on.

Every thread the link starts (the sender, a listener per writer process) is
joined by :meth:`WriterLink.close`, and the writer process is reaped there.
"""

from __future__ import annotations

import collections
import logging
import queue
import subprocess
import threading
import time
from multiprocessing.connection import Connection
from typing import Final

import attrs

from tune_wandb._core._plan import FLUSH_INTERVAL
from tune_wandb._core._records import RunRecord
from tune_wandb._logger._child import ACK_EVERY
from tune_wandb._logger._ops import Close, Finish, Log, Op, Start
from tune_wandb._logger._spawn import DiedEarly, exit_reason, spawn
from tune_wandb._logger._wire import FRAME, dumps, frame

logger = logging.getLogger("tune_wandb")

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
#: Seconds ``close`` waits for a writer that has finished every run to exit, and for
#: the sender to stop, before it ends them.
_EXIT_GRACE: Final = 10.0


@attrs.define
class _Sent:
    """An operation handed to a writer process, kept until it is safely written."""

    seq: int
    trial_id: str | None
    kind: type[Op]
    #: The operation's frame: its header, then its pickle.
    data: bytes
    confirmed_at: float | None = None


#: Put on the outbox to make the sender look at the link's state (a writer died, closing).
_WAKE: Final = _Sent(seq=0, trial_id=None, kind=Close, data=b"")


class WriterLink:
    """A driver-side handle on the writer process: ``submit`` never blocks on W&B.

    Example::

        link = WriterLink()
        link.start()  # the writer imports wandb while Ray starts trials
        link.submit(Start(plan))
        link.submit(Log(plan.trial_id, result))
        link.close(timeout=120)  # every run finished; threads joined, process reaped
        link.records[plan.trial_id].rows
    """

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
        #: Each writer process with the thread listening to it, the newest last.
        self._writers: list[tuple[subprocess.Popen[bytes], threading.Thread]] = []
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
        #: Past this, a writer that dies is not replaced and the sender stops.
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
                    target=self._send_until_closed, name="tune-wandb-writer-link", daemon=True
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
        data = dumps(op)
        with self._room:
            if not isinstance(op, Close):
                self._wait_for_room(FRAME.size + len(data))
            self._seq += 1
            framed = frame(self._seq, data)
            if isinstance(op, Start):
                self._starts[op.plan.trial_id] = frame(0, data)
            self._held += len(framed)
            self._outbox.put(_Sent(self._seq, trial_id, type(op), framed))

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
        """Finish every run and end the process; wait at most ``timeout`` seconds for the runs.

        Then the sender stops and is joined, and so is each listener once its
        writer process has exited (it exits by itself once every run is
        finished). Runs still being written after ``timeout`` are left to the
        writer, which goes on in the background; its process and listener
        are not waited for.
        """
        if self._sender is None:
            return True
        self.submit(Close())
        finished = self._done.wait(timeout)
        with self._lock:
            self._closed = True
        self._outbox.put(_WAKE)
        self._sender.join(_EXIT_GRACE)
        if not finished:
            logger.warning(
                "tune-wandb: W&B runs were still being written after %.0f s "
                "(upload_timeout). What was written is on disk; upload it with `wandb sync`.",
                timeout,
            )
            return False
        uploading = not all(record.finished for record in self.records.values())
        for process, listener in self._writers:
            listener.join()
            if uploading:
                # A run is still uploading (the summary says how to sync it): the
                # writer goes on for its upload_timeout once more, then ends itself.
                continue
            try:
                process.wait(_EXIT_GRACE)
            except subprocess.TimeoutExpired:
                process.kill()  # every run is finished: nothing is lost
                process.wait()
        return True

    # -- the sender thread: one for the link's life, across writer processes ----

    def _send_until_closed(self) -> None:
        conn = self._connect()
        while True:
            batch = self._next_batch()
            if any(sent is _WAKE for sent in batch):
                batch = [sent for sent in batch if sent is not _WAKE]
                if self._closed and not batch:
                    return
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
            if self._closed:
                return None
            if self._generation > MAX_RESTARTS:
                self._give_up(f"the last one {self._death}; it died more than {MAX_RESTARTS} times")
                return None
            self._generation += 1
            try:
                conn, process = spawn()
            except DiedEarly as died:
                self._death = str(died)
                continue
            except Exception as error:  # noqa: BLE001 - Tune goes on without W&B
                self._give_up(f"a new one could not be started ({type(error).__name__}: {error})")
                return None
            listener = threading.Thread(
                target=self._listen, args=(conn, process), name="tune-wandb-listener", daemon=True
            )
            self._writers.append((process, listener))
            listener.start()
            try:
                self._resend(conn)
            except OSError:
                continue  # it died again at once
            with self._lock:
                self._conn = conn
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
        for start in range(0, len(reopen), ACK_EVERY):
            conn.send_bytes(b"".join(reopen[start : start + ACK_EVERY]))
        for start in range(0, len(pending), ACK_EVERY):
            conn.send_bytes(b"".join(sent.data for sent in pending[start : start + ACK_EVERY]))
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

    def _listen(self, conn: Connection, process: subprocess.Popen[bytes]) -> None:
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
                conn.close()
                return
        # The process ended without being closed: it died.
        conn.close()
        with self._lock:
            if self._conn is conn:
                self._conn = None
        if self._done.is_set() or self._closed:
            return
        self._death = f"(pid {process.pid}) died ({exit_reason(process)})"
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
