"""Where a checkpoint's files are, and how they become a W&B artifact version.

Written once for every entry point: the logger's writer process and the
trial processes of the mixins log checkpoints the same way.

- On the local filesystem (or a path every node mounts), the folder is added
  to the artifact; W&B stages a copy at once, so Tune may delete the folder
  afterwards (``num_to_keep``).
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

import logging
import tempfile
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Protocol

import attrs

if TYPE_CHECKING:
    from wandb.sdk.wandb_run import Run

    from tune_wandb._checkpoint_policy import CheckpointVersion

logger = logging.getLogger("tune_wandb")

#: pyarrow filesystem type names W&B can reference, with their URI scheme.
REFERENCE_SCHEMES: Final = {"s3": "s3", "gcs": "gs"}


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
            return self.path
        return f"{self.path} (on {type(self.filesystem).__name__})"


def log_version(run: Run, run_id: str, version: CheckpointVersion) -> None:
    """Log ``version`` as a version of the artifact ``checkpoint-<run id>``; warn if it fails.

    A checkpoint that cannot be logged (Tune's ``num_to_keep`` deleted it first,
    the store refused) gets one warning naming it and why; the trial goes on.
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
