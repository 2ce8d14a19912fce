from typing import Any

from _typeshed import Incomplete

class Cluster:
    def __init__(
        self,
        initialize_head: bool = False,
        connect: bool = False,
        head_node_args: dict[str, Any] | None = None,
        shutdown_at_exit: bool = True,
    ) -> None: ...
    def add_node(self, wait: bool = True, **node_args: Any) -> Incomplete: ...
    def shutdown(self) -> None: ...
    def wait_for_nodes(self, timeout: float = 30) -> None: ...
    @property
    def address(self) -> str: ...
    head_node: Incomplete

def __getattr__(name: str) -> Incomplete: ...
