"""System metrics of a logger trial on another node: a writer on that node, into the driver's run.

W&B's system monitor reads a process by its pid, on the machine it runs on,
and the logger's runs are written on the driver. For a trial elsewhere, one
small actor per node (no CPUs, pinned to the node, named after it so trials
share it) starts a labelled writer into the trial's run in W&B's shared mode
(:func:`~tune_wandb._core._rank_plan.trial_plan`), pointed at the trial's pid,
and finishes it when the trial ends. Online only: offline, a writer on another
node could only write a run folder of its own there.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from tune_wandb._wandb._rank_run import RankRun

if TYPE_CHECKING:
    from tune_wandb._core._plan import RunPlan

logger = logging.getLogger("tune_wandb")

#: The actors' name prefix, with the node id after it.
_NAME = "tune-wandb-node-share-"


class NodeShare:
    """The writers of one node's trials (the body of a Ray actor on that node)."""

    def __init__(self) -> None:
        import wandb  # noqa: F401 - now, not in the first trial's few seconds

        self._writers: dict[str, RankRun] = {}

    def ready(self) -> bool:
        """Whether the actor is up (it is, once this answers)."""
        return True

    def start(self, plan: RunPlan) -> None:
        """Start sampling for ``plan``'s trial (a restarted trial's earlier writer ends)."""
        self.stop(plan.run_id)
        self._writers[plan.run_id] = RankRun.start(plan)

    def stop(self, run_id: str) -> None:
        """The trial ended: finish its writer, if any, beside the next trials' starts.

        A finish waits for the writer's upload; in the actor's one thread it would
        hold back every trial starting on this node meanwhile, and their first samples.
        """
        writer = self._writers.pop(run_id, None)
        if writer is not None:
            threading.Thread(target=writer.finish, name="tune-wandb-node-finish").start()


class NodeShares:
    """The driver's handles on the node actors, by node, and which trial sampled where."""

    def __init__(self) -> None:
        self._actors: dict[str, Any] = {}
        self._trials: dict[str, Any] = {}

    def warm(self) -> None:
        """Start the actor of every other node with CPUs now, before its first trial.

        A Ray worker process and ``import wandb`` take seconds; started at a
        trial's start, the writer would miss that trial's first samples.
        """
        import ray

        try:
            here = ray.get_runtime_context().get_node_id()
            for node in ray.nodes():
                resources = node.get("Resources") or {}
                if node.get("Alive") and node["NodeID"] != here and resources.get("CPU"):
                    self._actor(node["NodeID"])
        except Exception:  # the first trial on a node starts it instead
            logger.debug("tune-wandb: the nodes' writers were not started early", exc_info=True)

    def start(self, plan: RunPlan, node: str) -> bool:
        """Ask ``node``'s actor to sample for ``plan`` (no waiting); whether it was asked."""
        try:
            actor = self._actor(node)
            actor.start.remote(plan)
        except Exception as error:  # noqa: BLE001 - a trial never fails for W&B
            logger.warning(
                "tune-wandb: no system metrics for trial %r on node %s: %s",
                plan.trial_id,
                node,
                error,
            )
            return False
        self._trials[plan.run_id] = actor
        return True

    def stop(self, run_id: str) -> None:
        """The trial ended: its node's actor finishes its writer."""
        actor = self._trials.pop(run_id, None)
        if actor is not None:
            try:
                actor.stop.remote(run_id)
            except Exception:  # the node may be gone
                logger.debug("tune-wandb: the node's writer was not stopped", exc_info=True)

    def _actor(self, node: str) -> Any:
        found = self._actors.get(node)
        if found is None:
            import ray
            from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

            found = (
                ray.remote(NodeShare)
                .options(
                    name=_NAME + node,
                    get_if_exists=True,
                    num_cpus=0,
                    scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False),
                )
                .remote()
            )
            self._actors[node] = found
        return found
