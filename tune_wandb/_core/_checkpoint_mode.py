"""``upload_checkpoints``: which of a trial's checkpoints become W&B artifact versions.

Parsed here, below the settings that hold it, so a bad value fails with the
other settings and the checkpoint policy (:mod:`._checkpoint_policy`) only
ever sees a mode.
"""

from __future__ import annotations

from typing import Literal

CheckpointMode = Literal["all", "best", "end"]
#: What ``upload_checkpoints`` accepts (``True`` means ``"all"``).
MODES: tuple[object, ...] = (False, True, "all", "best", "end")


def checkpoint_mode(
    value: object, *, setting: str = "config['wandb']['upload_checkpoints']"
) -> CheckpointMode | None:
    """``upload_checkpoints`` as a mode, or ``None`` for off; ``ValueError`` names the choices.

    Example::

        >>> checkpoint_mode(True), checkpoint_mode("end"), checkpoint_mode(False)
        ('all', 'end', None)
    """
    if value is False or value is None:
        return None
    if value is True or value == "all":
        return "all"
    if value == "best" or value == "end":
        return value
    raise ValueError(
        f"{setting}: {value!r} is not a choice: use False, True or "
        f"'all' (every checkpoint), 'best' (those that improve the metric), or 'end' "
        f"(each trial's last)."
    )
