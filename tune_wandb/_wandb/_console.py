"""The trial's console output in its run: what it prints, from before ``wandb.init`` returns.

wandb's own capture (``console="wrap"``) starts inside ``wandb.init``, which
the mixins and ``setup_wandb`` run beside the trial's setup: whatever the
setup prints meanwhile would be lost, and a failed trial's traceback never
reaches the run. So tune-wandb turns wandb's off and captures the process's
``sys.stdout`` and ``sys.stderr`` itself (their ``write`` wrapped, as wandb
wraps them), from the moment the trial's run is planned:

- lines printed before the run has started wait in a bounded backlog, then
  go to the run in order;
- each line is masked for the API key before it leaves the process;
- a trial's run gets only what was printed while it was the process's trial
  (with Tune's actor reuse, the next trial's run starts afresh);
- at the trial's end, an unfinished last line and the failure's traceback
  are written, then the run is finished.

Writing to the run never raises into the user's ``print``.
"""

from __future__ import annotations

import builtins
import logging
import sys
import threading
from typing import TYPE_CHECKING, Any

from tune_wandb._core._console import Backlog, ConsoleLines
from tune_wandb._wandb import _compat

if TYPE_CHECKING:
    from wandb.sdk.wandb_run import Run

logger = logging.getLogger("tune_wandb")

_STREAMS = ("stdout", "stderr")
#: Marks tune-wandb's ``print``, so it is put in place once.
_OURS = "_tune_wandb_capture"


class ConsoleCapture:
    """The process's capture of its console output for the current trial's run.

    Example::

        CAPTURE.begin(secrets=(api_key,))  # as the run is planned
        CAPTURE.attach(run)                 # once wandb.init returned: backlog first
        CAPTURE.end(traceback_text)         # before the run finishes
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._inside = threading.local()
        self._installed: dict[str, tuple[Any, Any]] = {}
        self._lines: dict[str, ConsoleLines] = {}
        self._backlog = Backlog()
        self._run: Run | None = None
        self._active = False

    def begin(self, *, secrets: tuple[str, ...] = ()) -> None:
        """Capture from now on for a new run (anything held for an earlier one is dropped)."""
        with self._lock:
            self._install()
            self._lines = {name: ConsoleLines(secrets=secrets) for name in _STREAMS}
            self._backlog = Backlog()
            self._run = None
            self._active = True

    def attach(self, run: Run) -> None:
        """The run has started: the backlog goes to it, and every line after it."""
        with self._lock:
            if not self._active:
                return
            for stream, line in self._backlog.take():
                self._send(run, stream, line)
            if self._backlog.dropped:
                self._send(
                    run,
                    "stderr",
                    f"[tune-wandb: {self._backlog.dropped} earlier lines were printed before "
                    f"the run started and not kept]\n",
                )
            self._run = run

    def end(self, traceback: str | None = None) -> None:
        """Stop capturing for this run: its unfinished lines, then ``traceback``, go to it."""
        with self._lock:
            run, self._run = self._run, None
            self._active = False
            if run is None:
                return
            for stream, lines in self._lines.items():
                rest = lines.rest()
                if rest:
                    self._send(run, stream, rest + "\n")
            if traceback:
                masker = self._lines.get("stderr", ConsoleLines())
                for line in traceback.splitlines(keepends=True):
                    self._send(run, "stderr", masker.mask(line))

    def written(self, stream: str, text: object) -> None:
        """``text`` was written to ``stream``: capture its lines (never raises)."""
        if not self._active or getattr(self._inside, "busy", False) or not isinstance(text, str):
            return
        printing = getattr(self._inside, "printing", None)
        if printing is not None:  # inside one print(): only the stream it wrote to first
            if not printing:
                self._inside.printing = stream
            elif printing != stream:
                return
        try:
            with self._lock:
                lines = self._lines.get(stream)
                if lines is None or not self._active:
                    return
                run = self._run
                for line in lines.feed(text):
                    if run is None:
                        self._backlog.add(stream, line)
                    else:
                        self._send(run, stream, line)
        except Exception:  # noqa: BLE001 - a print never fails for W&B
            return

    def _send(self, run: Run, stream: str, line: str) -> None:
        self._inside.busy = True  # what wandb itself prints here is not captured again
        try:
            _compat.write_output(run, stream, line)
        except Exception:  # a finished or broken run takes no more lines
            logger.debug("tune-wandb: a console line was not written", exc_info=True)
        finally:
            self._inside.busy = False

    def _install_print(self) -> None:
        """Count one ``print()`` once: Ray Train's ``print`` in its workers writes the line
        to ``sys.stdout``, then again, through the root logger, to ``sys.stderr``."""
        current = builtins.print
        if getattr(current, _OURS, False):
            return

        def print_once(*args: Any, **kwargs: Any) -> None:
            if getattr(self._inside, "printing", None) is not None:
                current(*args, **kwargs)
                return
            self._inside.printing = ""
            try:
                current(*args, **kwargs)
            finally:
                self._inside.printing = None

        setattr(print_once, _OURS, True)
        builtins.print = print_once

    def _install(self) -> None:
        """Wrap ``write`` of the process's current ``sys.stdout`` and ``sys.stderr`` once."""
        self._install_print()
        for name in _STREAMS:
            stream = getattr(sys, name, None)
            held = self._installed.get(name)
            if stream is None or (held is not None and held[0] is stream):
                continue
            original = stream.write

            def write(text: Any, _original: Any = original, _name: str = name) -> Any:
                # A wrapped stream writing to another wrapped one (Tune's log_to_file
                # Tee around sys.stdout) is captured once, by the outer write.
                if getattr(self._inside, "writing", False):
                    return _original(text)
                self._inside.writing = True
                try:
                    written = _original(text)
                finally:
                    self._inside.writing = False
                self.written(_name, text)
                return written

            try:
                stream.write = write
            except (AttributeError, TypeError):  # a stream whose write cannot be replaced
                logger.debug("tune-wandb: %s is not captured", name)
                continue
            self._installed[name] = (stream, original)


#: The process's capture (one trial's run at a time lives in a trial process).
CAPTURE = ConsoleCapture()
