"""What every example shares: offline W&B unless the user asks for online, and a results folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import ray


def setup(storage_path: str | None, default: str) -> str:
    """Log offline unless WANDB_MODE says otherwise; start Ray if needed; the storage path."""
    if "--online" in sys.argv:
        os.environ["WANDB_MODE"] = "online"
    if not os.environ.get("WANDB_MODE"):
        os.environ["WANDB_MODE"] = "offline"
    os.environ.setdefault("WANDB_SILENT", "true")
    if not ray.is_initialized():
        ray.init(
            address="local",
            num_cpus=os.cpu_count() or 2,
            include_dashboard=False,
            log_to_driver=False,
        )
    return str(Path(storage_path or Path.cwd() / default).resolve())
