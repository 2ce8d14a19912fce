"""Ray's three W&B hooks, called where and as Ray's integration calls them.

Organisations set these environment variables to a ``module.function`` path
to fetch keys and choose projects centrally; a script that used them with
Ray's ``WandbLoggerCallback`` keeps them with tune-wandb:

- ``WANDB_SETUP_API_KEY_HOOK``: returns the API key, asked when no key was
  given, in ``WANDB_API_KEY`` or saved by ``wandb login``;
- ``WANDB_POPULATE_RUN_LOCATION_HOOK``: sets ``WANDB_PROJECT_NAME`` (and
  ``WANDB_GROUP_NAME``), called when no project is set otherwise;
- ``WANDB_PROCESS_RUN_INFO_HOOK``: receives each run once it started.

A hook that cannot be imported or raises is reported once, with its path,
and the run goes on as if it were not set.
"""

from __future__ import annotations

import importlib
import logging
import os
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from wandb.sdk.wandb_run import Run

logger = logging.getLogger("tune_wandb")

SETUP_API_KEY_HOOK: Final = "WANDB_SETUP_API_KEY_HOOK"
POPULATE_RUN_LOCATION_HOOK: Final = "WANDB_POPULATE_RUN_LOCATION_HOOK"
PROCESS_RUN_INFO_HOOK: Final = "WANDB_PROCESS_RUN_INFO_HOOK"
#: Ray's names for the project and group, read after ``WANDB_POPULATE_RUN_LOCATION_HOOK``.
PROJECT_ENV: Final = "WANDB_PROJECT_NAME"
GROUP_ENV: Final = "WANDB_GROUP_NAME"

_reported: set[str] = set()


def _call(variable: str, *args: Any) -> Any:
    path = os.environ.get(variable)
    if not path:
        return None
    try:
        module, _, name = path.rpartition(".")
        hook = getattr(importlib.import_module(module), name)
        return hook(*args)
    except Exception as error:  # noqa: BLE001 - a broken hook never stops a trial
        if variable not in _reported:
            _reported.add(variable)
            logger.warning(
                "tune-wandb: %s=%r failed (%s: %s); going on without it.",
                variable,
                path,
                type(error).__name__,
                error,
            )
        return None


def api_key_from_hook() -> str | None:
    """The key ``WANDB_SETUP_API_KEY_HOOK`` returns, if it is set and returns one."""
    key = _call(SETUP_API_KEY_HOOK)
    return key if isinstance(key, str) and key.strip() else None


def project_from_environment() -> str | None:
    """Ray's ``WANDB_PROJECT_NAME``, after ``WANDB_POPULATE_RUN_LOCATION_HOOK`` if it is unset."""
    if not os.environ.get(PROJECT_ENV):
        _call(POPULATE_RUN_LOCATION_HOOK)
    return os.environ.get(PROJECT_ENV) or None


def group_from_environment() -> str | None:
    """Ray's ``WANDB_GROUP_NAME`` (which the location hook may have set)."""
    return os.environ.get(GROUP_ENV) or None


def process_run_info(run: Run) -> None:
    """Hand a started run to ``WANDB_PROCESS_RUN_INFO_HOOK``, if it is set."""
    _call(PROCESS_RUN_INFO_HOOK, run)
