from typing import Any

from _typeshed import Incomplete

__version__: str

def init(
    address: str | None = None,
    *,
    num_cpus: int | None = None,
    num_gpus: int | None = None,
    resources: dict[str, float] | None = None,
    labels: dict[str, str] | None = None,
    object_store_memory: int | None = None,
    local_mode: bool = False,
    ignore_reinit_error: bool = False,
    include_dashboard: bool | None = None,
    dashboard_host: str = "127.0.0.1",
    dashboard_port: int | None = None,
    job_config: Incomplete = None,
    configure_logging: bool = True,
    logging_level: int | str = ...,
    logging_format: str | None = None,
    logging_config: Incomplete | None = None,
    log_to_driver: bool | None = None,
    namespace: str | None = None,
    runtime_env: dict[str, Any] | None = None,
    enable_resource_isolation: bool = False,
    cgroup_path: str | None = None,
    system_reserved_cpu: float | None = None,
    system_reserved_memory: int | None = None,
    proxy_server_url: str | None = None,
    **kwargs: Any,
) -> Incomplete: ...
def shutdown(*, wait_for_processes: bool = False, _exiting_interpreter: bool = False) -> None: ...
def is_initialized() -> bool: ...
def remote(*args: Any, **kwargs: Any) -> Incomplete: ...
def get_runtime_context() -> Incomplete: ...
def get_gpu_ids() -> list[int] | list[str]: ...
def nodes() -> list[dict[str, Any]]: ...
