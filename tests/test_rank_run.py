"""Online, every Ray Train worker sends its system metrics and output to the one run, by rank."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import ray
import ray.train
from ray.train.v2.api.data_parallel_trainer import DataParallelTrainer

from tests.test_online import assert_no_key_sent, online
from tests.wire import Proxy, SentRun, sent_runs
from tune_wandb import WandbTrainCallback, setup_wandb

#: W&B samples every 15 s by default; a second keeps these runs short.
FAST: dict[str, Any] = {"x_stats_sampling_interval": 1.0}
#: What rank 1 holds beyond rank 0, so each rank's samples are told apart.
MIB = 600


def holds_and_prints(config: dict[str, Any]) -> None:
    rank = ray.train.get_context().get_world_rank()
    run = setup_wandb(config) if "wandb" in config else None
    held = b"x" * ((MIB if rank == 1 else 1) << 20)
    print(f"printed by rank {rank}, holding {len(held)} bytes")
    for i in range(1, 5):
        time.sleep(1)
        if run is not None:
            run.log({"i": i})
        ray.train.report({"i": i})


def fit(results: Path, callbacks: list[Any], loop_config: dict[str, Any]) -> None:
    DataParallelTrainer(
        holds_and_prints,
        train_loop_config=loop_config,
        scaling_config=ray.train.ScalingConfig(num_workers=2),
        run_config=ray.train.RunConfig(
            name="ranks", storage_path=str(results), callbacks=callbacks
        ),
    ).fit()


def peak(run: SentRun, label: str) -> float:
    key = f"system.proc.memory.rssMB/l:{label}"
    samples = [float(sample[key]) for sample in run.stats if key in sample]
    assert samples, f"no {key} among {sorted({k for s in run.stats for k in s})[:20]}"
    return max(samples)


@pytest.mark.parametrize("entry", ["setup_wandb", "WandbTrainCallback"])
def test_every_rank_sends_its_metrics_and_output_labelled(
    ray_session: None, results: Path, wire: Proxy, server_key_file: Path, entry: str
) -> None:
    """Two workers, one run: each rank's memory and prints arrive labelled rank_0 and rank_1."""
    settings = online(wire, server_key_file)
    settings["settings"].update(FAST)
    if entry == "setup_wandb":
        fit(results, [], {"wandb": settings})
    else:
        fit(results, [WandbTrainCallback(**settings)], {})
    (run,) = wire.complete(list(sent_runs(wire.requests))).values()
    assert run.column("i") == [1, 2, 3, 4]  # rows from the run's own writer only, once each
    assert (run.exit_code, run.complete) == (0, True)
    # Rank 1's process holds MIB more than rank 0's: each label samples its own rank.
    assert peak(run, "rank_1") > peak(run, "rank_0") + MIB - 150
    for rank in (0, 1):
        printed = [line for line in run.lines if f"printed by rank {rank}," in line]
        assert printed, run.lines
        if rank == 1 or entry == "WandbTrainCallback":
            assert all("[rank_" + str(rank) + "]" in line for line in printed), printed
    assert_no_key_sent(wire)
