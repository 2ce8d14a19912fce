"""rank_plan: a Train worker's labelled writer into its run, online only, with nothing else."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import KEY
from tune_wandb import WandbSettings
from tune_wandb._core._identity import TrialIdentity
from tune_wandb._core._plan import RunPlan
from tune_wandb._core._rank_plan import labels_ranks, rank_label, rank_plan

TRAIN = TrialIdentity(trial_id="r1", trial_name="train", experiment="train", folder="/f")
pytestmark = pytest.mark.skipif(not labels_ranks(), reason="this wandb has no shared mode")


def shared(config: dict[str, Any], rank: int = 1, **kwargs: Any) -> RunPlan | None:
    settings = WandbSettings.from_config({"project": "p", "api_key": KEY, **config})
    plan = RunPlan.resolve(settings, TRAIN, {"lr": 0.1}, quiet_stats=True)
    return rank_plan(plan, settings, rank=rank, **kwargs)


def test_online_it_joins_the_run_labelled_by_rank() -> None:
    """The same run id, project and folder; shared mode, labelled, not primary, never finishing."""
    p = shared({"mode": "online", "entity": "team", "tags": ["a"]}, rank=3)
    assert p is not None
    assert p.mode == "shared"
    assert p.online
    assert p.init_kwargs == {"id": "r1", "project": "p", "entity": "team", "dir": "/f"}
    assert {k: p.wandb_settings[k] for k in ("mode", "x_label", "x_primary")} == {
        "mode": "shared",
        "x_label": "rank_3",
        "x_primary": False,
    }
    assert p.wandb_settings["x_update_finish_state"] is False
    assert (p.summary_metric, p.offline_fallback, p.log_console) == (None, False, True)


def test_it_samples_its_own_process_and_gpus() -> None:
    """Unlike the run's own writer (quiet on the controller), it samples where it runs."""
    p = shared({"mode": "online", "settings": {"x_stats_pid": 1}}, gpus=[1])
    assert p is not None
    assert "x_disable_stats" not in p.wandb_settings
    assert "x_stats_pid" not in p.wandb_settings
    assert p.wandb_settings["x_stats_gpu_device_ids"] == [1]
    assert p.sampled_pid is not None


def test_offline_there_is_no_writer() -> None:
    """Offline, shared mode has no server to merge writers in: the rank writes nothing."""
    assert shared({"mode": "offline"}) is None


def test_nothing_to_share_means_no_writer() -> None:
    """With console output and system metrics both off, the rank writes nothing."""
    assert shared({"mode": "online", "log_console": False, "log_system_metrics": False}) is None


def test_system_metrics_off_keeps_the_console() -> None:
    """log_system_metrics=False: the rank's writer takes its output, no samples."""
    p = shared({"mode": "online", "log_system_metrics": False})
    assert p is not None
    assert p.wandb_settings["x_disable_stats"] is True
    assert (p.log_console, p.sampled_pid) == (True, None)


def test_a_users_console_setting_is_wandbs_capture() -> None:
    """A user's own console setting: wandb captures the rank's output, tune-wandb does not."""
    p = shared({"mode": "online", "settings": {"console": "wrap"}})
    assert p is not None
    assert (p.wandb_settings["console"], p.log_console) == ("wrap", False)


def test_the_label() -> None:
    """W&B shows rank i's metrics and lines as rank_i."""
    assert rank_label(0) == "rank_0"
