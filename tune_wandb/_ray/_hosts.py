"""Where ``setup_wandb`` is called from: a Tune trial, a Ray Train worker, or neither.

Each host gives the run's identity, the worker's rank where there is one, and
a way to finish the run when the host's training ends, in the host's own
thread, before Ray learns that it ended (and may end the process):

- a Tune function trainable: the ``Trainable`` running it is found on the
  call stack; its ``step`` finishes the run with the function's last result
  (Tune waits for that call; at an experiment's end it gives ``stop()`` only
  10 s) or its error, ``reset_config`` (actor reuse) and ``cleanup`` (run by
  ``stop()``) finish it if it is still open, and ``save_checkpoint`` (run by
  ``save()``) shows each reported checkpoint;
- a Ray Train V2 worker: the training thread's end finishes the run first,
  and each ``ray.train.report`` shows its persisted checkpoint.

Ray's internals for both are in :mod:`._compat`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from tune_wandb._core._failure import Failure
from tune_wandb._core._identity import TrialIdentity
from tune_wandb._ray import _compat

#: Finishes the run: failed (why), or not (``None``); safe to call more than once.
Finisher = Callable[[Failure | None], None]
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


def find_host(new_run_id: Callable[[], str]) -> Host:
    """The host of the calling code (searched: Ray Train worker, Tune trial, plain process).

    ``new_run_id`` names a run outside Ray.
    """
    return _train_worker() or _tune_trial() or _plain(new_run_id())


def _train_worker() -> Host | None:
    context = _compat.train_worker_context()
    if context is None:
        return None
    run_context = context.train_run_context
    storage = context.storage_context
    identity = TrialIdentity.for_train_run(
        run_id=run_context.run_id,
        name=run_context.run_config.name or storage.experiment_dir_name,
        storage_path=storage.storage_fs_path,
        filesystem=storage.storage_filesystem,
    )

    def attach(finish: Finisher, saved: Saver) -> None:
        reports = [0]  # the n-th report is iteration n, as Tune counts a trial's

        def show(report: Any) -> None:
            reports[0] += 1
            checkpoint = getattr(report, "checkpoint", None)
            if checkpoint is not None:
                metrics = getattr(report, "metrics", None) or {}
                saved(checkpoint, {"training_iteration": reports[0], **metrics})

        _compat.on_training_end(context, finish)
        _compat.on_report(context, show)

    callbacks = run_context.run_config.callbacks or []
    return Host(
        identity=identity,
        rank=context.get_world_rank(),
        attach=attach,
        reports_to_tune=any(type(c).__name__ == "TuneReportCallback" for c in callbacks),
    )


def _tune_trial() -> Host | None:
    trainable = _compat.calling_trainable()
    return None if trainable is None else _trial_host(trainable)


def _trial_host(trainable: Any) -> Host:
    identity = TrialIdentity.in_trial(
        trial_id=trainable.trial_id,
        trial_name=trainable.trial_name,
        storage=_compat.trainable_storage(trainable),
    )
    hooks: dict[str, Any] = trainable.__dict__.setdefault("_tune_wandb_finishers", {})

    def attach(finish: Finisher, saved: Saver) -> None:
        hooks["finish"], hooks["saved"] = finish, saved
        if hooks.get("attached"):
            return
        hooks["attached"] = True
        step, cleanup, reset_config = trainable.step, trainable.cleanup, trainable.reset_config
        save_checkpoint = trainable.save_checkpoint

        def step_then_finish_at_the_end() -> Any:
            try:
                result = step()
            except BaseException as error:
                hooks["finish"](_compat.user_failure(error))
                raise
            if isinstance(result, Mapping) and _compat.function_returned(result):
                hooks["finish"](None)  # the function returned: its run is complete
            return result

        def finish_then_cleanup() -> None:
            hooks["finish"](None)
            cleanup()

        def finish_then_reset(new_config: dict[str, Any]) -> bool:
            hooks["finish"](None)  # actor reuse: the previous trial is over
            return bool(reset_config(new_config))

        def save_checkpoint_then_show(checkpoint_dir: str | None = None) -> Any:
            saved = save_checkpoint(checkpoint_dir)
            checkpoint = getattr(saved, "checkpoint", None)  # a function trainable's report
            if checkpoint is not None:
                metrics = {
                    **(getattr(saved, "metrics", None) or {}),
                    **_compat.last_result(trainable),
                }
                hooks["saved"](checkpoint, metrics)
            return saved

        _compat.answer_own_calls(
            trainable,
            step=step_then_finish_at_the_end,
            cleanup=finish_then_cleanup,
            reset_config=finish_then_reset,
            save_checkpoint=save_checkpoint_then_show,
        )

    return Host(identity=identity, rank=None, attach=attach)


def _plain(run_id: str) -> Host:
    return Host(
        identity=TrialIdentity.outside_ray(run_id), rank=None, attach=lambda finish, saved: None
    )
