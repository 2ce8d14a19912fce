from typing import Any

from ray.train.v2._internal.execution.context import TrainRunContext
from ray.train.v2.api.callback import RayTrainCallback

class ControllerCallback(RayTrainCallback):
    def after_controller_start(self, train_run_context: TrainRunContext) -> None: ...
    def after_controller_finish(self, result: Any) -> None: ...

class ReportCallback(RayTrainCallback):
    def after_report(self, training_report: Any, metrics: list[dict[str, Any]]) -> None: ...
