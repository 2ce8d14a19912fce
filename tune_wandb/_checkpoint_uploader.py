"""A trial process's checkpoints, logged as artifact versions beside its training.

The mixins see each checkpoint their trial saves (``Trainable.save``). Tune
waits for ``save`` to return, so it only hands the checkpoint over: a thread
of this process reads or references the files and logs the version, while
the trial trains on. The run finishes only after every handed-over version is
logged (bounded by ``upload_timeout``).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from tune_wandb._best import BestTracker
from tune_wandb._checkpoint_files import CheckpointFiles, log_version
from tune_wandb._checkpoint_policy import CheckpointMode, CheckpointPicker, CheckpointVersion

if TYPE_CHECKING:
    from wandb.sdk.wandb_run import Run

    from tune_wandb._plan import RunPlan

logger = logging.getLogger("tune_wandb")


@attrs.define
class CheckpointUploader:
    """Logs one trial run's checkpoints in a thread of the trial's process.

    Example::

        uploader = CheckpointUploader.for_run(run, plan, "best")
        uploader.saved(CheckpointFiles.of(checkpoint), metrics)  # returns at once
        uploader.close(timeout=120)  # the last one for "end"; waits for the thread
    """

    run: Run
    run_id: str
    picker: CheckpointPicker
    _queue: queue.SimpleQueue[CheckpointVersion | None] = attrs.field(
        factory=queue.SimpleQueue, init=False
    )
    _thread: threading.Thread | None = attrs.field(default=None, init=False)

    @classmethod
    def for_run(cls, run: Run, plan: RunPlan, mode: CheckpointMode) -> CheckpointUploader:
        """The uploader of ``run``; ranks checkpoints by the plan's summary metric."""
        metric = plan.summary_metric
        best = BestTracker(metric, plan.summary_mode) if metric else None
        return cls(run, plan.run_id, CheckpointPicker(plan.trial_id, mode, best))

    def saved(self, files: CheckpointFiles, result: Mapping[str, Any]) -> None:
        """The trial saved a checkpoint (``files``) with ``result``: log it if the mode says so."""
        version = self.picker.saved(files, result)
        if version is not None:
            self._hand_over(version)

    def close(self, *, timeout: float) -> None:
        """Hand over the last checkpoint (``"end"``), then wait for every version to be logged."""
        last = self.picker.ended()
        if last is not None:
            self._hand_over(last)
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._queue.put(None)
        thread.join(timeout)
        if thread.is_alive():
            logger.warning(
                "tune-wandb: run %r finished while checkpoints were still being logged "
                "(upload_timeout=%s s); the versions not yet logged are missing.",
                self.run_id,
                timeout,
            )

    def _hand_over(self, version: CheckpointVersion) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._log_forever, name="tune-wandb-checkpoints", daemon=True
            )
            self._thread.start()
        self._queue.put(version)

    def _log_forever(self) -> None:
        while (version := self._queue.get()) is not None:
            log_version(self.run, self.run_id, version)
