"""Where the W&B API key comes from, and keeping it out of everything we print.

The key is read here and nowhere else. Errors name the key's source (a file's
path, an environment variable), never the key.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

REDACTED = "<redacted>"


def read_key_file(path: str) -> str:
    """The API key in ``path`` (its first non-empty line), or ``ValueError`` naming the path."""
    file = Path(path).expanduser()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(
            f"config['wandb']['api_key_file'] {str(file)!r} does not exist; "
            f"write your key (https://wandb.ai/authorize) into it, or point the setting "
            f"at the right file."
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


def netrc_api_key() -> str | None:
    """The key saved by ``wandb login`` for the current base URL, if any."""
    try:
        from wandb.sdk.lib.wbauth import read_netrc_auth

        base_url = os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai")
        return read_netrc_auth(host=base_url)
    except Exception:  # noqa: BLE001 - a broken netrc means "no key there", not a crash
        return None


def resolve_api_key(api_key: str | None, api_key_file: str | None) -> str | None:
    """The key from, in order: ``api_key``, ``api_key_file``, ``WANDB_API_KEY``, ``wandb login``."""
    if api_key:
        return api_key.strip()
    if api_key_file:
        return read_key_file(api_key_file)
    return os.environ.get("WANDB_API_KEY") or netrc_api_key()


_warned_about_key_in_config = False


def warn_key_in_trial_config() -> None:
    """Once per process: a literal key in a trial config ends up in Tune's result files."""
    global _warned_about_key_in_config
    if _warned_about_key_in_config:
        return
    _warned_about_key_in_config = True
    logging.getLogger("tune_wandb").warning(
        "tune-wandb: config['wandb']['api_key'] is set in the trial config, which Tune "
        "writes to params.json and result files. tune-wandb keeps it out of W&B, but "
        "prefer 'api_key_file', the WANDB_API_KEY environment variable or `wandb login`."
    )


def redact(text: str, *secrets: str | None) -> str:
    """``text`` with every occurrence of each secret replaced by ``<redacted>``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text
