"""RunPlan: one resolution from settings, trial and environment to wandb.init's arguments."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import pytest
import wandb

from tests.helpers import KEY
from tests.unit.test_secrets import two_servers_netrc
from tune_wandb import WandbSettings
from tune_wandb._core._identity import TrialIdentity
from tune_wandb._core._plan import FLUSH_INTERVAL, RunPlan, check_environment, flushes_every_second

TRIAL = TrialIdentity(trial_id="t_00000", trial_name="fn_t_00000", experiment="exp", folder="/f")


def plan(config: dict[str, Any], run_config: dict[str, Any] | None = None) -> RunPlan:
    return RunPlan.resolve(WandbSettings.from_config(config), TRIAL, run_config or {})


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("WANDB_MODE", "online")
    return monkeypatch


class TestIdentity:
    def test_the_trial_gives_id_name_group_and_folder(self) -> None:
        """Without overrides the run is the trial's: id, name, experiment as group, folder."""
        p = plan({"project": "p"}, {"lr": 0.1})
        assert (p.run_id, p.name, p.group, p.folder) == ("t_00000", "fn_t_00000", "exp", "/f")
        assert p.init_kwargs["config"] == {"lr": 0.1}
        assert p.init_kwargs["resume"] == "allow"

    def test_overrides_apply_once_here(self) -> None:
        """id, name, group and dir set by the user replace Tune's; the trial id stays."""
        p = plan({"project": "p", "id": "mine", "name": "n", "group": "g", "dir": "/d"})
        assert (p.run_id, p.trial_id, p.name, p.group, p.folder) == (
            "mine",
            "t_00000",
            "n",
            "g",
            "/d",
        )
        assert (p.init_kwargs["id"], p.init_kwargs["dir"]) == ("mine", "/d")

    def test_other_init_kwargs_pass_through_and_config_merges(self) -> None:
        """tags, notes, entity reach wandb.init; a config setting is merged under the trial's."""
        p = plan({"project": "p", "tags": ["x"], "config": {"extra": 1, "lr": 9}}, {"lr": 0.1})
        assert p.init_kwargs["tags"] == ["x"]
        assert p.init_kwargs["config"] == {"extra": 1, "lr": 0.1}
        assert "settings" not in p.init_kwargs


class TestEnvironment:
    def test_project_from_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """WANDB_PROJECT stands in for a missing project setting."""
        monkeypatch.setenv("WANDB_PROJECT", "from-env")
        assert plan({}).project == "from-env"
        assert plan({"project": "set"}).project == "set"

    def test_no_project(self) -> None:
        """A missing project is an error naming both ways to set it."""
        with pytest.raises(ValueError, match="WANDB_PROJECT"):
            check_environment(WandbSettings())

    def test_offline_needs_no_key(self) -> None:
        """Offline (the test environment) resolves to no key and no error."""
        assert plan({"project": "p"}).api_key is None

    def test_online_without_any_key_says_where_to_put_one(self, online: pytest.MonkeyPatch) -> None:
        """Online mode with no key anywhere fails and names every place a key can come from."""
        with pytest.raises(ValueError, match=r"api_key_file.*WANDB_API_KEY.*wandb login"):
            check_environment(WandbSettings(project="p"))

    def test_key_order(self, online: pytest.MonkeyPatch, key_file: Path, tmp_path: Path) -> None:
        """api_key, then api_key_file, then WANDB_API_KEY, then wandb login's netrc."""
        netrc = tmp_path / "netrc"
        netrc.write_text(f"machine api.wandb.ai\n  login user\n  password {'n' * 40}\n")
        online.setenv("NETRC", str(netrc))
        assert plan({"project": "p"}).api_key == "n" * 40
        online.setenv("WANDB_API_KEY", "e" * 40)
        assert plan({"project": "p"}).api_key == "e" * 40
        assert plan({"project": "p", "api_key_file": str(key_file)}).api_key == KEY
        assert plan({"project": "p", "api_key": "a" * 40}).api_key == "a" * 40

    def test_key_never_in_repr(self, online: pytest.MonkeyPatch) -> None:
        """The resolved key is in the plan for wandb.init, never in its repr."""
        p = plan({"project": "p", "api_key": KEY})
        assert p.api_key == KEY
        assert KEY not in repr(p)

    def test_missing_key_file_names_the_path_and_host(self, tmp_path: Path) -> None:
        """A key file that does not exist is named, with the host, in every mode."""
        missing = tmp_path / "nope.key"
        with pytest.raises(
            ValueError, match=rf"nope\.key.*does not exist on {socket.gethostname()}"
        ):
            check_environment(WandbSettings(project="p", api_key_file=str(missing)))

    def test_empty_key_file_names_the_path(self, tmp_path: Path) -> None:
        """An empty key file is named in the error."""
        empty = tmp_path / "empty.key"
        empty.write_text("\n  \n")
        with pytest.raises(ValueError, match=r"empty\.key.*is empty"):
            check_environment(WandbSettings(project="p", api_key_file=str(empty)))

    def test_unreadable_key_file_names_the_path(self, tmp_path: Path) -> None:
        """A key file that cannot be read (here: a folder) is named in the error."""
        with pytest.raises(ValueError, match=r"cannot be read"):
            check_environment(WandbSettings(project="p", api_key_file=str(tmp_path)))

    def test_base_url_from_settings_then_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The server is the user's settings' base_url, else WANDB_BASE_URL, else W&B's."""
        assert plan({"project": "p"}).base_url == "https://api.wandb.ai"
        monkeypatch.setenv("WANDB_BASE_URL", "http://env:1")
        assert plan({"project": "p"}).base_url == "http://env:1"
        assert plan({"project": "p", "settings": {"base_url": "http://dict:2"}}).base_url == (
            "http://dict:2"
        )
        given = wandb.Settings(base_url="http://obj:3")
        assert plan({"project": "p", "settings": given}).base_url == "http://obj:3"


