"""Every example runs as shipped and leaves one finished W&B run per trial."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from examples import class_mixin, decorator, demo, logger, pbt, train, tuner
from tests.wandb_reader import read_runs

EXAMPLES: dict[str, tuple[Callable[[str], Any], int]] = {
    "logger": (logger.main, 3),
    "decorator": (decorator.main, 2),
    "class_mixin": (class_mixin.main, 2),
    "pbt": (pbt.main, 4),
    "tuner": (tuner.main, 3),
    "train": (train.main, 2),
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_runs(name: str, ray_session: None, results: Path) -> None:
    """The example finishes and writes one run per trial, each with rows and exit code 0."""
    main, trials = EXAMPLES[name]
    main(str(results))
    runs = read_runs(results)
    assert len(runs) == trials
    for run in runs.values():
        assert run.history
        assert run.exit_code == 0


def test_demo_reaches_its_summary(
    ray_session: None, results: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """make demo's sweep and mixin run end with the run table and the view/upload commands."""
    demo.main(str(results), samples=3)
    out = capsys.readouterr().out
    assert "W&B runs (3):" in out
    assert "wandb leet " in out
    assert "wandb sync " in out
    runs = read_runs(results)
    assert len(runs) == 5
    assert all(run.exit_code == 0 for run in runs.values())
