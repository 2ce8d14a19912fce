"""Runs a trial's process opened before Tune decided where the trial trains.

With ``reuse_actors`` Tune may start an actor for a trial (its setup opens the
trial's run), then hand the trial a cached actor instead and remove the first
one. That first run is provisional: it holds nothing the real run will not.
A provisional offline run carries a marker file from its start until the trial
trains in it. Its own process deletes it when it stops; when Tune kills that
process first (an actor that does not stop within 10 s is killed), the run
that does train deletes it. Only folders carrying the marker are ever deleted.
Online runs are left alone: the real run resumes the same id.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Final

from tune_wandb._wandb._run import is_offline

if TYPE_CHECKING:
    from wandb.sdk.wandb_run import Run

logger = logging.getLogger("tune_wandb")

MARKER: Final = "tune-wandb-provisional"


def _offline_dir(run: Run) -> Path | None:
    sync_dir = run.settings.sync_dir
    return Path(sync_dir) if is_offline(run) and sync_dir else None


def mark_provisional(run: Run) -> None:
    """Mark ``run``'s folder: its trial has not trained in this process yet."""
    folder = _offline_dir(run)
    if folder is not None:
        try:
            (folder / MARKER).touch()
        except OSError:
            logger.debug("tune-wandb: could not mark %s provisional", folder, exc_info=True)


def confirm(run: Run) -> None:
    """The trial trains in ``run``: unmark it, and delete its provisional siblings.

    Called again when the run finishes, for a sibling whose process opened it
    late and was killed before it could delete it.
    """
    folder = _offline_dir(run)
    if folder is None:
        return
    (folder / MARKER).unlink(missing_ok=True)
    for sibling in folder.parent.glob(f"*-{run.id}"):
        if sibling != folder and (sibling / MARKER).exists():
            shutil.rmtree(sibling, ignore_errors=True)
            logger.debug("tune-wandb: deleted provisional run %s", sibling)


def discard(run: Run) -> None:
    """Delete ``run``'s folder if it is provisional (finished, its trial trained elsewhere)."""
    folder = _offline_dir(run)
    if folder is not None and (folder / MARKER).exists():
        shutil.rmtree(folder, ignore_errors=True)
        logger.debug("tune-wandb: discarded provisional run %s", folder)
