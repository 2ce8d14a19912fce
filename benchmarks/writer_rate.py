"""How many rows per second the logger's writer process sustains, and what it holds meanwhile.

``python -m benchmarks.writer_rate [--runs R] [--rows N]``: no Ray, no Tune.
Opens ``R`` runs in one :class:`~tune_wandb._logger._link.WriterLink`
and submits ``N`` Tune-shaped results per run as fast as the driver can, then
closes it. Prints the rows per second from the first submit to the last row
written, how long ``submit`` took in all (its waits are the backpressure), and
the peak resident memory of the driver (this process) and of the writer
process with its wandb-core.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from typing import Any

import psutil


def tune_result(trial_id: str, step: int) -> dict[str, Any]:
    """A result as Tune reports it for a small function trainable."""
    return {
        "loss": 1.0 / (step + 1),
        "step_metric": step,
        "timestamp": int(time.time()),
        "checkpoint_dir_name": None,
        "done": False,
        "training_iteration": step + 1,
        "trial_id": trial_id,
        "date": "2026-11-29_12-00-00",
        "time_this_iter_s": 0.001,
        "time_total_s": step * 0.001,
        "pid": 1234,
        "hostname": "host",
        "node_ip": "127.0.0.1",
        "config": {"steps": 20_000, "i": 0, "setup_s": 0.0},
        "time_since_restore": step * 0.001,
        "iterations_since_restore": step + 1,
    }


def _peak_rss(stop: threading.Event, peaks: dict[str, int]) -> None:
    me = psutil.Process()
    while not stop.wait(0.1):
        peaks["driver"] = max(peaks["driver"], me.memory_info().rss)
        writer = 0
        for child in me.children(recursive=True):
            try:
                writer += child.memory_info().rss
            except psutil.Error:
                continue
        peaks["writer"] = max(peaks["writer"], writer)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--rows", type=int, default=20_000, help="rows per run")
    args = parser.parse_args(argv)
    os.environ.setdefault("WANDB_MODE", "offline")
    os.environ.setdefault("WANDB_SILENT", "true")

    from tune_wandb import WandbSettings
    from tune_wandb._core._identity import TrialIdentity
    from tune_wandb._core._prepare import prepare
    from tune_wandb._logger._link import WriterLink
    from tune_wandb._logger._ops import Finish, Log, Start

    peaks = {"driver": 0, "writer": 0}
    stop = threading.Event()
    sampler = threading.Thread(target=_peak_rss, args=(stop, peaks), daemon=True)
    sampler.start()
    with tempfile.TemporaryDirectory(prefix="tune-wandb-writer-rate-") as folder:
        trials = [f"r_{i:05d}" for i in range(args.runs)]
        settings = WandbSettings.from_config({"project": "writer-rate"})
        writer = WriterLink()
        writer.start()
        for trial_id in trials:
            identity = TrialIdentity(
                trial_id=trial_id, trial_name=trial_id, experiment="rate", folder=folder
            )
            writer.submit(Start(prepare(settings, identity, {}, entry="logger")))
        started = time.perf_counter()
        submitting = 0.0
        for step in range(args.rows):
            for trial_id in trials:
                result = tune_result(trial_id, step)
                before = time.perf_counter()
                writer.submit(Log(trial_id, result))
                submitting += time.perf_counter() - before
        for trial_id in trials:
            writer.submit(Finish(trial_id, 0))
        submitted = time.perf_counter() - started
        closed = writer.close(timeout=600)
        elapsed = time.perf_counter() - started
        stop.set()
        sampler.join()
        rows = args.runs * args.rows
        written = sum(record.rows for record in writer.records.values())
        print(
            f"{args.runs} runs x {args.rows} rows: {written} of {rows} rows written "
            f"(closed: {closed}) in {elapsed:.1f} s = {written / elapsed:.0f} rows/s; "
            f"submit took {submitting:.1f} s in all ({submitting / rows * 1e6:.0f} us/row; "
            f"all submitted after {submitted:.1f} s); peak RSS: driver "
            f"{peaks['driver'] / 2**20:.0f} MiB, writer with wandb-core "
            f"{peaks['writer'] / 2**20:.0f} MiB",
            flush=True,
        )


if __name__ == "__main__":
    main()
