"""LogFailures: rows logged and failed are counted, and reported once with the first error."""

from __future__ import annotations

import logging

import pytest

from tune_wandb._core._log_failures import LogFailures


def test_nothing_failed_says_nothing(caplog: pytest.LogCaptureFixture) -> None:
    """A run whose rows all went through is not reported."""
    failures = LogFailures("r", logged=5)
    with caplog.at_level(logging.WARNING, logger="tune_wandb"):
        failures.report()
    assert caplog.records == []


def test_failures_are_reported_once_with_the_first_error(caplog: pytest.LogCaptureFixture) -> None:
    """Counts and the first error, in one warning."""
    failures = LogFailures("r", logged=3)
    failures.record(RuntimeError("first"))
    failures.record(RuntimeError("second"))
    with caplog.at_level(logging.WARNING, logger="tune_wandb"):
        failures.report()
    (warning,) = [r.getMessage() for r in caplog.records]
    assert "2 of 5 rows of run 'r' could not be logged (first: RuntimeError: first)" in warning


def test_a_lost_connection_skips_every_later_row() -> None:
    """After a ConnectionError, rows are counted as failed without being tried."""
    failures = LogFailures("r")
    assert not failures.skipped()
    failures.record(ConnectionError("service gone"))
    assert failures.skipped()
    assert failures.skipped()
    assert (failures.failed, failures.disconnected) == (3, True)
