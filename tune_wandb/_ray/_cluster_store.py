"""Values the driver shares with its trial processes: the API key, the experiment's metric.

A worker node may have no key file, no ``WANDB_API_KEY`` and no ``wandb
login``. The driver has the key: as Tune adds each mixin trial it calls the
trainable's ``default_resource_request`` there, and tune-wandb resolves the
key and keeps it in Ray's internal key-value store (held in the GCS's memory;
Tune keeps its own trainable registry there). A trial process that finds no
key of its own reads it back. The entry is named by the job and by where the
key came from (``file:<path>`` or ``ambient`` for the environment and netrc),
so trials with different key files get their own key; it is never written to
a file, a config or a log, and the driver deletes it when it exits.

Ray's store is private API: every call goes through :mod:`._compat`.
"""

from __future__ import annotations

import atexit
import logging

from tune_wandb._core._secrets import key_source, resolve_api_key
from tune_wandb._ray import _compat

logger = logging.getLogger("tune_wandb")

#: Entries this driver shared, with their values.
_shared: dict[str, str] = {}


def share_value(name: str, value: str) -> None:
    """Keep ``value`` (found on the driver) where this job's trial processes can read it.

    A later value replaces an earlier one. Deleted when the driver exits. A
    failure only means trials find nothing.
    """
    try:
        entry = _compat.job_store_entry(name)
        if entry is None or _shared.get(entry) == value:
            return
        _compat.store_put(entry, value)
    except Exception:  # trials then do without, as before
        logger.debug("tune-wandb: could not share %s with the cluster", name, exc_info=True)
        return
    if not _shared:
        atexit.register(_forget_all)
    _shared[entry] = value


def shared_value(name: str) -> str | None:
    """The value the driver shared as ``name``, or ``None`` (no Ray, none shared)."""
    try:
        entry = _compat.job_store_entry(name)
        return None if entry is None else _compat.store_get(entry)
    except Exception:  # "nothing shared"; the caller does without
        logger.debug("tune-wandb: could not read the shared %s", name, exc_info=True)
        return None


def share_key(source: str, key: str) -> None:
    """Keep ``key`` (found on the driver) where this job's trial processes can read it."""
    share_value(f"api_key/{source}", key)


def shared_key(source: str) -> str | None:
    """The key the driver shared for ``source``, or ``None`` (a ``SharedKeys`` lookup)."""
    return shared_value(f"api_key/{source}")


def share_with_cluster(api_key: str | None, api_key_file: str | None, *, online: bool) -> None:
    """On the driver: share the key with trial processes on nodes that lack it.

    A literal ``api_key`` travels in the trial config already and is not shared.
    A key file's key is shared in any mode (a worker parsing the settings reads
    the file); the environment's or netrc's only where a run needs one (online).
    """
    if api_key or not (api_key_file or online):
        return
    key = resolve_api_key(None, api_key_file)
    if key:
        share_key(key_source(api_key_file), key)


def _forget_all() -> None:
    """Delete what this driver shared (at exit, while Ray may still be up)."""
    for entry in sorted(_shared):
        try:
            _compat.store_delete(entry)
        except Exception:  # Ray already shut down: the store went with it
            logger.debug("tune-wandb: shared value not deleted", exc_info=True)
    _shared.clear()
