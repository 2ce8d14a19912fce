"""Shared fixtures: one real local Ray instance per session, wandb offline with no account."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Before Ray starts, so every worker inherits it: offline W&B, no key, no netrc.
_HOME = tempfile.mkdtemp(prefix="tune-wandb-tests-")
os.environ.update(
    WANDB_MODE="offline",
    WANDB_SILENT="true",
    NETRC=str(Path(_HOME, "netrc")),
    WANDB_CONFIG_DIR=str(Path(_HOME, "wandb-config")),
    WANDB_CACHE_DIR=str(Path(_HOME, "wandb-cache")),
    WANDB_DATA_DIR=str(Path(_HOME, "wandb-data")),
    RAY_AUTH_MODE="disabled",
    RAY_USAGE_STATS_ENABLED="0",
    RAY_AIR_NEW_OUTPUT="0",
)
for name in ("WANDB_API_KEY", "WANDB_PROJECT", "WANDB_BASE_URL", "WANDB_ENTITY"):
    os.environ.pop(name, None)


@pytest.fixture(scope="session")
def ray_session() -> Iterator[None]:
    """A real local Ray instance with 2 CPUs, shared by every test that needs Ray."""
    import ray

    ray.init(address="local", num_cpus=2, include_dashboard=False, configure_logging=False)
    yield
    ray.shutdown()


@pytest.fixture
def results(tmp_path: Path) -> Path:
    """A fresh Tune storage path for one test."""
    path = tmp_path / "ray_results"
    path.mkdir()
    return path


@pytest.fixture
def tune_run(ray_session: None, results: Path) -> Any:
    """``tune.run`` into this test's storage path, quietly; returns the analysis."""
    from ray import tune

    def run(trainable: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("storage_path", str(results))
        kwargs.setdefault("name", "exp")
        kwargs.setdefault("verbose", 0)
        return tune.run(trainable, **kwargs)

    return run
