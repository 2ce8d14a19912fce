"""The cluster store: the driver's API key and metric, shared through Ray's internal store."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import ray
from ray.experimental import internal_kv

from tune_wandb._core._secrets import AMBIENT, key_source, read_key_file, resolve_api_key
from tune_wandb._ray import _cluster_store
from tune_wandb._ray._cluster_store import share_key, shared_key
from tune_wandb._ray._compat import STORE_NAMESPACE

ROOT = Path(__file__).parent.parent

KEY = "c" * 40


def test_nothing_shared_outside_ray_or_before_sharing(ray_session: None) -> None:
    """No entry means no key: the caller then explains where to put one."""
    assert shared_key(key_source("~/never-shared")) is None


def test_a_shared_key_is_read_back_and_forgotten_at_exit(ray_session: None) -> None:
    """share_key stores the key for this job; the exit hook deletes it."""
    share_key(key_source("~/k1"), KEY)
    assert shared_key(key_source("~/k1")) == KEY
    assert shared_key(key_source("~/k2")) is None  # named by source: other files differ
    _cluster_store._forget_all()
    assert shared_key(key_source("~/k1")) is None


def test_a_missing_key_file_falls_back_to_the_shared_key(ray_session: None) -> None:
    """On a node without the file, the key the driver read from that setting is used."""
    path = "~/tune-wandb-tests-no-such-key"
    with pytest.raises(ValueError, match=f"does not exist on {socket.gethostname()}"):
        read_key_file(path)
    share_key(key_source(path), KEY)
    try:
        assert read_key_file(path, shared_key) == KEY
    finally:
        _cluster_store._forget_all()


#: A second driver on the session's Ray: shares a key, checks it is there, exits.
_DRIVER = """
import sys, ray
from tune_wandb._core._secrets import AMBIENT
from tune_wandb._ray._cluster_store import share_key, shared_key
ray.init(address=sys.argv[1], configure_logging=False)
share_key(AMBIENT, sys.argv[2])
assert shared_key(AMBIENT) == sys.argv[2]
print(ray.get_runtime_context().get_job_id())
"""


def test_a_drivers_shared_key_is_deleted_when_it_exits(ray_session: None) -> None:
    """The entry a driver shared is gone once that driver's process has ended."""
    address = ray.get_runtime_context().gcs_address
    done = subprocess.run(
        [sys.executable, "-c", _DRIVER, address, KEY],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    job_id = done.stdout.strip().splitlines()[-1]
    entry = f"{job_id}/api_key/{AMBIENT}"
    assert internal_kv._internal_kv_get(entry, namespace=STORE_NAMESPACE) is None
    assert not any(k.decode().startswith(f"{job_id}/") for k in _keys())


def _keys() -> list[bytes]:
    return list(internal_kv._internal_kv_list("", namespace=STORE_NAMESPACE))


def test_a_key_on_the_node_comes_before_the_shared_one(
    ray_session: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The node's own key file and WANDB_API_KEY win over what the driver shared."""
    path = tmp_path / "local.key"
    path.write_text("l" * 40)
    share_key(key_source(str(path)), KEY)
    share_key(AMBIENT, KEY)
    try:
        assert read_key_file(str(path), shared_key) == "l" * 40
        assert resolve_api_key(None, None, shared_key) == KEY  # nothing on this node
        monkeypatch.setenv("WANDB_API_KEY", "e" * 40)
        assert resolve_api_key(None, None, shared_key) == "e" * 40
    finally:
        _cluster_store._forget_all()