class TestWandbSettings:
    def test_ours_then_the_users(self) -> None:
        """tune-wandb's wandb.Settings (1 s flush, quiet console) yield to the user's fields."""
        p = plan({"project": "p", "settings": wandb.Settings(console="wrap", init_timeout=7)})
        expected = FLUSH_INTERVAL if flushes_every_second() else None
        assert p.wandb_settings.get("x_transaction_log_flush_interval") == expected
        assert (p.wandb_settings["console"], p.wandb_settings["init_timeout"]) == ("wrap", 7)
        assert "x_disable_stats" not in p.wandb_settings

    def test_settings_of_another_type_are_refused(self) -> None:
        """A "settings" value that is neither a dict nor wandb.Settings names the setting."""
        with pytest.raises(ValueError, match=r"\['settings'\] must be a wandb.Settings or a dict"):
            plan({"project": "p", "settings": "console=off"})


def test_the_key_sent_is_the_one_saved_for_the_runs_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """settings={"base_url": ...} picks that server's `wandb login` key, as the run uses it."""
    two_servers_netrc(tmp_path, monkeypatch)
    server = {"base_url": "http://wandb.example:8080"}
    settings = WandbSettings(project="p", init_kwargs={"mode": "online", "settings": server})
    trial = TrialIdentity(trial_id="t_1", trial_name="t_1", experiment="e", folder=str(tmp_path))
    plan = RunPlan.resolve(settings, trial, {})
    assert (plan.api_key, plan.base_url) == ("s" * 40, "http://wandb.example:8080")


class TestSystemMetrics:
    @staticmethod
    def resolve(config: dict[str, Any], **kwargs: Any) -> RunPlan:
        return RunPlan.resolve(WandbSettings.from_config(config), TRIAL, {}, **kwargs)

    def test_a_run_in_the_trials_process_samples_it(self) -> None:
        """A run written where the trial runs keeps W&B's monitor, on its own pid."""
        p = self.resolve({"project": "p"})
        assert "x_disable_stats" not in p.wandb_settings
        assert "x_stats_pid" not in p.wandb_settings  # W&B's default: the caller
        assert p.sampled_pid == os.getpid()

    def test_a_run_away_from_the_trial_samples_the_given_pid(self) -> None:
        """The logger's run of a trial on its machine samples the trial's pid, machine info on."""
        p = self.resolve({"project": "p"}, quiet_stats=True, stats_pid=4242)
        assert p.wandb_settings["x_stats_pid"] == 4242
        assert "x_disable_stats" not in p.wandb_settings
        assert "x_disable_machine_info" not in p.wandb_settings  # it also stops the monitor
        assert p.wandb_settings["disable_git"] is True  # the driver's repository, not the trial's
        assert p.sampled_pid == 4242

    def test_without_a_pid_a_run_away_from_the_trial_samples_nothing(self) -> None:
        """A trial on another machine (no pid given): the driver's figures are not sampled."""
        p = self.resolve({"project": "p"}, quiet_stats=True)
        assert p.wandb_settings["x_disable_stats"] is True
        assert p.wandb_settings["x_disable_machine_info"] is True
        assert p.sampled_pid is None

    @pytest.mark.parametrize("quiet_stats", [False, True])
    def test_log_system_metrics_false_turns_the_monitor_off(self, quiet_stats: bool) -> None:
        """``log_system_metrics=False`` samples nothing, in the trial or away from it."""
        p = self.resolve(
            {"project": "p", "log_system_metrics": False},
            quiet_stats=quiet_stats,
            stats_pid=4242,
            gpus=[0],
        )
        assert p.wandb_settings["x_disable_stats"] is True
        assert "x_stats_pid" not in p.wandb_settings
        assert "x_stats_gpu_device_ids" not in p.wandb_settings
        assert p.sampled_pid is None

    def test_the_users_own_switch_wins(self) -> None:
        """``settings={"x_disable_stats": True}`` of the user's own also means no sampled pid."""
        p = self.resolve({"project": "p", "settings": {"x_disable_stats": True}})
        assert p.sampled_pid is None
