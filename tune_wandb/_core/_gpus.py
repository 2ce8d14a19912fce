"""The GPUs a trial's run monitors: those Ray assigned to the trial, not the whole node's.

W&B's system metrics sample every GPU of the machine unless told which
(``x_stats_gpu_device_ids``). A trial that Ray gave one GPU of eight, or a
fraction of one, should show that GPU only. Ray names the assigned GPUs
(``ray.get_gpu_ids()``) by the machine's device index, which is what W&B's
sampler (NVML) counts by too; Ray's ``CUDA_VISIBLE_DEVICES`` renumbering
inside the process does not apply to it.
"""

from __future__ import annotations

from collections.abc import Sequence


def stats_device_ids(assigned: Sequence[int | str] | None) -> list[int] | None:
    """The device indices to give W&B for ``assigned`` GPUs; ``None`` to leave W&B's default.

    ``None`` when Ray assigned none (or we are not in a Ray worker), and when
    an id is not an index (a GPU UUID or a MIG name), which W&B cannot select by.

    Example::

        >>> stats_device_ids(["2", 5]), stats_device_ids([]), stats_device_ids(["GPU-3b1f"])
        ([2, 5], None, None)
    """
    if not assigned:
        return None
    ids: list[int] = []
    for gpu in assigned:
        if isinstance(gpu, bool):
            return None
        if isinstance(gpu, int):
            ids.append(gpu)
        elif gpu.strip().isdigit():
            ids.append(int(gpu.strip()))
        else:
            return None
    return sorted(set(ids))
