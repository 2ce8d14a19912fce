from typing import Any

from ray.train import Checkpoint

class _TrainingResult:
    checkpoint: Checkpoint | None
    metrics: dict[str, Any]
    def __init__(self, checkpoint: Checkpoint | None, metrics: dict[str, Any]) -> None: ...
