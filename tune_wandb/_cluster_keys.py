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

_shared: set[str] = set()


def file_source(path: str) -> str:
    """The source name of a key read from ``path``, as the setting spells it.

    Not expanded: ``~/key`` is another path on a node with another home, and
    that node must still find the key the driver read from its ``~/key``.
    """
    return f"file:{path}"


def _entry(source: str) -> str | None:
    import ray
    from ray.experimental import internal_kv

    if not ray.is_initialized() or not internal_kv._internal_kv_initialized():
        return None
    return f"api_key/{ray.get_runtime_context().get_job_id()}/{source}"


def share_key(source: str, key: str) -> None:
    """Keep ``key`` (found on the driver) where this job's trial processes can read it."""
    from ray.experimental import internal_kv

    try:
        entry = _entry(source)
        if entry is None or entry in _shared:
            return
        internal_kv._internal_kv_put(entry, key, namespace=NAMESPACE)
    except Exception:  # workers then need a key of their own, as before
        logger.debug("tune-wandb: could not share the API key with the cluster", exc_info=True)
        return
    if not _shared:
        atexit.register(_forget_keys)
    _shared.add(entry)


def shared_key(source: str) -> str | None:
    """The key the driver shared for ``source``, or ``None`` (no Ray, none shared)."""
    from ray.experimental import internal_kv

    try:
        entry = _entry(source)
        value = None if entry is None else internal_kv._internal_kv_get(entry, namespace=NAMESPACE)
    except Exception:  # "no shared key"; the caller says where to put one
        logger.debug("tune-wandb: could not read a shared API key", exc_info=True)
        return None
    return value.decode() if value else None


def _forget_keys() -> None:
    """Delete this driver's shared keys (at exit, while Ray may still be up)."""
    from ray.experimental import internal_kv

    for entry in sorted(_shared):
        try:
            internal_kv._internal_kv_del(entry, namespace=NAMESPACE)
        except Exception:  # Ray already shut down: the store went with it
            logger.debug("tune-wandb: shared key not deleted", exc_info=True)
    _shared.clear()
