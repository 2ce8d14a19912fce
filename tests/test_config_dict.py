"""WandbConfig and WandbSettings as config["wandb"]: typed for mypy, accepted everywhere."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.helpers import Counter, reports
from tests.wandb_reader import read_runs
from tune_wandb import WandbLogger, WandbSettings

FORMS = Path(__file__).parent / "typing_checks" / "config_forms.py"


def test_mypy_checks_both_forms() -> None:
    """mypy reports exactly the errors the typing example marks, and no others."""
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", str(FORMS)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent.parent,
        timeout=600,
    )
    found = {
        (int(m[1]), m[2])
        for m in re.finditer(r"config_forms\.py:(\d+): error: .*\[([\w-]+)\]", done.stdout)
    }
    lines = FORMS.read_text().splitlines()
    expected = {
        (number, m[1])
        for number, line in enumerate(lines, start=1)
        if (m := re.search(r"# E: ([\w-]+)", line))
    }
    assert expected, "the example marks no errors"
    assert found == expected, done.stdout


def test_settings_instance_in_trial_config_reaches_the_runs(tune_run: Any, results: Path) -> None:
    """config["wandb"] as a WandbSettings works for the logger and the mixin alike."""
    typed = WandbSettings(project="typed", excludes=("b",), init_kwargs={"tags": ["typed"]})
    tune_run(reports, config={"a": 1, "b": 2, "wandb": typed}, callbacks=[WandbLogger()])
    tune_run(Counter, config={"a": 1, "b": 2, "wandb": typed}, name="mixin")
    for folder in ("exp", "mixin"):
        (run,) = read_runs(results / folder).values()
        assert (run.project, run.tags[0]) == ("typed", "typed")
        assert run.config["a"] == 1
        assert "b" not in run.config  # excludes names config keys too
