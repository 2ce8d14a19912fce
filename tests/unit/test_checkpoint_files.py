"""CheckpointFiles: where a checkpoint is, and the URI W&B can reference for it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.fs
from ray.train import Checkpoint

from tune_wandb._core._checkpoint_files import SECURED, CheckpointFiles


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


class TestSecure:
    def test_a_secured_checkpoint_outlives_tunes_deletion(self, tmp_path: Path) -> None:
        """Hard links in a folder beside it: the bytes stay when Tune deletes the checkpoint."""
        checkpoint = tmp_path / "checkpoint_000001"
        (checkpoint / "sub").mkdir(parents=True)
        (checkpoint / "model.txt").write_text("weights")
        (checkpoint / "sub" / "opt.txt").write_text("state")
        secured = CheckpointFiles(str(checkpoint)).secure()
        assert (secured.original, secured.where) == (str(checkpoint), str(checkpoint))
        assert Path(secured.path).parent == tmp_path / SECURED
        assert (checkpoint / "model.txt").stat().st_nlink == 2  # linked, not copied
        shutil.rmtree(checkpoint)  # Tune's num_to_keep
        assert Path(secured.path, "sub", "opt.txt").read_text() == "state"
        assert secured.secure() is secured  # once is enough
        secured.release()
        assert not (tmp_path / SECURED).exists()

    def test_what_cannot_be_secured_is_left_as_it_is(self, tmp_path: Path) -> None:
        """A checkpoint gone already, or off the local filesystem, is returned unchanged."""
        gone = CheckpointFiles(str(tmp_path / "gone"))
        assert gone.secure() is gone
        assert not (tmp_path / SECURED).exists()
        remote = CheckpointFiles("b/c", pyarrow.fs.LocalFileSystem(), "s3://b/c")
        assert remote.secure() is remote
        remote.release()  # nothing to remove
