"""A Ray Train worker's labelled writer into its Train run's run (W&B's shared mode).

Started from a :func:`~tune_wandb._core._rank_plan.rank_plan` in the worker's
process, in a thread of its own so training never waits for it, and finished
when the worker's training function ends. It writes the worker's system
metrics and console output, labelled by rank, and nothing else: it never
fails the worker, and a W&B problem costs only its own share.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

import attrs

from tune_wandb._wandb import _compat
from tune_wandb._wandb._console import CAPTURE
from tune_wandb._wandb._run import finish_run, start_run

if TYPE_CHECKING:
    from wandb.sdk.wandb_run import Run

    from tune_wandb._core._failure import Failure
    from tune_wandb._core._plan import RunPlan

logger = logging.getLogger("tune_wandb")


@attrs.define
class RankRun:
    """One worker's writer into the run its Train run already has.

    Example::

        shared = rank_plan(plan, settings, rank=1)
        if shared is not None:
            writer = RankRun.start(shared)
            ...                     # training; prints and samples go to the run
            writer.finish(failure)  # the traceback, if it failed, goes with them
    """

    plan: RunPlan
    _run: Run | None = attrs.field(default=None, init=False)
    _starting: threading.Thread | None = attrs.field(default=None, init=False)
    _finished: bool = attrs.field(default=False, init=False)
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False)

    @classmethod
    def start(cls, plan: RunPlan) -> RankRun:
        """Start writing for this worker; what it prints from now on is its run's."""
        writer = cls(plan)
        if plan.log_console:
            CAPTURE.begin(secrets=plan.secrets)
        writer._starting = threading.Thread(
            target=writer._start, name="tune-wandb-rank-start", daemon=True
        )
        writer._starting.start()
        return writer

    def _start(self) -> None:
        try:
            _compat.forget_inherited_service()
            # create_new: the worker's wandb.run (a disabled run, or the user's) stays.
            run = start_run(self.plan, reinit="create_new")
        except Exception as error:  # noqa: BLE001 - a worker never fails for W&B
            if self.plan.log_console:
                CAPTURE.end()
            logger.warning(
                "tune-wandb: this worker's system metrics and output will not reach run %r: %s",
                self.plan.run_id,
                error,
            )
            return
        with self._lock:
            self._run = run
            if self._finished:  # the worker ended while the run was starting
                self._close(None)
            elif self.plan.log_console:
                CAPTURE.attach(run)

    def finish(self, failure: Failure | None = None) -> None:
        """The worker's training ended: its last lines (and traceback), then the run.

        Waits for a run still starting (at most ``init_timeout``), so the worker's
        last lines are not lost with its process.
        """
        starting = self._starting
        if starting is not None and starting is not threading.current_thread():
            starting.join(self.plan.init_timeout)
        with self._lock:
            if self._finished:
                return
            self._finished = True
            if self._run is not None:
                self._close(failure)

    def _close(self, failure: Failure | None) -> None:
        run = self._run
        assert run is not None
        if self.plan.log_console:
            CAPTURE.end(failure.traceback if failure is not None else None)
        finish_run(run, exit_code=0 if failure is None else 1, timeout=self.plan.upload_timeout)
