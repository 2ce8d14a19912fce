"""Where ``setup_wandb`` is called from: a Tune trial, a Ray Train worker, or neither.

Each host gives the run's identity, the worker's rank where there is one, and
a way to finish the run when the host's training ends, in the host's own
thread, before Ray learns that it ended (and may end the process):

- a Tune function trainable: the ``Trainable`` running it is found on the
  call stack, and its ``step`` (which raises the function's error),
  ``reset_config`` and ``cleanup`` (run by ``stop()``) finish the run first;
  its ``save_checkpoint`` (run by ``save()``) shows each reported checkpoint;
- a Ray Train V2 worker: the training thread reports its end (``None``, or the
  error) on its runner's queue; that report finishes the run first. Each
  ``ray.train.report`` goes through the worker's result queue, persisted
  checkpoint included: the queue shows it.

Both reach into Ray's internals (Ray 2.60: ``FunctionTrainable``,
``ray.train.v2``'s ``ThreadRunner``); that is kept to this module.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType
from typing import Any

import attrs

from tune_wandb._identity import TrialIdentity

#: Finishes the run with an exit code; safe to call more than once.
Finisher = Callable[[int], None]
#: Takes a checkpoint the host's training saved (persisted), with its metrics.
Saver = Callable[[Any, Mapping[str, Any]], None]


@attrs.frozen
class Host:
    """What ``setup_wandb`` needs of the place it runs in."""

    identity: TrialIdentity
    #: The worker's world rank in a Ray Train run; ``None`` elsewhere.
    rank: int | None
    #: Arranges for ``finish`` to run when this host's training ends, and for
    #: ``saved`` to see each checkpoint it saves.
    attach: Callable[[Finisher, Saver], None]
    #: A Train run whose reports go to a Tune trial (``TuneReportCallback``).
    reports_to_tune: bool = False


def find_host() -> Host:
    """The host of the calling code (searched: Ray Train worker, Tune trial, plain process)."""
    return _train_worker() or _tune_trial() or _plain()


def _train_worker() -> Host | None:
    try:
        from ray.train.v2._internal.execution.context import get_train_context

        context: Any = get_train_context()
    except Exception:  # noqa: BLE001 - not in a Ray Train V2 worker
        return None
    run_context = context.train_run_context
    storage = context.storage_context
    name = run_context.run_config.name or storage.experiment_dir_name
    local = type(storage.storage_filesystem).__name__ == "LocalFileSystem"
    identity = TrialIdentity(
        trial_id=run_context.run_id,
        trial_name=name,
        experiment=name,
        folder=storage.experiment_fs_path if local else str(Path.cwd()),
    )
    execution = context.execution_context
    runner = execution.training_thread_runner

    def attach(finish: Finisher, saved: Saver) -> None:
        queue = runner._exc_queue
        if isinstance(queue, _FinishFirst):
            queue.finish = finish
        else:
            runner._exc_queue = _FinishFirst(queue, finish)
        reports = execution.result_queue  # a queue.Queue (its context is frozen: not replaced)
        if isinstance(reports.put, _ShowCheckpoints):
            reports.put.saved = saved
        else:
            reports.put = _ShowCheckpoints(reports.put, saved)

    callbacks = run_context.run_config.callbacks or []
    return Host(
        identity=identity,
        rank=context.get_world_rank(),
        attach=attach,
        reports_to_tune=any(type(c).__name__ == "TuneReportCallback" for c in callbacks),
    )


class _FinishFirst:
    """The training thread's end-of-run queue: finishes the run, then passes the news on."""

    def __init__(self, queue: Any, finish: Finisher) -> None:
        self.queue = queue
        self.finish = finish

    def put(self, item: object, *args: Any, **kwargs: Any) -> None:
        self.finish(0 if item is None else 1)
        self.queue.put(item, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.queue, name)


class _ShowCheckpoints:
    """A Train worker's report queue's ``put``: shows each report's checkpoint, then puts it.

    Reports are counted: the n-th is iteration n, as Tune counts a trial's.
    """

    def __init__(self, put: Callable[..., None], saved: Saver) -> None:
        self.put = put
        self.saved = saved
        self.reports = 0

    def __call__(self, item: Any, *args: Any, **kwargs: Any) -> None:
        self.reports += 1
        checkpoint = getattr(item, "checkpoint", None)
        if checkpoint is not None:
            metrics = getattr(item, "metrics", None) or {}
            self.saved(checkpoint, {"training_iteration": self.reports, **metrics})
        self.put(item, *args, **kwargs)


def _tune_trial() -> Host | None:
    from ray.tune.trainable import Trainable

    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        candidate = frame.f_locals.get("self")
        if isinstance(candidate, Trainable):
            return _trial_host(candidate)
        frame = frame.f_back
    return None


def _trial_host(trainable: Any) -> Host:
    identity = TrialIdentity.from_trainable(trainable)
    hooks: dict[str, Any] = trainable.__dict__.setdefault("_tune_wandb_finishers", {})

    def attach(finish: Finisher, saved: Saver) -> None:
        hooks["finish"], hooks["saved"] = finish, saved
        if hooks.get("attached"):
            return
        hooks["attached"] = True
        step, cleanup, reset_config = trainable.step, trainable.cleanup, trainable.reset_config
        save_checkpoint = trainable.save_checkpoint

        def step_then_finish_on_error() -> Any:
            try:
                return step()
            except BaseException:
                hooks["finish"](1)
                raise

        def finish_then_cleanup() -> None:
            hooks["finish"](0)
            cleanup()

        def finish_then_reset(new_config: dict[str, Any]) -> bool:
            hooks["finish"](0)  # actor reuse: the previous trial is over
            return bool(reset_config(new_config))

        def save_checkpoint_then_show(checkpoint_dir: str | None = None) -> Any:
            saved = save_checkpoint(checkpoint_dir)
            checkpoint = getattr(saved, "checkpoint", None)  # a function trainable's report
            if checkpoint is not None:
                metrics = {**(getattr(saved, "metrics", None) or {}), **trainable._last_result}
                hooks["saved"](checkpoint, metrics)
            return saved

        # Trainable.train() calls self.step(), stop() self.cleanup(), reset() self.reset_config(),
        # save() self.save_checkpoint(): instance attributes answer those calls.
        trainable.__dict__.update(
            step=step_then_finish_on_error,
            cleanup=finish_then_cleanup,
            reset_config=finish_then_reset,
            save_checkpoint=save_checkpoint_then_show,
        )

    return Host(identity=identity, rank=None, attach=attach)


def _plain() -> Host:
    from wandb.sdk.lib.runid import generate_id

    run_id = generate_id()
    identity = TrialIdentity(trial_id=run_id, trial_name="", experiment="", folder=str(Path.cwd()))
    return Host(identity=identity, rank=None, attach=lambda finish, saved: None)
