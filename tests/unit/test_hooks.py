"""Ray's W&B hooks and environment variables: called where Ray calls them, never fatal."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import KEY
from tune_wandb import WandbSettings
from tune_wandb._core._hooks import _reported
from tune_wandb._core._plan import resolve_key, resolve_project

HOOKS = f'''
import os


def key():
    return "{KEY}"


def location():
    os.environ["WANDB_PROJECT_NAME"] = "from-hook"


def broken():
    raise RuntimeError("hook failed on purpose")
'''


@pytest.fixture
def hooks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    (tmp_path / "hooks_for_test.py").write_text(HOOKS)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("WANDB_API_KEY", "WANDB_PROJECT", "WANDB_PROJECT_NAME", "WANDB_GROUP_NAME"):
        # Set, then delete: monkeypatch then restores the first state at teardown, even
        # after the location hook set the variable behind its back.
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))  # no netrc: no `wandb login` key
    monkeypatch.setenv("NETRC", str(tmp_path / "netrc"))
    _reported.clear()
    yield "hooks_for_test"
    sys.modules.pop("hooks_for_test", None)


def test_key_hook_is_asked_only_online_and_without_a_key(
    hooks: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """WANDB_SETUP_API_KEY_HOOK gives the key an online run needs; offline it is not called."""
    monkeypatch.setenv("WANDB_SETUP_API_KEY_HOOK", f"{hooks}.key")
    assert resolve_key(WandbSettings(), "online") == KEY
    assert resolve_key(WandbSettings(), "offline") is None
    assert resolve_key(WandbSettings(api_key="own" * 10), "online") == "own" * 10


def test_project_env_and_location_hook(hooks: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """WANDB_PROJECT_NAME comes after the setting; the location hook fills it when unset."""
    monkeypatch.setenv("WANDB_PROJECT", "wandbs-own")
    monkeypatch.setenv("WANDB_POPULATE_RUN_LOCATION_HOOK", f"{hooks}.location")
    assert resolve_project(WandbSettings(project="mine")) == "mine"
    assert resolve_project(WandbSettings()) == "from-hook"
    monkeypatch.setenv("WANDB_PROJECT_NAME", "rays-name")
    assert resolve_project(WandbSettings()) == "rays-name"


def test_a_failing_hook_warns_once_and_changes_nothing(
    hooks: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A hook that raises: one warning naming it, then as if it were not set."""
    monkeypatch.setenv("WANDB_POPULATE_RUN_LOCATION_HOOK", f"{hooks}.broken")
    monkeypatch.setenv("WANDB_PROJECT", "fallback")
    with caplog.at_level(logging.WARNING, logger="tune_wandb"):
        assert resolve_project(WandbSettings()) == "fallback"
        assert resolve_project(WandbSettings()) == "fallback"
    messages = [r.getMessage() for r in caplog.records if "broken" in r.getMessage()]
    assert len(messages) == 1
    assert "hook failed on purpose" in messages[0]
