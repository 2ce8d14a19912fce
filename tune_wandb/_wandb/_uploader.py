"""A run's checkpoints, logged as versions of its W&B artifact, in a thread beside the run.

Tune waits for a trial's ``save`` (and the logger's writer for nothing at
all), so a picked checkpoint is only handed over: a thread reads or
references its files and logs the version while the trial trains on. The
run finishes only after every handed-over version is logged (bounded by
``upload_timeout``), and the thread is joined when the uploader closes.
"""

from __future__ import annotations

import logging
import queue
import tempfile
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from wandb.sdk.wandb_run import Run

    from tune_wandb._core._checkpoint_files import CheckpointFiles
    from tune_wandb._core._checkpoint_policy import CheckpointVersion

logger = logging.getLogger("tune_wandb")


@attrs.define
class CheckpointUploader:
    """Logs one run's picked checkpoints in a thread of its own.

    Example::

        uploader = CheckpointUploader(run, "a1_00000")
        uploader.log(version)  # returns at once
        uploader.close(timeout=120)  # waits for every version, then for the thread
    """

    run: Run
    run_id: str
    _queue: queue.SimpleQueue[CheckpointVersion | None] = attrs.field(
        factory=queue.SimpleQueue, init=False
    )
    _thread: threading.Thread | None = attrs.field(default=None, init=False)

    def log(self, version: CheckpointVersion) -> None:
        """Hand ``version`` over to be logged (the thread starts with the first)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._log_until_closed, name="tune-wandb-checkpoints", daemon=True
            )
            self._thread.start()
        self._queue.put(version)

    def close(self, *, timeout: float) -> None:
        """Wait (at most ``timeout`` seconds) for every version handed over to be logged.

        Versions still queued after that keep their secured copies on disk
        (the warning says so), beside the checkpoints Tune kept.
        """
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._queue.put(None)
        thread.join(timeout)
        if thread.is_alive():
            logger.warning(
                "tune-wandb: run %r finished while checkpoints were still being logged "
                "(upload_timeout=%s s); the versions not yet logged are missing.",
                self.run_id,
                timeout,
            )

    def _log_until_closed(self) -> None:
        while (version := self._queue.get()) is not None:
            log_version(self.run, self.run_id, version)


def log_version(run: Run, run_id: str, version: CheckpointVersion) -> None:
    """Log ``version`` as a version of the artifact ``checkpoint-<run id>``; warn if it fails.

    A checkpoint that cannot be logged (the store refused, it was gone before
    it could be secured) gets one warning naming it and why; the trial goes on.
    Its secured copy is removed either way: W&B has its own.
    """
    try:
        log_checkpoint(
            run,
            version.files,
            name=f"checkpoint-{run_id}",
            aliases=version.aliases,
            metadata=version.metadata,
        )
    except Exception as error:  # noqa: BLE001 - a checkpoint upload never fails a trial
        logger.warning(
            "tune-wandb: checkpoint %s not logged as an artifact: %s", version.files.where, error
        )
    finally:
        version.files.release()


def log_checkpoint(
    run: Run,
    files: CheckpointFiles,
    *,
    name: str,
    aliases: Sequence[str],
    metadata: Mapping[str, Any],
) -> None:
    """Log ``files`` as a new version of ``run``'s artifact ``name`` (type ``model``).

    Raises what W&B or the filesystem raised when the files cannot be read
    (e.g. Tune already deleted the checkpoint): the caller warns and goes on.
    """
    import wandb

    def artifact() -> wandb.Artifact:
        return wandb.Artifact(name=name, type="model", metadata=dict(metadata))

    if files.reference is not None:
        referenced = artifact()
        try:
            referenced.add_reference(files.reference)
        except Exception as error:  # noqa: BLE001 - copying the files still logs them
            logger.warning(
                "tune-wandb: checkpoint %s could not be referenced (%s); copying its "
                "files into the artifact instead.",
                files.reference,
                str(error).splitlines()[0] if str(error) else type(error).__name__,
            )
        else:
            run.log_artifact(referenced, aliases=list(aliases))
            return
    copied = artifact()
    if files.filesystem is None:
        copied.add_dir(files.path)
        run.log_artifact(copied, aliases=list(aliases))
        return
    import pyarrow.fs

    with tempfile.TemporaryDirectory(prefix="tune-wandb-checkpoint-") as folder:
        pyarrow.fs.copy_files(files.path, folder, source_filesystem=files.filesystem)
        copied.add_dir(folder)  # W&B stages its own copy here: the folder may go
    run.log_artifact(copied, aliases=list(aliases))
