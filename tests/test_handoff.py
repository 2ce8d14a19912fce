"""The hand-off: a run whose process is killed mid-upload still reaches the server, once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.wire import SERVER_KEY, Proxy, handed_off, sent_runs
from tune_wandb._core._records import RECORD_FILE
from tune_wandb._wandb._handoff import LOG_FILE, watch

#: A process that logs five rows online, hands its run off, starts the finish, and is
#: killed (SIGKILL, as Ray ends an actor) while the server answers 502.
KILLED_MID_UPLOAD = textwrap.dedent(
    """
    import os, signal, sys, threading, time, urllib.request
    import wandb
    from tune_wandb._wandb._handoff import hand_off
    from tests.wire import ask_for_fault
    proxy, key = sys.argv[1], sys.argv[2]
    # Every plan writes the log each second (FLUSH_INTERVAL): what the watcher reads.
    settings = wandb.Settings(base_url=proxy, api_key=key, mode="online",
                              x_transaction_log_flush_interval=1.0)
    run = wandb.init(project="handoff", id="handoff-1", dir=sys.argv[3], settings=settings)
    ask_for_fault(proxy, status=502)
    for i in range(5):
        run.log({"i": i})
    hand_off(run.settings.sync_dir, run=(run.entity, "handoff", run.id), exit_code=0,
             record_file="tune-wandb-run.json", timeout=60, api_key=key, base_url=proxy)
    threading.Thread(target=run.finish, daemon=True).start()
    time.sleep(2)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_a_killed_process_run_is_uploaded_by_the_watcher(wire: Proxy, tmp_path: Path) -> None:
    """Killed while the server is down: the watcher syncs its log; every row once, exit 0."""
    env = {k: v for k, v in os.environ.items() if k != "WANDB_MODE"}
    child = subprocess.run(
        [sys.executable, "-c", KILLED_MID_UPLOAD, wire.url, SERVER_KEY, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert child.returncode == -9, child.stderr
    assert (
        "handoff-1" not in sent_runs(wire.requests)
        or not sent_runs(wire.requests)["handoff-1"].complete
    )
    wire.fault = None  # the server is back
    (log,) = handed_off(tmp_path)
    assert "uploaded after the trial's process ended, and finished with exit code 0" in log
    run = wire.complete(["handoff-1"])["handoff-1"]
    assert (run.column("i"), run.exit_code, run.complete) == ([0, 1, 2, 3, 4], 0, True)


def test_a_run_that_finished_is_left_alone(tmp_path: Path) -> None:
    """The run's record says it finished: the watcher does nothing, whether or not the
    process lives."""
    (tmp_path / RECORD_FILE).write_text(json.dumps({"finished": True}))
    outcome = watch(os.getpid(), tmp_path, tmp_path / RECORD_FILE, timeout=1)
    assert outcome == "the trial's own upload finished"
    assert not (tmp_path / LOG_FILE).exists()


def test_an_unreachable_server_is_reported_with_the_command(tmp_path: Path) -> None:
    """Process gone, nothing to upload there: the outcome says so, with the command."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    outcome = watch(dead.pid, tmp_path, tmp_path / RECORD_FILE, timeout=1)
    assert outcome.startswith("not uploaded")
    assert f"wandb sync --include-online {tmp_path}" in outcome
