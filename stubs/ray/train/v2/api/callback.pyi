from typing import Any

from _typeshed import Incomplete

class RayTrainCallback: ...

class UserCallback(RayTrainCallback):
    def after_report(
        self,
        run_context: Incomplete,
        metrics: list[dict[str, Any]],
        checkpoint: Incomplete | None,
    ) -> None: ...
    def after_exception(
        self, run_context: Incomplete, worker_exceptions: dict[int, Exception]
    ) -> None: ...
