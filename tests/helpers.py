"""Trainables and helpers shared by the tests (tests import this, never each other)."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import wandb
from ray import tune

from tune_wandb import WandbSettings, WandbTrainableMixin
from tune_wandb._core._identity import TrialIdentity
from tune_wandb._core._prepare import prepare
from tune_wandb._logger._ops import Start

#: A fake API key; any file or log holding it is a leak.
KEY = "q" * 40
#: A W&B server that cannot be reached, for real: nothing listens on port 9.
UNREACHABLE = "http://127.0.0.1:9"


def by_trial(analysis: Any) -> dict[str, Any]:
    """An experiment's trials by trial id."""
    return {t.trial_id: t for t in analysis.trials}


def files_containing(root: Path, text: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


def reports(config: dict[str, Any]) -> None:
    for i in range(1, 6):
        tune.report({"loss": config["a"] * i, "info": {"lr": 0.1, "skip": 1}, "noisy": i})


def reports_wandb_names(config: dict[str, Any]) -> None:
    for i in range(1, 4):
        tune.report({"_step": 100 + i, "": i, "a/b": i, "a": {"b": -i}, "v": i})


def reports_arrays(config: dict[str, Any]) -> None:
    tune.report(
        {
            "img": np.zeros((8, 8, 3), dtype=np.uint8),
            "imgs": np.zeros((2, 8, 8, 3), dtype=np.uint8),
            "videos": np.zeros((1, 4, 3, 8, 8), dtype=np.uint8),
            "hist1": np.arange(10.0),
            "hist2": np.ones((3, 4)),
            "loss": 1.0,
        }
    )


def fails_once(config: dict[str, Any]) -> None:
    marker = Path(config["marker"])
    for i in range(1, 4):
        if i == 3 and not marker.exists():
            marker.touch()
            raise RuntimeError("first attempt fails on purpose")
        tune.report({"i": i})


def fails(config: dict[str, Any]) -> None:
    tune.report({"i": 1})
    raise RuntimeError("fails on purpose")


class PBTTrainable(tune.Trainable):
    """A checkpointing trainable, so PBT can exploit and change its config."""

    def setup(self, config: dict[str, Any]) -> None:
        self.lr = config["lr"]
        self.score = 0.0

    def step(self) -> dict[str, Any]:
        self.score += self.lr
        return {"score": self.score}

    def save_checkpoint(self, checkpoint_dir: str) -> dict[str, Any]:
        return {"score": self.score}

    def load_checkpoint(self, checkpoint: dict[str, Any] | None) -> None:
        if checkpoint:
            self.score = checkpoint["score"]

    def reset_config(self, new_config: dict[str, Any]) -> bool:
        # A reused actor starts the next trial afresh; an exploit then loads its checkpoint.
        self.setup(new_config)
        return True


def run_pbt(
    tune_run: Any,
    wandb_settings: dict[str, Any] | None = None,
    *,
    reuse_actors: bool = False,
    pb2: bool = False,
) -> Any:
    """Two PBTTrainable trials under PBT (lr perturbed every 2 of 8 iterations), logged.

    Synchronous PBT: PBT ranks only trials that have reached a perturbation point
    and have not finished, and these steps take no time, so asynchronously one
    trial could run to its end before the other's first perturbation, and
    nothing would be exploited (seen once under the suite's load). In step, the
    trial behind exploits the one ahead at iterations 2, 4 and 6. ``pb2``: Tune's
    PB2 instead, which picks the new lr in [0.1, 2.0] from a model of the results.
    """
    from ray.tune.schedulers import PopulationBasedTraining
    from ray.tune.schedulers.pb2 import PB2

    from tune_wandb import WandbLogger

    common: dict[str, Any] = dict(
        time_attr="training_iteration",
        perturbation_interval=2,
        metric="score",
        mode="max",
        synch=True,
    )
    pbt = (
        PB2(hyperparam_bounds={"lr": [0.1, 2.0]}, **common)
        if pb2
        else PopulationBasedTraining(hyperparam_mutations={"lr": [0.1, 0.5, 1.0, 2.0]}, **common)
    )
    return tune_run(
        PBTTrainable,
        config={"lr": tune.grid_search([0.1, 2.0]), "wandb": wandb_settings or {}},
        scheduler=pbt,
        stop={"training_iteration": 8},
        checkpoint_config=tune.CheckpointConfig(checkpoint_frequency=2),
        callbacks=[WandbLogger(project="p", summary=False)],
        reuse_actors=reuse_actors,
    )


def checkpoints(config: dict[str, Any]) -> None:
    for i in range(1, 3):
        with tempfile.TemporaryDirectory() as folder:
            Path(folder, "model.txt").write_text(f"weights {i}")
            tune.report({"i": i}, checkpoint=tune.Checkpoint.from_directory(folder))


#: The loss checkpoints_with_loss reports at iterations 1 to 4: best at 1, 2 and 4.
LOSSES = (0.5, 0.3, 0.4, 0.2)
#: The aliases of each version when every one of those checkpoints is logged.
ALL_VERSIONS = [
    ["best", "iter-1", "latest"],
    ["best", "iter-2", "latest"],
    ["iter-3", "latest"],
    ["best", "iter-4", "latest"],
]


def checkpoints_with_loss(config: dict[str, Any]) -> None:
    for loss in LOSSES:
        with tempfile.TemporaryDirectory() as folder:
            Path(folder, "model.txt").write_text(f"weights at loss {loss}")
            tune.report({"loss": loss}, checkpoint=tune.Checkpoint.from_directory(folder))


def interrupted(config: dict[str, Any]) -> None:
    for i in range(1, 4):
        if i == 3 and not Path(config["marker"]).exists():
            raise RuntimeError("interrupted until the marker exists")
        tune.report({"i": i})


def dies(config: dict[str, Any]) -> None:
    for i in range(1, 4):
        tune.report({"i": i})
        if i == 2:
            os._exit(1)  # the worker process dies mid-trial, as on an OOM kill


class Counter(WandbTrainableMixin, tune.Trainable):
    """A class trainable that logs through self.wandb and fails when asked."""

    def setup(self, config: dict[str, Any]) -> None:
        assert "wandb" not in config
        assert "wandb" not in self.config
        assert wandb.run is not None
        assert self.wandb.id == wandb.run.id
        self.a = config["a"]
        self.fail_at = config.get("fail_at")

    def step(self) -> dict[str, Any]:
        if self.iteration + 1 == self.fail_at:
            raise ValueError("trial failed on purpose")
        self.wandb.log({"a": self.a, "it": self.iteration + 1})
        return {"a": self.a, "done": self.iteration + 1 >= 4}

    def reset_config(self, new_config: dict[str, Any]) -> bool:
        assert "wandb" not in new_config
        self.a = new_config["a"]
        self.fail_at = new_config.get("fail_at")
        return True


def reports_steadily(config: dict[str, Any]) -> None:
    """Reports i = 1..steps, sleeping ``pause`` seconds after each."""
    for i in range(1, config["steps"] + 1):
        tune.report({"i": i})
        time.sleep(config["pause"])


def newest_writer_process() -> psutil.Process | None:
    """The logger's writer process this test started last (older ones may linger)."""
    writers = []
    for proc in psutil.Process().children():
        try:
            if "tune_wandb._logger._child" in " ".join(proc.cmdline()):
                writers.append(proc)
        except psutil.Error:  # a process that just ended
            continue
    return max(writers, key=lambda proc: proc.create_time(), default=None)


def fit_then_restore(
    trainable: Any, results: Path, marker: Path, config: dict[str, Any], **run: Any
) -> tuple[Any, Any]:
    """A Tuner whose trials fail until ``marker`` exists, then its Tuner.restore; both grids."""
    run_config = tune.RunConfig(name="restore", storage_path=str(results), verbose=0, **run)
    param_space = {"marker": str(marker), **config}
    grid = tune.Tuner(trainable, param_space=param_space, run_config=run_config).fit()
    marker.touch()
    restored = tune.Tuner.restore(str(results / "restore"), trainable, resume_errored=True).fit()
    return grid, restored


def trial_ids(grid: Any) -> set[str]:
    """The trial ids of a ResultGrid."""
    return {str(result.metrics["trial_id"]) for result in grid}


def exit_codes_by_run(root: Path) -> dict[str, list[int | None]]:
    """Each run id below ``root`` with the sorted exit codes of its logs (one per attempt)."""
    from tests.wandb_reader import read_run_logs

    codes: dict[str, list[int | None]] = {}
    for log in read_run_logs(root):
        codes.setdefault(log.run_id, []).append(log.exit_code)
    return {
        run_id: sorted(c, key=lambda code: -1 if code is None else code)
        for run_id, c in codes.items()
    }


def online(key_file: Path, base_url: str, **extra: Any) -> dict[str, Any]:
    """A trial's "wandb" settings for online mode against ``base_url``."""
    return {
        "project": "outage",
        "mode": "online",
        "api_key_file": str(key_file),
        "init_timeout": 3,
        "settings": {"base_url": base_url},
        **extra,
    }


def logger_start(
    folder: Path, trial_id: str, config: dict[str, Any] | None = None, **settings: Any
) -> Start:
    """The logger's Start for a run of ``trial_id`` in ``folder`` (project ``tests``)."""
    trial = TrialIdentity(
        trial_id=trial_id, trial_name=f"fn_{trial_id}", experiment="exp", folder=str(folder)
    )
    parsed = WandbSettings.from_config({"project": "tests", **settings})
    return Start(prepare(parsed, trial, config or {}, entry="logger"))


class AtSetup(tune.Callback):
    """Calls ``look()`` where Tune sets its callbacks up (on the driver, in ``tune.run``)."""

    def __init__(self, look: Callable[[], Any]) -> None:
        self.look = look
        self.seen: Any = None

    def setup(
        self,
        stop: Any | None = None,
        num_samples: int | None = None,
        total_num_samples: int | None = None,
        **info: Any,
    ) -> None:
        self.seen = self.look()


#: The loss KeepsOne reports at iterations 1 to 6: its true best (0.1) is at iteration 3.
SIX_LOSSES = (0.5, 0.4, 0.1, 0.3, 0.2, 0.6)


class KeepsOne(tune.Trainable):
    """Six instant steps, a checkpoint after each: with num_to_keep=1 Tune deletes all but one."""

    def step(self) -> dict[str, Any]:
        loss = SIX_LOSSES[self.iteration]
        return {"loss": loss, "done": self.iteration + 1 == len(SIX_LOSSES)}

    def save_checkpoint(self, checkpoint_dir: str) -> None:
        Path(checkpoint_dir, "model.txt").write_text(f"weights at {self.iteration}")

    def load_checkpoint(self, checkpoint_dir: str) -> None:
        pass


class MixinKeepsOne(WandbTrainableMixin, KeepsOne):
    """KeepsOne, writing its own run (the class mixin)."""


def keep_one(tune_run: Any, trainable: Any, **run: Any) -> Any:
    """Two trials of ``trainable``, checkpointing every step, of which Tune keeps one."""
    return tune_run(
        trainable,
        config={"a": tune.grid_search([1, 2]), **run.pop("config", {})},
        metric="loss",
        mode="min",
        checkpoint_config=tune.CheckpointConfig(num_to_keep=1, checkpoint_frequency=1),
        **run,
    )


def rises_then_fails_once(config: dict[str, Any]) -> None:
    """loss 2.0, 2.1, ... (best at iteration 1), a checkpoint each; the first attempt dies at 4.

    Restored, the trial goes on from its checkpoint at 3, so its new attempt sees only
    worse values: what it holds as best must come from the first attempt.
    """
    checkpoint = tune.get_checkpoint()
    start = 1
    if checkpoint is not None:
        with checkpoint.as_directory() as folder:
            start = int(Path(folder, "i").read_text()) + 1
    for i in range(start, 6):
        if i == 4 and not Path(config["marker"]).exists():
            raise RuntimeError("the first attempt dies at iteration 4")
        with tempfile.TemporaryDirectory() as folder:
            Path(folder, "i").write_text(str(i))
            loss = 2.0 + (i - 1) / 10
            tune.report({"loss": loss}, checkpoint=tune.Checkpoint.from_directory(folder))


class SeesFinishedRuns(tune.Callback):
    """Reads each trial's run as Tune completes the trial: before its actor is stopped."""

    def __init__(self) -> None:
        self.seen: dict[str, tuple[list[Any], int | None]] = {}

    def on_trial_complete(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        from tests.wandb_reader import read_runs

        for run in read_runs(Path(trial.path)).values():
            self.seen[trial.trial_id] = (run.column("i"), run.exit_code)


def run_cluster_check(module: str, *args: str, **env: str) -> dict[str, Any]:
    """Run ``python -m <module> <args>`` (a multi-node Ray cluster of its own) from the
    repository root, and return the JSON facts of its last line of output.

    The cluster runs in a child process because the test session already has Ray.
    """
    import json
    import os
    import subprocess
    import sys

    root = Path(__file__).parent.parent
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root), **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    facts: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return facts
