"""CheckpointFiles: where a checkpoint is, and the URI W&B can reference for it."""

from __future__ import annotations

from pathlib import Path

import pyarrow.fs
from ray.train import Checkpoint

from tune_wandb._core._checkpoint_files import CheckpointFiles


def test_a_local_checkpoint_is_its_path() -> None:
    """On the local filesystem: the path, no filesystem kept, nothing to reference."""
    files = CheckpointFiles.of(Checkpoint("/r/checkpoint_1", pyarrow.fs.LocalFileSystem()))
    assert files == CheckpointFiles("/r/checkpoint_1")
    assert files.where == "/r/checkpoint_1"


def test_an_s3_checkpoint_is_referenced_by_its_uri() -> None:
    """S3 checkpoints are referenced (s3://bucket/...), not copied."""
    s3 = pyarrow.fs.S3FileSystem(region="us-east-1")
    files = CheckpointFiles.of(Checkpoint("bucket/exp/checkpoint_1", s3))
    assert files.reference == "s3://bucket/exp/checkpoint_1"
    assert files.where == "s3://bucket/exp/checkpoint_1"


def test_another_filesystem_is_named_and_copied(tmp_path: Path) -> None:
    """A filesystem W&B cannot reference keeps the filesystem, to copy from."""
    subtree = pyarrow.fs.SubTreeFileSystem(str(tmp_path), pyarrow.fs.LocalFileSystem())
    files = CheckpointFiles.of(Checkpoint("c1", subtree))
    assert (files.reference, files.filesystem) == (None, subtree)
    assert files.where == "c1 (on SubTreeFileSystem)"
