"""The GPUs a run monitors are the ones Ray assigned, given to W&B as device indices."""

from __future__ import annotations

from tune_wandb._core._gpus import stats_device_ids
from tune_wandb._core._identity import TrialIdentity
from tune_wandb._core._plan import RunPlan
from tune_wandb._core._settings import WandbSettings

IDENTITY = TrialIdentity(trial_id="t_00000", trial_name="t", experiment="exp", folder="/tmp/exp/t")


def test_assigned_indices_are_passed_as_ints_once() -> None:
    """Ray's ids (ints, or strings in CUDA_VISIBLE_DEVICES form) become sorted indices."""
    assert stats_device_ids([3, "1", " 1"]) == [1, 3]


def test_no_gpu_or_an_id_w_and_b_cannot_select_leaves_its_default() -> None:
    """No GPUs, a UUID or a MIG name: W&B keeps monitoring as it would without us."""
    assert stats_device_ids(None) is None
    assert stats_device_ids([]) is None
    assert stats_device_ids(["GPU-3b1f6c2e"]) is None
    assert stats_device_ids([0, "MIG-1/2"]) is None


def test_a_trials_run_monitors_its_own_gpus() -> None:
    """The plan of a run written in the trial's process selects the assigned GPUs."""
    plan = RunPlan.resolve(
        WandbSettings.from_config({"project": "p", "mode": "offline"}), IDENTITY, {}, gpus=["2"]
    )
    assert plan.wandb_settings["x_stats_gpu_device_ids"] == [2]


def test_a_run_away_from_the_trial_selects_none() -> None:
    """The logger's runs (on the driver, stats off) never name the driver's GPUs."""
    plan = RunPlan.resolve(
        WandbSettings.from_config({"project": "p", "mode": "offline"}),
        IDENTITY,
        {},
        quiet_stats=True,
        gpus=["2"],
    )
    assert "x_stats_gpu_device_ids" not in plan.wandb_settings


def test_the_users_own_choice_wins() -> None:
    """settings={"x_stats_gpu_device_ids": [...]} of the user's own is kept."""
    settings = WandbSettings.from_config(
        {"project": "p", "mode": "offline", "settings": {"x_stats_gpu_device_ids": [0]}}
    )
    plan = RunPlan.resolve(settings, IDENTITY, {}, gpus=["2"])
    assert plan.wandb_settings["x_stats_gpu_device_ids"] == [0]
