"""The API key, handed from the driver to trial processes on other nodes.

A worker node may have no key file, no ``WANDB_API_KEY`` and no ``wandb
login``. The driver has the key: as Tune adds each mixin trial it calls the
trainable's ``default_resource_request`` there, and tune-wandb resolves the
key and keeps it in Ray's internal key-value store (held in the GCS's memory;
Tune keeps its own trainable registry there). A trial process that finds no
key of its own reads it back. The entry is named by the job and by where the
key came from (``file:<path>`` or ``ambient`` for the environment and netrc),
so trials with different key files get their own key; it is never written to
a file, a config or a log, and the driver deletes it when it exits.
"""

from __future__ import annotations

import atexit
import logging

logger = logging.getLogger("tune_wandb")

NAMESPACE = "tune_wandb"
#: Where a key resolved from ``WANDB_API_KEY`` or ``wandb login`` is kept.
AMBIENT = "ambient"

#: Entries this driver shared, with their values.
_shared: dict[str, str] = {}


def file_source(path: str) -> str:
    """The source name of a key read from ``path``, as the setting spells it.

    Not expanded: ``~/key`` is another path on a node with another home, and
    that node must still find the key the driver read from its ``~/key``.
    """
    return f"file:{path}"


def _entry(name: str) -> str | None:
    import ray
    from ray.experimental import internal_kv

    if not ray.is_initialized() or not internal_kv._internal_kv_initialized():
        return None
    return f"{ray.get_runtime_context().get_job_id()}/{name}"


def share_value(name: str, value: str) -> None:
    """Keep ``value`` (found on the driver) where this job's trial processes can read it.

    A later value replaces an earlier one. Deleted when the driver exits. A
    failure only means trials find nothing.
    """
    from ray.experimental import internal_kv

    try:
        entry = _entry(name)
        if entry is None or _shared.get(entry) == value:
            return
        internal_kv._internal_kv_put(entry, value, overwrite=True, namespace=NAMESPACE)
    except Exception:  # trials then do without, as before
        logger.debug("tune-wandb: could not share %s with the cluster", name, exc_info=True)
        return
    if not _shared:
        atexit.register(_forget_keys)
    _shared[entry] = value


def shared_value(name: str) -> str | None:
    """The value the driver shared as ``name``, or ``None`` (no Ray, none shared)."""
    from ray.experimental import internal_kv

    try:
        entry = _entry(name)
        value = None if entry is None else internal_kv._internal_kv_get(entry, namespace=NAMESPACE)
    except Exception:  # "nothing shared"; the caller does without
        logger.debug("tune-wandb: could not read the shared %s", name, exc_info=True)
        return None
    return value.decode() if value else None


def share_key(source: str, key: str) -> None:
    """Keep ``key`` (found on the driver) where this job's trial processes can read it."""
    share_value(f"api_key/{source}", key)


def shared_key(source: str) -> str | None:
    """The key the driver shared for ``source``, or ``None`` (no Ray, none shared)."""
    return shared_value(f"api_key/{source}")


def _forget_keys() -> None:
    """Delete this driver's shared keys (at exit, while Ray may still be up)."""
    from ray.experimental import internal_kv

    for entry in sorted(_shared):
        try:
            internal_kv._internal_kv_del(entry, namespace=NAMESPACE)
        except Exception:  # Ray already shut down: the store went with it
            logger.debug("tune-wandb: shared key not deleted", exc_info=True)
    _shared.clear()
