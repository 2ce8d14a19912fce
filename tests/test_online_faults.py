"""Faults on the wire: trials never fail because of W&B, and every row arrives once.

The faults are real HTTP answers from the recording proxy in front of the live server
(tests/wire.py): an outage (502), a share of 503s or 429s with Retry-After, a server
that is down from the start or never comes back. Rows are counted by their file_stream
offsets, so a line sent again on a retry counts once and a doubled row would show.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import wandb
from ray import tune

from tests.test_online import online
from tests.wandb_reader import read_runs
from tests.wire import (
    SERVER_KEY,
    Fault,
    Proxy,
    ask_for_fault,
    handed_off,
    sent_runs,
    wait_until_sent,
)
from tune_wandb import WandbLogger, wandb_mixin

ROWS = 40


def logs_rows(config: dict[str, Any]) -> None:
    """Reports ``rows`` values of i; with ``outage`` set, the backend goes down halfway.

    The trial waits until its first rows reached the server (its run is up), asks
    the proxy for the outage, and reports the rest into it.
    """
    for i in range(config["rows"]):
        if i == config["rows"] // 2 and config.get("outage"):
            wait_until_sent(config["proxy"], tune.get_context().get_trial_id())
            ask_for_fault(config["proxy"], **config["outage"])
        tune.report({"i": i})


@wandb_mixin
def decorated_rows(config: dict[str, Any]) -> None:
    """logs_rows, with wandb.log."""
    for i in range(config["rows"]):
        if i == config["rows"] // 2 and config.get("outage"):
            wait_until_sent(config["proxy"], tune.get_context().get_trial_id())
            ask_for_fault(config["proxy"], **config["outage"])
        wandb.log({"i": i})
        tune.report({"i": i})


def two_trials(
    tune_run: Any, wire: Proxy, key_file: Path, trainable: Any, rows: int = ROWS, **run: Any
) -> Any:
    """Two trials of ``rows`` rows each, online through ``wire``; returns the analysis."""
    config = {
        "a": tune.grid_search([1, 2]),
        "rows": rows,
        "proxy": wire.url,
        **run.pop("config", {}),
    }
    settings = run.pop("settings", {})
    return tune_run(
        trainable,
        config={**config, "wandb": online(wire, key_file, **settings)},
        **run,
    )


def assert_every_row_once(wire: Proxy, analysis: Any, rows: int = ROWS) -> None:
    runs = wire.complete([t.trial_id for t in analysis.trials])
    for trial in analysis.trials:
        assert trial.status == "TERMINATED"
        run = runs[trial.trial_id]
        assert run.column("i") == list(range(rows))
        assert (run.exit_code, run.complete) == (0, True)


@pytest.mark.parametrize("trainable", [decorated_rows, logs_rows], ids=["decorator", "logger"])
def test_an_outage_as_the_trials_end(
    tune_run: Any, results: Path, wire: Proxy, server_key_file: Path, trainable: Any
) -> None:
    """502 for 10 s from halfway on, as the trials end: every row arrives once."""
    callbacks = [WandbLogger()] if trainable is logs_rows else []
    analysis = two_trials(
        tune_run,
        wire,
        server_key_file,
        trainable,
        config={"outage": tune.sample_from(_outage_for_the_first)},
        callbacks=callbacks,
    )
    handed_off(results)
    assert wire.refused > 0
    assert_every_row_once(wire, analysis)


def _outage_for_the_first(config: dict[str, Any]) -> dict[str, float] | None:
    return {"status": 502, "seconds": 10} if config["a"] == 1 else None


def _for_good_for_the_first(config: dict[str, Any]) -> dict[str, float] | None:
    return {"status": 502} if config["a"] == 1 else None


@pytest.mark.parametrize(
    "fault",
    [Fault(503, every=4), Fault(429, every=3, retry_after=1)],
    ids=["one-in-four-503", "one-in-three-429-retry-after"],
)
@pytest.mark.parametrize("trainable", [decorated_rows, logs_rows], ids=["decorator", "logger"])
def test_a_share_of_refused_requests(
    tune_run: Any, results: Path, wire: Proxy, server_key_file: Path, trainable: Any, fault: Fault
) -> None:
    """A share of requests answered 503 (or 429 with Retry-After): every row arrives once."""
    callbacks = [WandbLogger()] if trainable is logs_rows else []
    with wire.faulty(fault):
        analysis = two_trials(
            tune_run, wire, server_key_file, trainable, rows=10, callbacks=callbacks
        )
        handed_off(results)
        runs = wire.complete([t.trial_id for t in analysis.trials])
    assert wire.refused > 0
    assert all(runs[t.trial_id].complete for t in analysis.trials)
    assert_every_row_once(wire, analysis, rows=10)


def test_a_slow_server(tune_run: Any, results: Path, wire: Proxy, server_key_file: Path) -> None:
    """Every request takes 2 s: the logger's trials still end well and every row arrives."""
    wire.delay = 2.0
    analysis = two_trials(
        tune_run, wire, server_key_file, logs_rows, rows=10, callbacks=[WandbLogger()]
    )
    wire.delay = 0.0
    assert_every_row_once(wire, analysis, rows=10)


