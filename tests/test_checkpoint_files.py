"""Checkpoints off the local filesystem: S3 is referenced, other pyarrow filesystems copied."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.fs
import pytest
from moto.server import ThreadedMotoServer

from tests.helpers import LOSSES, checkpoints_with_loss
from tests.wandb_reader import RunLog, read_run_logs
from tune_wandb import WandbLogger

#: moto accepts any credentials; the region is needed by both clients.
S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[pyarrow.fs.S3FileSystem]:
    """A real S3 server (moto) on 127.0.0.1 with a bucket, and the filesystem Tune writes with."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    for name, value in S3_ENV.items():
        monkeypatch.setenv(name, value)
    # W&B's client (boto3, in the logger's writer process) finds the server by this.
    monkeypatch.setenv("AWS_S3_ENDPOINT_URL", f"http://{host}:{port}")
    filesystem = pyarrow.fs.S3FileSystem(
        access_key="testing",
        secret_key="testing",
        region="us-east-1",
        scheme="http",
        endpoint_override=f"{host}:{port}",
        allow_bucket_creation=True,
    )
    filesystem.create_dir("bucket")
    yield filesystem
    server.stop()


@pytest.fixture
def writer_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder the logger's writer process gets (it inherits TMPDIR)."""
    folder = tmp_path / "writer-tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


def logged_run(tune_run: Any, filesystem: pyarrow.fs.FileSystem, storage: str) -> RunLog:
    """Run the checkpointing trial with storage on ``filesystem``; its run as W&B wrote it."""
    logger = WandbLogger(project="p", upload_checkpoints="all", summary=False)
    tune_run(
        checkpoints_with_loss,
        storage_path=storage,
        storage_filesystem=filesystem,
        metric="loss",
        mode="min",
        callbacks=[logger],
    )
    (record,) = logger.runs.values()
    assert record.sync_dir is not None
    (run,) = read_run_logs(Path(record.sync_dir))
    assert len(run.artifacts) == len(LOSSES)
    return run


def test_s3_checkpoint_is_a_reference(tune_run: Any, s3: pyarrow.fs.S3FileSystem) -> None:
    """On S3 each version references the checkpoint's objects by s3:// URI, with no local copy."""
    run = logged_run(tune_run, s3, "bucket/results")
    for number, artifact in enumerate(run.artifacts):
        (entry,) = artifact["manifest"]["contents"]
        assert entry["path"] == "model.txt"
        assert entry["ref"].startswith("s3://bucket/results/exp/")
        assert entry["ref"].endswith(f"/checkpoint_{number:06d}/model.txt")
        assert "local_path" not in entry
        assert int(entry["size"]) == len(f"weights at loss {LOSSES[number]}")


def test_unreferenceable_s3_checkpoint_is_copied_with_a_warning(
    tune_run: Any,
    s3: pyarrow.fs.S3FileSystem,
    writer_tmp: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """W&B's client cannot reach the store: the files are copied in instead, and it says why."""
    monkeypatch.setenv("AWS_S3_ENDPOINT_URL", "http://127.0.0.1:9")  # W&B's client only
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with caplog.at_level(logging.WARNING, logger="tune_wandb"):
        run = logged_run(tune_run, s3, "bucket/results")
    for artifact in run.artifacts:
        (entry,) = artifact["manifest"]["contents"]
        assert (entry["path"], "ref" in entry) == ("model.txt", False)
    warnings = [r.getMessage() for r in caplog.records if "could not be referenced" in r.message]
    assert len(warnings) == len(LOSSES)
    assert all("s3://bucket/results/exp/" in message for message in warnings)
    assert list(writer_tmp.glob("tune-wandb-checkpoint-*")) == []  # the copies are gone


def test_other_pyarrow_filesystem_is_copied(
    tune_run: Any, tmp_path: Path, writer_tmp: Path
) -> None:
    """A pyarrow filesystem W&B cannot reference: files copied through a temporary folder."""
    filesystem = pyarrow.fs.SubTreeFileSystem(str(tmp_path), pyarrow.fs.LocalFileSystem())
    run = logged_run(tune_run, filesystem, "results")
    assert [sorted(a["aliases"]) for a in run.artifacts][-1] == ["best", "iter-4", "latest"]
    for artifact in run.artifacts:
        (entry,) = artifact["manifest"]["contents"]
        assert (entry["path"], "ref" in entry) == ("model.txt", False)
        assert Path(entry["local_path"]).read_text().startswith("weights at loss")
    assert list(writer_tmp.glob("tune-wandb-checkpoint-*")) == []
