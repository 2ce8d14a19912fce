"""Counting a run's failed ``log`` calls, to report them once when it finishes.

A W&B problem in the middle of a trial (its wandb service died, the
connection dropped) must neither kill the trial nor print a warning per row.
The logger's writer and the mixins' guarded ``wandb.log`` both count here and
report once, with the first error, when the run finishes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from wandb.sdk.wandb_run import Run

    from tune_wandb._best import BestTracker

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


def guard_log(
    run: Run, failures: LogFailures, best: BestTracker | None = None
) -> Callable[..., None]:
    """``run.log``, made safe for the trial: W&B failures are counted, not raised.

    Mistakes in the call itself (a non-dict, a finished run) still raise, as
    they would without tune-wandb. Once the service connection is gone, later
    rows are counted without calling wandb, which would print an error each.
    The guard replaces ``run.log`` and ``wandb.log`` for this run; ``best``
    watches the rows that were logged.
    """
    import wandb

    log = run.log
    user_errors = (ValueError, TypeError, wandb.errors.UsageError)
    # The step each row lands at, counted here as W&B counts it: asking the run
    # (run.step) is a round trip to wandb's service on every call.
    try:
        next_step = [run.step]  # a resumed run goes on from its last step
    except Exception:  # noqa: BLE001 - a run whose service is gone starts at 0
        next_step = [0]

    def guarded(data: dict[str, Any], step: int | None = None, commit: bool | None = None) -> None:
        if failures.skipped():
            return
        row_step = step if step is not None else next_step[0]
        try:
            log(data, step=step, commit=commit)
        except user_errors:
            raise
        except Exception as error:  # noqa: BLE001 - W&B's problem, not the trial's
            failures.record(error)
        else:
            failures.logged += 1
            if best is not None and isinstance(data, dict):
                best.observe(data, row_step)
        next_step[0] = row_step + (0 if commit is False else 1)

    guarded.__doc__ = log.__doc__
    run.log = guarded  # type: ignore[method-assign]  # an instance attribute shadows Run.log
    if wandb.run is run:
        wandb.log = guarded
    return guarded
