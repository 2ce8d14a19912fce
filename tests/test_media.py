"""W&B media objects reported through Tune reach the run, though their trial's files are gone."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import wandb
from ray import tune

from tests.wandb_reader import read_runs
from tune_wandb import WandbLogger
from tune_wandb._wandb._media import MediaStore, read_media


def path_of(media: Any) -> str:
    """The temporary file a wandb media object points to."""
    path = media._path
    assert isinstance(path, str)
    return path


def reports_media(config: dict[str, Any]) -> None:
    for i in range(2):
        image = wandb.Image(np.full((4, 4, 3), 50 * i, dtype=np.uint8), caption=f"c{i}")
        table = wandb.Table(columns=["img"], data=[[wandb.Image(np.zeros((2, 2, 3)))]])
        tune.report({"img": image, "hist": wandb.Histogram([1, 2, 3]), "table": table, "v": i})


def reports_a_broken_image(config: dict[str, Any]) -> None:
    for i in range(2):
        image = wandb.Image(np.zeros((4, 4, 3), dtype=np.uint8))
        Path(path_of(image)).unlink()  # its file is gone before Tune hands the result over
        tune.report({"img": image, "v": i})


def test_media_reach_the_run_with_every_other_value(
    tune_run: Any, results: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """wandb.Image, Histogram and Table made in the trial are in the run, rows whole."""
    monkeypatch.setenv("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")
    tune_run(reports_media, callbacks=[WandbLogger(project="media", summary=False)])
    (run,) = read_runs(results).values()
    assert run.column("v") == [0, 1]
    assert run.column("img._type") == ["image-file", "image-file"]
    assert run.column("img.caption") == ["c0", "c1"]
    assert run.column("hist._type") == ["histogram", "histogram"]
    assert run.column("table._type") == ["table-file", "table-file"]
    media = list(run.path.parent.rglob("media/images/*.png"))
    assert len(media) == 2  # one image per row


def test_a_value_that_fails_costs_only_itself(
    tune_run: Any, results: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An image whose file is gone is dropped with one warning naming key and trial; v is kept."""
    monkeypatch.setenv("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")
    with caplog.at_level(logging.WARNING, logger="tune_wandb"):
        analysis = tune_run(
            reports_a_broken_image, callbacks=[WandbLogger(project="media", summary=False)]
        )
    (run,) = read_runs(results).values()
    assert run.column("v") == [0, 1]
    assert run.column("img._type") == []
    (trial,) = analysis.trials
    warnings = [r.getMessage() for r in caplog.records if "'img'" in r.getMessage()]
    assert len(warnings) == 1
    assert trial.trial_id in warnings[0]
    assert "Image" in warnings[0]


def test_read_and_restore(tmp_path: Path) -> None:
    """Files are read by path once; the writer's copies stand in for paths that are gone."""
    image = wandb.Image(np.zeros((3, 3, 3), dtype=np.uint8))
    result = {"a": image, "nested": {"b": [image]}, "n": 1}
    files = read_media(result)
    original = path_of(image)
    assert list(files) == [original]
    Path(original).unlink()
    store = MediaStore()
    assert store.restore(result, files) == []
    assert image._path != original
    assert Path(path_of(image)).read_bytes() == files[original]
    lost = wandb.Image(np.zeros((3, 3, 3), dtype=np.uint8))
    Path(path_of(lost)).unlink()
    assert MediaStore().restore({"x": lost}, {}) == [path_of(lost)]
