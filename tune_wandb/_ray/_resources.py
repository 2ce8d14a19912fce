"""What Ray gave the process a run is written in: its GPUs.

Public Ray API only (``ray.get_gpu_ids()``); outside a Ray worker, or when
Ray cannot say, nothing is assigned and W&B keeps its default.
"""

from __future__ import annotations

import logging

logger = logging.getLogger("tune_wandb")


def assigned_gpus() -> list[int | str] | None:
    """The GPUs Ray assigned to this worker (machine device ids), or ``None`` outside one."""
    import ray

    if not ray.is_initialized():
        return None
    try:
        return list(ray.get_gpu_ids())
    except Exception:
        logger.debug("tune-wandb: the assigned GPUs are unknown", exc_info=True)
        return None
