"""What Ray gave a trial: its GPUs, and the process it runs in.

``ray.get_gpu_ids()`` is public; a trial's process comes from Ray's actor
table (:func:`tune_wandb._ray._compat.trial_process`). Outside a Ray
worker, or when Ray cannot say, nothing is known and W&B keeps its default.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from tune_wandb._ray import _compat

if TYPE_CHECKING:
    from ray.tune.experiment import Trial

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


def trial_process(trial: Trial) -> tuple[int, str | None] | None:
    """The pid of ``trial``'s process, and its node's id if that is not this one's.

    ``(pid, None)``: on this machine; ``(pid, node)``: on another node; ``None``:
    unknown. The logger's runs are written on the driver, and W&B samples a
    process by its pid on the machine it runs on.
    """
    import ray

    try:
        where = _compat.trial_process(trial)
        if where is None:
            return None
        node, pid = where
        return pid, (None if node == ray.get_runtime_context().get_node_id() else node)
    except Exception:
        logger.debug("tune-wandb: the trial's process is unknown", exc_info=True)
        return None
