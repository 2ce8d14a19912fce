"""Counting a run's failed ``log`` calls, to report them once when it finishes.

A W&B problem in the middle of a trial (its wandb service died, the
connection dropped) must neither kill the trial nor print a warning per row.
The logger's writer and the mixins' guarded ``wandb.log`` both count here and
report once, with the first error, when the run finishes.
"""

from __future__ import annotations

import logging

import attrs

logger = logging.getLogger("tune_wandb")


@attrs.define
class LogFailures:
    """How many of a run's rows were logged, how many failed, and the first error."""

    run_id: str
    logged: int = 0
    failed: int = 0
    first_error: str = ""
    #: The connection to wandb's service is gone: every later call would fail too.
    disconnected: bool = False

    def record(self, error: BaseException) -> None:
        """Count one failed row."""
        self.failed += 1
        if not self.first_error:
            self.first_error = f"{type(error).__name__}: {error}"
        if isinstance(error, ConnectionError):
            self.disconnected = True

    def skipped(self) -> bool:
        """Count a row as failed without trying, once the connection is gone."""
        if self.disconnected:
            self.failed += 1
        return self.disconnected

    def report(self) -> None:
        """Warn once if any row failed; say nothing otherwise."""
        if self.failed:
            logger.warning(
                "tune-wandb: %d of %d rows of run %r could not be logged (first: %s); the "
                "trial went on, and the rows before the failure are in its run folder.",
                self.failed,
                self.failed + self.logged,
                self.run_id,
                self.first_error,
            )
