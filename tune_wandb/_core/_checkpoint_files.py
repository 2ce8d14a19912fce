"""Where a checkpoint's files are, and what W&B can do with them.

Written once for every entry point; :mod:`tune_wandb._wandb._uploader` logs
them as artifact versions:

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

from typing import Any, Final, Protocol

import attrs

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
