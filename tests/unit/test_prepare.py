"""The preparation step: one table of what each entry point supports, one error per mistake."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from tune_wandb._core._experiment import ExperimentFacts
from tune_wandb._core._identity import TrialIdentity
from tune_wandb._core._prepare import (
    SUPPORT,
    EntryPoint,
    check,
    mark_writes_own_run,
    prepare,
    writes_own_run,
)
from tune_wandb._core._settings import WandbSettings

ENTRY_POINTS: tuple[EntryPoint, ...] = get_args(EntryPoint)
TRIAL = TrialIdentity(trial_id="t_1", trial_name="fn_t_1", experiment="exp", folder="/f")


def test_the_table_has_every_entry_point() -> None:
    """Five entry points, each named as the user knows it."""
    assert set(SUPPORT) == set(ENTRY_POINTS)
    assert [SUPPORT[e].name for e in ENTRY_POINTS] == [
        "WandbLogger",
        "@wandb_mixin",
        "WandbTrainableMixin",
        "setup_wandb",
        "WandbTrainCallback",
    ]


@pytest.mark.parametrize("entry", ["decorator", "class mixin", "setup_wandb", "train callback"])
def test_a_logger_setting_elsewhere_fails_the_same_way(entry: EntryPoint) -> None:
    """log_config outside the logger names the setting, where it works, and the fix."""
    settings = WandbSettings(project="p", log_config=True)
    with pytest.raises(ValueError, match="works with WandbLogger only") as info:
        check(settings, entry)
    assert str(info.value) == (
        "The W&B setting 'log_config' works with WandbLogger only (it is about the Tune "
        f"results the logger turns into rows); {SUPPORT[entry].name} logs "
        f"{SUPPORT[entry].logs}. Remove it, or log with WandbLogger."
    )


def test_the_logger_takes_every_setting() -> None:
    """The logger honours every result setting; the Train callback the media ones too."""
    check(WandbSettings(project="p", log_config=True, tune_prefix=False), "logger")
    check(WandbSettings(project="p", image_kwargs={"caption": "c"}), "train callback")


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_best_checkpoints_need_a_metric_in_every_entry_point(entry: EntryPoint) -> None:
    """upload_checkpoints='best' without a metric: one message, prefixed by the entry point."""
    settings = WandbSettings(project="p", upload_checkpoints="best")
    with pytest.raises(ValueError, match=r"upload_checkpoints='best' needs a metric") as info:
        check(settings, entry)
    assert str(info.value).startswith(f"{SUPPORT[entry].name}: ")
    check(settings, entry, ExperimentFacts(metric="loss", mode="min"))  # the experiment's will do


def test_the_environment_is_checked_last_and_can_be_left_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No project fails the check; without the environment check neither it nor a key is asked."""
    monkeypatch.delenv("WANDB_PROJECT", raising=False)
    with pytest.raises(ValueError, match="No W&B project"):
        check(WandbSettings(), "logger")
    monkeypatch.setenv("WANDB_MODE", "online")
    check(WandbSettings(), "setup_wandb", environment=False)  # no project, no key needed
    with pytest.raises(ValueError, match="No W&B API key"):
        check(WandbSettings(project="p"), "setup_wandb")


def test_a_shared_key_stands_in_for_a_missing_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Online, a node without a key uses the one the driver shared (by its source)."""
    monkeypatch.setenv("WANDB_MODE", "online")
    shared = {"ambient": "s" * 40}
    plan = prepare(
        WandbSettings(project="p"), TRIAL, {}, entry="class mixin", shared_keys=shared.get
    )
    assert plan.api_key == "s" * 40


def test_the_plan_follows_the_entry_point(tmp_path: Path) -> None:
    """Runs away from the trial get no system metrics; only the logger renames Tune's metrics."""
    settings = WandbSettings(project="p", summary_metric="training_iteration")
    logger = prepare(settings, TRIAL, {"lr": 1, "wandb": {}}, entry="logger")
    mixin = prepare(settings, TRIAL, {"lr": 1}, entry="class mixin")
    assert logger.wandb_settings["x_disable_stats"] is True
    assert "x_disable_stats" not in mixin.wandb_settings
    assert (logger.summary_metric, mixin.summary_metric) == (
        "tune/training_iteration",
        "training_iteration",
    )
    assert logger.init_kwargs["config"] == mixin.init_kwargs["config"] == {"lr": 1}


def test_mixins_mark_their_trainables() -> None:
    """A marked trainable writes its own runs; the logger leaves it alone."""

    class Plain:
        pass

    @mark_writes_own_run
    class Marked:
        pass

    assert (writes_own_run(Plain), writes_own_run(Marked)) == (False, True)