def test_down_at_the_start_then_the_printed_sync_uploads_once(
    tune_run: Any,
    results: Path,
    wire: Proxy,
    server_key_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Down when the experiment starts: runs go offline; the summary's sync uploads them once."""
    with wire.faulty(Fault(502)):
        analysis = two_trials(
            tune_run,
            wire,
            server_key_file,
            logs_rows,
            rows=10,
            settings={"init_timeout": 5},
            callbacks=[WandbLogger()],
        )
    assert all(t.status == "TERMINATED" for t in analysis.trials)
    assert sent_runs(wire.requests) == {}
    (command,) = re.findall(r"Upload all:\s+(wandb sync .*)", capsys.readouterr().out)
    env = {**os.environ, "WANDB_BASE_URL": wire.url, "WANDB_API_KEY": SERVER_KEY}
    env.pop("WANDB_MODE")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    # As a user pastes it into a shell, which expands its patterns.
    # wandb sync writes its own logs under ./wandb: run it where that harms nothing.
    subprocess.run(command, env=env, check=True, capture_output=True, shell=True, cwd=results)
    sent = len(wire.requests)
    # wandb sync writes its own logs under ./wandb: run it where that harms nothing.
    subprocess.run(command, env=env, check=True, capture_output=True, shell=True, cwd=results)
    assert len(wire.requests) - sent < 5  # the second sync only looked: no run sent again
    runs = sent_runs(wire.requests)
    trial_ids = {t.trial_id for t in analysis.trials}
    assert trial_ids <= set(runs)
    for trial_id in trial_ids:
        assert runs[trial_id].column("i") == list(range(10))
        assert runs[trial_id].exit_code == 0


def test_a_server_that_never_comes_back(
    tune_run: Any,
    results: Path,
    wire: Proxy,
    server_key_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Down from halfway on, for good: fit() returns, the runs are whole on disk, and the
    summary says how to upload them."""
    analysis = two_trials(
        tune_run,
        wire,
        server_key_file,
        logs_rows,
        rows=10,
        settings={"upload_timeout": 5, "init_timeout": 5},
        config={"outage": tune.sample_from(_for_good_for_the_first)},
        callbacks=[WandbLogger(init_timeout=5, upload_timeout=5)],
    )
    assert all(t.status == "TERMINATED" for t in analysis.trials)
    runs = read_runs(results)
    assert {t.trial_id for t in analysis.trials} <= set(runs)
    for trial in analysis.trials:
        assert runs[trial.trial_id].column("i") == list(range(10))
    out = capsys.readouterr().out
    assert "Not uploaded in time" in out
    assert "wandb sync --include-online" in out
