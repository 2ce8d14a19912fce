"""Where a checkpoint's files are, and what W&B can do with them.

Written once for every entry point; :mod:`tune_wandb._wandb._uploader` logs
them as artifact versions:

- On the local filesystem (or a path every node mounts), the folder is
  *secured* the moment Tune reports it (:meth:`CheckpointFiles.secure`): hard
  links to its files in a folder beside it, which cost no disk while Tune
  keeps the checkpoint and keep its bytes when Tune deletes it
  (``num_to_keep``); a file that cannot be linked (another device) is copied.
  The secured folder is logged at the writer's pace, then removed.
- On S3 or Google Cloud Storage, the artifact *references* the objects
  (``s3://``, ``gs://``): W&B's own client lists them, records their ETags,
  and ``artifact.download()`` fetches them; no byte passes through this
  process. That needs W&B's client for the store (``boto3``, or
  ``google-cloud-storage``) and credentials it can use (for an S3-compatible
  server, ``AWS_S3_ENDPOINT_URL``). Where the reference fails, the files are
  copied instead, with a warning saying why.
- On any other pyarrow filesystem (HDFS, Azure, a custom one), the files are
  copied through a temporary folder, removed once W&B has staged them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import uuid
from pathlib import Path
from typing import Any, Final, Protocol

import attrs

logger = logging.getLogger("tune_wandb")

#: pyarrow filesystem type names W&B can reference, with their URI scheme.
REFERENCE_SCHEMES: Final = {"s3": "s3", "gcs": "gs"}
#: The folder, beside a checkpoint, that holds secured checkpoints until they are logged.
SECURED: Final = ".tune-wandb-secured"


class Checkpoint(Protocol):
    """A ``ray.train.Checkpoint`` (or ``ray.tune.Checkpoint``): a folder on a filesystem."""

    path: str
    filesystem: Any


@attrs.frozen
class CheckpointFiles:
    """A checkpoint folder: its path, the filesystem it is on, the URI W&B can reference.

    Example::

        files = CheckpointFiles.of(result.checkpoint)
        files.reference  # 's3://bucket/exp/trial/checkpoint_000003' on S3, else None
    """

    path: str
    #: The pyarrow filesystem the path is on; ``None`` for the local one.
    filesystem: Any = None
    reference: str | None = None
    #: Where Tune put the checkpoint, when ``path`` is a secured copy of it.
    original: str | None = None

    @classmethod
    def of(cls, checkpoint: Checkpoint) -> CheckpointFiles:
        """Where Tune put ``checkpoint`` (a ``ray.train.Checkpoint``)."""
        filesystem = checkpoint.filesystem
        kind = str(getattr(filesystem, "type_name", "local"))
        if kind == "local":
            return cls(checkpoint.path)
        scheme = REFERENCE_SCHEMES.get(kind)
        reference = f"{scheme}://{checkpoint.path.lstrip('/')}" if scheme else None
        return cls(checkpoint.path, filesystem, reference)

    @property
    def where(self) -> str:
        """The checkpoint as a user would name it (a URI where there is one)."""
        if self.reference is not None:
            return self.reference
        if self.filesystem is None:
            return self.original or self.path
        return f"{self.path} (on {type(self.filesystem).__name__})"

    def secure(self) -> CheckpointFiles:
        """A copy of a local checkpoint that Tune cannot delete, until :meth:`release`.

        Hard links to every file, in a folder of :data:`SECURED` beside the
        checkpoint (the same filesystem): instant, and no extra disk until Tune
        deletes the checkpoint. A file that cannot be linked is copied. A
        checkpoint that cannot be secured at all (gone already, a read-only
        folder) is logged from where it is, if it is still there then.

        Example::

            secured = CheckpointFiles("/r/exp/trial/checkpoint_000003").secure()
            secured.path  # '/r/exp/trial/.tune-wandb-secured/checkpoint_000003-1f2e...'
            secured.release()  # once W&B has the files
        """
        if self.filesystem is not None or self.original is not None:
            return self  # referenced or copied from elsewhere, or secured already
        source = Path(self.path)
        target = source.parent / SECURED / f"{source.name}-{uuid.uuid4().hex[:12]}"
        try:
            _link_tree(source, target)
        except OSError as error:
            shutil.rmtree(target, ignore_errors=True)
            logger.debug("tune-wandb: checkpoint %s not secured: %s", self.path, error)
            return self
        return attrs.evolve(self, path=str(target), original=self.path)

    def release(self) -> None:
        """Remove the secured copy (W&B has the files); nothing for a checkpoint as Tune put it."""
        if self.original is None:
            return
        shutil.rmtree(self.path, ignore_errors=True)
        with contextlib.suppress(OSError):
            Path(self.path).parent.rmdir()  # the last one out removes the folder


def _link_tree(source: Path, target: Path) -> None:
    """``target``: ``source``'s folders, with a hard link (else a copy) of each file."""
    for folder, _folders, files in os.walk(source):
        here = target / Path(folder).relative_to(source)
        here.mkdir(parents=True, exist_ok=True)
        for name in files:
            try:
                os.link(Path(folder, name), here / name)
            except OSError:  # another device, or links not allowed: copy it
                shutil.copy2(Path(folder, name), here / name)
    if not target.exists():
        raise FileNotFoundError(f"{source} is gone")
