from typing import Any

from ray._raylet import JobID

# One actor's entry (keys "Pid", "Address", "State", ...) when actor_id is given.
def actors(
    actor_id: str | None = None,
    job_id: JobID | None = None,
    actor_state_name: str | None = None,
) -> dict[str, Any]: ...
