"""wandb's private parts, each used through one function: checked on both ends of the range."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
import wandb

from tests.wandb_reader import read_runs
from tune_wandb._wandb import _compat


def test_an_inherited_service_is_forgotten_and_our_own_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """WANDB_SERVICE naming another process goes; one naming this process stays."""
    monkeypatch.setenv("WANDB_SERVICE", "3-1-tcp-localhost-1")
    _compat.forget_inherited_service()
    assert "WANDB_SERVICE" not in os.environ
    own = f"3-{os.getpid()}-tcp-localhost-1"
    monkeypatch.setenv("WANDB_SERVICE", own)
    _compat.forget_inherited_service()
    assert os.environ["WANDB_SERVICE"] == own
    assert _compat.without_service({"WANDB_SERVICE": own, "A": "1"}) == {"A": "1"}


def test_new_run_ids_look_like_wandbs() -> None:
    """Eight lowercase letters and digits, different each time."""
    ids = {_compat.new_run_id() for _ in range(5)}
    assert len(ids) == 5
    assert all(re.fullmatch(r"[a-z0-9]{8}", i) for i in ids)


def test_releasing_a_run_id_the_service_does_not_hold_is_harmless() -> None:
    """Asking the service to drop an id it never had raises nothing."""
    _compat.release_run_id("never-started")


def test_the_module_run_and_a_replaced_log(tmp_path: Path) -> None:
    """wandb.run and wandb.log can be put in place, and a run's log replaced for both."""
    run = wandb.init(project="compat", dir=str(tmp_path), mode="offline", reinit="finish_previous")
    seen: list[dict[str, object]] = []
    real = run.log

    def log(data: dict[str, object], step: int | None = None, commit: bool | None = None) -> None:
        seen.append(data)
        real(data, step=step, commit=commit)

    try:
        _compat.install_module_run(run, lambda name: getattr(run, name))
        assert wandb.run is run
        _compat.replace_log(run, log)
        run.log({"a": 1})
        wandb.log({"a": 2})
        assert seen == [{"a": 1}, {"a": 2}]
        assert _compat.writes_offline(run)  # an offline run
    finally:
        run.finish()
    (logged,) = read_runs(tmp_path).values()
    assert logged.column("a") == [1, 2]


def test_a_media_objects_file_can_be_moved(tmp_path: Path) -> None:
    """An image's file is found, and the image pointed at a copy."""
    image = wandb.Image(np.zeros((4, 4, 3), dtype=np.uint8))
    (found,) = _compat.media_with_files([image, 1.0, "text"])
    assert Path(_compat.media_path(found)).exists()
    copy = tmp_path / "copy.png"
    copy.write_bytes(Path(_compat.media_path(found)).read_bytes())
    _compat.set_media_path(found, str(copy))
    assert _compat.media_path(image) == str(copy)


def test_console_lines_reach_the_runs_output(tmp_path: Path) -> None:
    """A line written as stdout or stderr is in the run's console output, as W&B reads it."""
    run = wandb.init(
        project="compat",
        dir=str(tmp_path),
        mode="offline",
        reinit="finish_previous",
        settings=wandb.Settings(console="off"),
    )
    try:
        _compat.write_output(run, "stdout", "to stdout\n")
        _compat.write_output(run, "stderr", "to stderr\n")
    finally:
        run.finish()
    (logged,) = read_runs(tmp_path).values()
    assert logged.output == [("STDOUT", "to stdout\n"), ("STDERR", "to stderr\n")]


#: A trial's process starting its run with setup_wandb (outside Ray, offline), a Launch
#: job's first if asked: it stages an input as wandb's Launch docs show, before the run.
LAUNCH_SCRIPT = """
import sys
if sys.argv[1] == "launch":
    from wandb.sdk import launch
    launch.manage_wandb_config(include=["lr"])
from tune_wandb import setup_wandb
run = setup_wandb({"lr": 0.1, "wandb": {"project": "p", "mode": "offline", "dir": sys.argv[2]}})
run.log({"a": 1})
imported = "wandb.sdk.launch.inputs.internal" in sys.modules
run.finish()
print("LAUNCH IMPORTED" if imported else "LAUNCH NOT IMPORTED")
"""


def _start_a_run(kind: str, folder: Path) -> tuple[str, str]:
    """Run LAUNCH_SCRIPT in a fresh process; what it printed and wandb-core's log."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", LAUNCH_SCRIPT, kind, str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "WANDB_SILENT": "true"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (log,) = folder.rglob("offline-run-*/logs/debug-internal.log")
    return done.stdout, log.read_text()


def test_a_run_without_launch_skips_its_import(tmp_path: Path) -> None:
    """A trial that is no Launch job never imports wandb's Launch package at wandb.init."""
    printed, _ = _start_a_run("plain", tmp_path)
    assert "LAUNCH NOT IMPORTED" in printed


def test_a_launch_jobs_run_still_gets_its_inputs(tmp_path: Path) -> None:
    """Inputs a Launch job staged still reach wandb-core (which logs that it received them)."""
    printed, core_log = _start_a_run("launch", tmp_path)
    assert "LAUNCH IMPORTED" in printed
    if tuple(int(part) for part in wandb.__version__.split(".")[:2]) < (0, 31):
        pytest.skip("wandb before 0.31 does not log the job input it receives")
    assert "sendJobInput" in core_log
