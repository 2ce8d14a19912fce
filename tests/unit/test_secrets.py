"""API key lookup: its order, one read of a key file per process, and redaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import KEY
from tune_wandb._core._secrets import netrc_api_key, read_key_file, redact, resolve_api_key


def test_order_literal_file_environment_netrc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """api_key, then api_key_file, then WANDB_API_KEY, then wandb login's netrc; else None."""
    assert resolve_api_key(None, None) is None
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine api.wandb.ai\n  login user\n  password {'n' * 40}\n")
    monkeypatch.setenv("NETRC", str(netrc))
    assert resolve_api_key(None, None) == "n" * 40
    monkeypatch.setenv("WANDB_API_KEY", "e" * 40)
    assert resolve_api_key(None, None) == "e" * 40
    key_file = tmp_path / "order.key"
    key_file.write_text("f" * 40)
    assert resolve_api_key(None, str(key_file)) == "f" * 40
    assert resolve_api_key(" " + "a" * 40 + "\n", None) == "a" * 40


def test_netrc_key_is_the_base_urls_host_and_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """wandb login on a server at host:port is found there only, as wandb writes it."""
    netrc = tmp_path / "netrc"
    netrc.write_text(
        f"machine api.wandb.ai login user password {'a' * 40}\n"
        f"machine 127.0.0.1:8080 login user password {'p' * 40}\n"
    )
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("WANDB_BASE_URL", "http://127.0.0.1:8080")
    assert netrc_api_key() == "p" * 40
    monkeypatch.setenv("WANDB_BASE_URL", "http://127.0.0.1:9")
    assert netrc_api_key() is None
    netrc.write_text("machine 127.0.0.1:9 login user\n  password")  # broken: no password value
    assert netrc_api_key() is None


def test_a_key_file_is_read_once_per_process(tmp_path: Path) -> None:
    """The first read is kept: a trial's process does not read the file again per run."""
    key_file = tmp_path / "once.key"
    key_file.write_text(f"\n  {KEY}  \nsecond line\n")
    assert read_key_file(str(key_file)) == KEY
    key_file.write_text("changed" * 6)
    assert read_key_file(str(key_file)) == KEY


def test_a_failed_read_is_not_remembered(tmp_path: Path) -> None:
    """A missing file that appears later is read then (the error was not cached)."""
    key_file = tmp_path / "later.key"
    with pytest.raises(ValueError, match="does not exist"):
        read_key_file(str(key_file))
    key_file.write_text(KEY)
    assert read_key_file(str(key_file)) == KEY


def test_redact() -> None:
    """Every occurrence of each secret is replaced; None and empty secrets are skipped."""
    assert redact(f"a {KEY} b {KEY}", KEY, None, "") == "a <redacted> b <redacted>"


def two_servers_netrc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A netrc with a key for api.wandb.ai ("c" * 40) and for wandb.example:8080 ("s" * 40)."""
    netrc_file = tmp_path / "netrc"
    netrc_file.write_text(
        f"machine api.wandb.ai\n  login user\n  password {'c' * 40}\n"
        f"machine wandb.example:8080\n  login user\n  password {'s' * 40}\n"
    )
    netrc_file.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc_file))
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("WANDB_BASE_URL", raising=False)


def test_the_key_is_the_one_saved_for_the_runs_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """settings={"base_url": ...}: the netrc entry of that server, not of WANDB_BASE_URL's."""
    two_servers_netrc(tmp_path, monkeypatch)
    assert resolve_api_key(None, None) == "c" * 40
    assert resolve_api_key(None, None, base_url="http://wandb.example:8080") == "s" * 40
