"""One benchmark process's setting: W&B's environment, one Ray instance, the server.

``make bench`` and ``make profile`` both run every workload in one process, on one
local Ray instance of 2 CPUs, with W&B offline unless a variant goes online, in
which case the tests' local W&B-protocol server runs beside them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.workloads import WORKLOADS, Workload, go_online, run_variant

if TYPE_CHECKING:
    from tests.wire import WandbServer


@contextlib.contextmanager
def bench_session(chosen: list[Workload], variants: list[str], prefix: str) -> Iterator[Path]:
    """Ray started, the server up if a variant is online, and wandb's imports warm.

    Yields a scratch folder, removed afterwards with wandb's data folder.
    """
    os.environ.setdefault("WANDB_MODE", "offline")
    os.environ.setdefault("WANDB_SILENT", "true")
    os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "0")
    # Offline artifacts stay staged in wandb's data folder until synced (800 MiB per
    # round of the checkpoint workload): keep them in a folder removed at the end.
    data = tempfile.mkdtemp(prefix=f"{prefix}-data-")
    os.environ["WANDB_DATA_DIR"] = data
    import ray

    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
    )
    server = start_server(chosen, variants)
    try:
        with tempfile.TemporaryDirectory(prefix=f"{prefix}-") as scratch:
            # Warm up Ray's worker pool and wandb's imports once; not measured.
            for variant in ("none", "ours_decorator"):
                run_variant(variant, WORKLOADS["2x200"], Path(scratch, f"warmup-{variant}"))
            yield Path(scratch)
    finally:
        ray.shutdown()
        if server is not None:
            server.stop()
        shutil.rmtree(data, ignore_errors=True)


def start_server(chosen: list[Workload], variants: list[str]) -> WandbServer | None:
    """The tests' local W&B-protocol server, if an ``_online`` variant will run.

    In the idle scheduling class: it stands in for a remote server, so it takes no
    CPU the trials and Tune's driver want (see ``WandbServer``).
    """
    if not any(v.endswith("_online") and v in w.variants for w in chosen for v in variants):
        return None
    from tests.wire import SERVER_KEY, WandbServer

    server = WandbServer.start(
        Path(tempfile.mkdtemp(prefix="tune-wandb-bench-server-")), idle=True, cheap_auth=True
    )
    go_online(server.url, SERVER_KEY)
    return server
