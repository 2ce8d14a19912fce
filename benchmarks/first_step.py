"""How long a class trainable takes from its construction to its first step, with and without W&B.

``python -m benchmarks.first_step``: 4 trials of the class trainable without
W&B (``PlainClass``) and with ``WandbTrainableMixin`` (``ClassMixin``, whose
first step logs, so it includes waiting for the run), each with no setup and
with a 2 s setup (1 s waiting, 1 s on CPU); prints the median seconds.
"""

from __future__ import annotations

import os
import statistics
import tempfile
from typing import Any


def main() -> None:
    os.environ.setdefault("WANDB_MODE", "offline")
    os.environ.setdefault("WANDB_SILENT", "true")
    import ray
    from ray import tune

    from benchmarks.trainables.ours import PROJECT, ClassMixin
    from benchmarks.trainables.plain import PlainClass

    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    with tempfile.TemporaryDirectory(prefix="tune-wandb-first-step-") as scratch:
        for setup_s in (0.0, 2.0):
            for name, trainable in (("no W&B", PlainClass), ("class mixin", ClassMixin)):
                config: dict[str, Any] = {
                    "steps": 2,
                    "i": tune.grid_search(list(range(4))),
                    "setup_s": setup_s,
                }
                if trainable is ClassMixin:
                    config["wandb"] = {"project": PROJECT}
                analysis = tune.run(trainable, config=config, storage_path=scratch, verbose=0)
                firsts = [t.metric_analysis["to_first_step_s"]["max"] for t in analysis.trials]
                print(
                    f"setup {setup_s:.0f} s, {name:>11}: construction to first step "
                    f"median {statistics.median(firsts):.2f} s "
                    f"({', '.join(f'{x:.2f}' for x in sorted(firsts))})",
                    flush=True,
                )
    ray.shutdown()


if __name__ == "__main__":
    main()
