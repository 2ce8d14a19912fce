"""Where the W&B API key comes from, and keeping it out of everything we print.

The key is read here and nowhere else, and a key file once per process.
Errors name the key's source (a file's path, an environment variable), never
the key.
"""

from __future__ import annotations

import functools
import logging
import netrc
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

#: W&B's own server, where ``WANDB_BASE_URL`` and ``settings={"base_url": ...}`` are unset.
DEFAULT_BASE_URL: Final = "https://api.wandb.ai"

REDACTED = "<redacted>"

#: Finds a key the driver shared with the cluster, by its source (:func:`key_source`);
#: the Ray side's store (``tune_wandb._ray._cluster_store.shared_key``) is one.
SharedKeys = Callable[[str], "str | None"]
#: The source of a key resolved from ``WANDB_API_KEY`` or ``wandb login``.
AMBIENT: Final = "ambient"


def key_source(api_key_file: str | None) -> str:
    """The name a key is shared under: ``file:<path>`` as the setting spells it, or ``ambient``.

    Not expanded: ``~/key`` is another path on a node with another home, and
    that node must still find the key the driver read from its ``~/key``.
    """
    return f"file:{api_key_file}" if api_key_file else AMBIENT


def no_shared_keys(source: str) -> str | None:
    """A :data:`SharedKeys` that finds nothing (outside a Ray cluster)."""
    return None


@functools.cache
def read_key_file(path: str, shared: SharedKeys = no_shared_keys) -> str:
    """The API key in ``path`` (its first non-empty line), or ``ValueError`` naming the path.

    Read once per process (a failed read is not remembered). On a node
    without the file, the key the driver read from it (``shared``) stands in for it.
    """
    file = Path(path).expanduser()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        found = shared(key_source(path))
        if found:
            return found
        raise ValueError(
            f"config['wandb']['api_key_file'] {str(file)!r} does not exist on "
            f"{socket.gethostname()}; write your key (https://wandb.ai/authorize) into it, "
            f"or point the setting at the right file."
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(
            f"config['wandb']['api_key_file'] {str(file)!r} cannot be read "
            f"({type(error).__name__}); check its permissions."
        ) from None
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    raise ValueError(
        f"config['wandb']['api_key_file'] {str(file)!r} is empty; write your key into it."
    )


def netrc_api_key(base_url: str | None = None) -> str | None:
    """The key saved by ``wandb login`` for ``base_url`` (else ``WANDB_BASE_URL``'s), if any.

    Read as every wandb release writes it, with the standard library: the file
    ``NETRC`` names, else ``~/.netrc`` (``~/_netrc`` on Windows), where the
    machine is the server's ``host[:port]`` and the password is the key.
    (wandb's own reader moved between releases: ``wandb.sdk.lib.wbauth`` is 0.31's.)
    """
    netloc = urlsplit(base_url or os.environ.get("WANDB_BASE_URL", DEFAULT_BASE_URL)).netloc
    try:
        entry = netrc.netrc(_netrc_path()).authenticators(netloc) if netloc else None
    except (OSError, netrc.NetrcParseError):  # a broken netrc means "no key there"
        return None
    return entry[2] if entry and entry[2] else None


def _netrc_path() -> Path:
    if named := os.environ.get("NETRC"):
        return Path(named).expanduser()
    unix, windows = Path("~/.netrc").expanduser(), Path("~/_netrc").expanduser()
    for found in (unix, windows):
        if found.exists():
            return found
    return windows if os.name == "nt" else unix


def resolve_api_key(
    api_key: str | None,
    api_key_file: str | None,
    shared: SharedKeys = no_shared_keys,
    *,
    base_url: str | None = None,
) -> str | None:
    """The key from, in order: ``api_key``, ``api_key_file``, ``WANDB_API_KEY``, ``wandb login``.

    ``shared`` finds the key the driver shared, on a node that has none of its own.
    ``base_url`` is the server the run talks to (``settings={"base_url": ...}``):
    ``wandb login`` saved one key per server, and the run's is the one to send.
    """
    if api_key:
        return api_key.strip()
    if api_key_file:
        return read_key_file(api_key_file, shared)
    return os.environ.get("WANDB_API_KEY") or netrc_api_key(base_url) or shared(AMBIENT)


_warned_about_key_in_config = False


def warn_key_in_trial_config() -> None:
    """Once per process: a literal key in a trial config ends up in Tune's result files."""
    global _warned_about_key_in_config
    if _warned_about_key_in_config:
        return
    _warned_about_key_in_config = True
    logging.getLogger("tune_wandb").warning(
        "tune-wandb: config['wandb']['api_key'] is set in the trial config, which Tune "
        "writes to disk: params.json, params.pkl and result.json in each trial's folder, "
        "experiment_state-*.json and basic-variant-state-*.json in the experiment's, and "
        "copies in Ray's session folder. tune-wandb keeps it out of W&B, but prefer "
        "'api_key_file', the WANDB_API_KEY environment variable or `wandb login`."
    )


def redact(text: str, *secrets: str | None) -> str:
    """``text`` with every occurrence of each secret replaced by ``<redacted>``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text
