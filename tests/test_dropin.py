"""Scripts for Ray 1.x's page and for Ray 2's WandbLoggerCallback run after one import change."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.helpers import KEY
from tests.wandb_reader import read_experiment_runs, read_runs

ROOT = Path(__file__).parent.parent

#: The seed page's mixin example (Tune calls in Ray 2 spelling), with the page's own keys.
RAY1_SCRIPT = textwrap.dedent(
    """
    import sys

    import wandb
    from ray import tune
    from ray.tune.integration.wandb import wandb_mixin


    @wandb_mixin
    def train_fn(config):
        for i in range(10):
            loss = config["a"] + config["b"]
            wandb.log({"loss": loss})
            tune.report({"loss": loss})


    tune.run(
        train_fn,
        config={
            "a": tune.choice([1, 2, 3]),
            "b": tune.choice([4, 5, 6]),
            "wandb": {
                "project": "Optimization_Project",
                "api_key_file": sys.argv[2],
                "run_id": "seed-run",
                "run_name": "seed-name",
                "group": "seed-group",
            },
        },
        storage_path=sys.argv[1],
        verbose=0,
    )
    """
)

#: Ray 2's docstring example, every constructor argument used, the project and group
#: from Ray's location hook, each run handed to Ray's run-info hook.
RAY2_SCRIPT = textwrap.dedent(
    """
    import sys

    import numpy as np
    from ray import tune
    from ray.air.integrations.wandb import WandbLoggerCallback


    def train_func(config):
        for epoch in range(2, config["epochs"]):
            acc = 1 - (2 + config["lr"]) ** -epoch
            loss = (2 + config["lr"]) ** -epoch
            tune.report({"acc": acc, "loss": loss, "img": np.zeros((4, 4, 3), dtype=np.uint8)})


    tuner = tune.Tuner(
        train_func,
        param_space={"lr": tune.grid_search([0.001, 0.1]), "epochs": 5, "secret": 1},
        run_config=tune.RunConfig(
            storage_path=sys.argv[1],
            verbose=0,
            callbacks=[
                WandbLoggerCallback(
                    api_key_file=sys.argv[2],
                    excludes=["secret", "acc"],
                    log_config=True,
                    upload_checkpoints=False,
                    save_checkpoints=False,
                    upload_timeout=60,
                    video_kwargs={"fps": 2},
                    image_kwargs={"caption": "zeros"},
                    tags=["ray2"],
                )
            ],
        ),
    )
    tuner.fit()
    """
)

HOOKS = textwrap.dedent(
    """
    import os
    from pathlib import Path


    def location():
        os.environ["WANDB_PROJECT_NAME"] = "hooked-project"
        os.environ["WANDB_GROUP_NAME"] = "hooked-group"


    def run_info(run):
        with Path(os.environ["RUN_INFO_FILE"]).open("a") as seen:
            seen.write(run.id + "\\n")
    """
)


def _run_as_tune_wandb(script: str, import_line: str, new_line: str, tmp_path: Path) -> Path:
    assert import_line in script
    source = script.replace(import_line, new_line)
    (tmp_path / "script.py").write_text(source)
    (tmp_path / "org_hooks.py").write_text(HOOKS)
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n")
    storage = tmp_path / "results"
    env = dict(
        os.environ,
        WANDB_MODE="offline",
        PYTHONPATH=str(ROOT),
        WANDB_POPULATE_RUN_LOCATION_HOOK="org_hooks.location",
        WANDB_PROCESS_RUN_INFO_HOOK="org_hooks.run_info",
        RUN_INFO_FILE=str(tmp_path / "run_info.txt"),
    )
    for name in ("WANDB_PROJECT", "WANDB_PROJECT_NAME", "WANDB_GROUP_NAME"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "script.py", str(storage), str(key_file)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return storage


def test_ray1_page_script_with_run_id_and_run_name(tmp_path: Path) -> None:
    """The page's keys (run_id, run_name, group, api_key_file) reach the run as named."""
    storage = _run_as_tune_wandb(
        RAY1_SCRIPT,
        "from ray.tune.integration.wandb import wandb_mixin",
        "from tune_wandb import wandb_mixin",
        tmp_path,
    )
    (run,) = read_runs(storage).values()
    assert (run.run_id, run.name, run.group) == ("seed-run", "seed-name", "seed-group")
    assert run.project == "Optimization_Project"  # the config's project, not the hook's
    assert len(run.column("loss")) == 10


def test_ray2_callback_script_with_its_whole_constructor_and_hooks(tmp_path: Path) -> None:
    """Every WandbLoggerCallback argument works; the location and run-info hooks are called."""
    storage = _run_as_tune_wandb(
        RAY2_SCRIPT,
        "from ray.air.integrations.wandb import WandbLoggerCallback",
        "from tune_wandb import WandbLogger as WandbLoggerCallback",
        tmp_path,
    )
    runs = read_runs(storage)
    assert len(runs) == 2
    for run in runs.values():
        assert (run.project, run.group) == ("hooked-project", "hooked-group")
        assert "ray2" in run.tags
        assert "secret" not in run.config  # excludes names config keys, as in Ray 2
        assert run.config["epochs"] == 5
        assert run.column("config/lr")  # log_config
        assert run.column("loss")
        assert not run.column("acc")
        assert run.history[0]["img._type"] == "image-file"
    seen = (tmp_path / "run_info.txt").read_text().split()
    experiment = {run.run_id for run in read_experiment_runs(storage)}
    assert len(experiment) == 1
    assert sorted(seen) == sorted({*runs, *experiment})  # each run handed over once
