"""Every use of a part of Ray that Ray does not promise, each a function named for what it does.

Checked on Ray 2.50 and 2.60, the ends of the range tune-wandb supports
(``tests/test_ray_compat.py`` runs each on both, ``make test-oldest``). A Ray
release that moves one of these breaks this module and its test first, not a
user's trial. Where Ray has a public API for the job, it is used instead,
outside this module.

- the arguments of ``ray.tune.tune.run`` on the call stack (the experiment's
  metric, search space and algorithms, which Tune hands no callback);
- a searcher's or scheduler's metric, mode and budget (``_metric``, ``_mode``,
  ``_max_t``);
- Ray's internal key-value store (values the driver shares with trials);
- PBT's ``_exploit``, which tells callbacks nothing (the lineage);
- where Tune's ``log_to_file`` writes a trial's output (its working folder);
- a trial's actor, and its process and node in Ray's actor table (the
  logger's runs sample the trial's process);
- the ``Trainable`` running the calling code, its storage and last result,
  and instance attributes that answer ``Trainable``'s calls to its own methods;
- Tune's function trainable (``wrap_function``, ``_trainable_func``);
- Ray Train V2's worker context, its training thread's end and its reports;
- Ray Train V2's controller callbacks.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Final

import attrs
from ray.train.v2._internal.execution.callback import (
    ControllerCallback,
    ReportCallback,
    WorkerCallback,
)

from tune_wandb._core._failure import MAX_TRACEBACK, Failure

if TYPE_CHECKING:
    from ray.train._internal.storage import StorageContext
    from ray.tune.experiment import Trial
    from ray.tune.trainable import Trainable
    from ray.tune.trainable.function_trainable import FunctionTrainable

#: The namespace of tune-wandb's entries in Ray's internal key-value store.
STORE_NAMESPACE: Final = "tune_wandb"
#: The metric Tune's schedulers and searchers hold when the user names none.
ANONYMOUS_METRIC: Final = "_metric"


# -- the experiment, as tune.run was called -----------------------------------------


def tune_run_arguments() -> Mapping[str, Any] | None:
    """The arguments of the ``ray.tune.tune.run`` call on this thread's stack, if any.

    ``Tuner.fit`` calls it, and it is on the stack whenever Tune calls a
    callback's ``setup`` or a trainable's ``default_resource_request`` on the
    driver. Its frame holds the arguments after defaults.
    """
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "run" and frame.f_globals.get("__name__") == "ray.tune.tune":
            return frame.f_locals
        frame = frame.f_back
    return None


def declared_metric(component: object) -> tuple[str | None, str | None]:
    """The metric and mode a searcher or scheduler was given (``None`` for Tune's placeholder)."""
    metric = getattr(component, "_metric", None)
    if not isinstance(metric, str) or not metric or metric == ANONYMOUS_METRIC:
        return None, None
    mode = getattr(component, "_mode", None)
    return metric, mode if isinstance(mode, str) else None


def scheduler_budget(scheduler: object) -> int | None:
    """A scheduler's budget in iterations (ASHA's and HyperBand's ``max_t``), if it has one."""
    max_t = getattr(scheduler, "_max_t", None) or getattr(scheduler, "_max_t_attr", None)
    return max_t if isinstance(max_t, int) and not isinstance(max_t, bool) else None


# -- Ray's internal key-value store ---------------------------------------------------


def watch_exploits(
    scheduler: object, seen: Callable[[Trial, Trial, dict[str, Any], int | None], None]
) -> bool:
    """Have ``seen(trial, clone, before, iteration)`` hear each exploit of a PBT (or PB2).

    PBT tells callbacks nothing of an exploit. Its ``_exploit(controller, trial,
    trial_to_clone)`` is wrapped on this one scheduler object: ``before`` is
    the trial's config before it, ``iteration`` the clone's iteration whose
    checkpoint the trial takes (PBT's state of the clone, ``_trial_state``),
    and ``seen`` runs after it (the trial then holds its new config), on
    Tune's loop. A failing ``seen`` is the caller's to catch. Returns whether
    the scheduler exploits at all.
    """
    from ray.tune.schedulers import PopulationBasedTraining

    if not isinstance(scheduler, PopulationBasedTraining):
        return False
    # A scheduler used again (a second experiment) is watched by the newest caller only.
    original = getattr(scheduler._exploit, "_tune_wandb_original", scheduler._exploit)

    def exploit(tune_controller: Any, trial: Trial, trial_to_clone: Trial) -> None:
        before = dict(trial.config)
        state = getattr(scheduler, "_trial_state", {}).get(trial_to_clone)
        taken = (getattr(state, "last_result", None) or {}).get("training_iteration")
        original(tune_controller, trial, trial_to_clone)
        seen(trial, trial_to_clone, before, taken if isinstance(taken, int) else None)

    exploit._tune_wandb_original = original  # type: ignore[attr-defined]  # a marker on our function, read by the next watch
    scheduler._exploit = exploit  # type: ignore[method-assign]  # this instance only
    return True


def trial_output_files(trial: Trial) -> dict[str, str]:
    """Where Tune's ``log_to_file`` writes ``trial``'s stdout and stderr, by stream.

    Ray's trainable writes them in the trial's working folder
    (``StorageContext.trial_working_directory``), on the trial's node. One file
    named for both streams is read once, as stdout. Empty without ``log_to_file``.
    """
    names = trial.log_to_file  # Tune makes it a pair, (None, None) when unset
    folder = trial.storage.trial_working_directory
    files: dict[str, str] = {}
    for stream, name in zip(("stdout", "stderr"), names, strict=False):
        if name and name not in [Path(p).name for p in files.values()]:
            files[stream] = str(Path(folder, name))
    return files


def trial_process(trial: Trial) -> tuple[str, int] | None:
    """The node id and pid of ``trial``'s actor, from Ray's actor table; none without one.

    Tune hands callbacks the trial, whose actor (``temporary_state.ray_actor``)
    is alive once ``on_trial_start`` is called; the table is the GCS's, read
    without a call into the actor (which may be busy with the trial's step).
    """
    from ray._private import state

    actor = trial.temporary_state.ray_actor
    if actor is None:
        return None
    entry = state.actors(actor_id=actor._actor_id.hex())
    pid = int(entry.get("Pid") or 0)
    node = str(entry.get("Address", {}).get("NodeID") or "")
    return (node, pid) if pid and node else None


def job_store_entry(name: str) -> str | None:
    """The store's key for ``name`` in this Ray job; ``None`` where there is no Ray."""
    import ray
    from ray.experimental import internal_kv

    if not ray.is_initialized() or not internal_kv._internal_kv_initialized():
        return None
    return f"{ray.get_runtime_context().get_job_id()}/{name}"


def store_put(entry: str, value: str) -> None:
    """Keep ``value`` under ``entry`` (replacing what was there)."""
    from ray.experimental import internal_kv

    internal_kv._internal_kv_put(entry, value, overwrite=True, namespace=STORE_NAMESPACE)


def store_get(entry: str) -> str | None:
    """The value under ``entry``, or ``None``."""
    from ray.experimental import internal_kv

    value = internal_kv._internal_kv_get(entry, namespace=STORE_NAMESPACE)
    return value.decode() if value else None


def store_delete(entry: str) -> None:
    """Forget ``entry``."""
    from ray.experimental import internal_kv

    internal_kv._internal_kv_del(entry, namespace=STORE_NAMESPACE)


# -- a Tune trainable, from inside it -------------------------------------------------


def calling_trainable() -> Trainable | None:
    """The ``Trainable`` whose method is on this thread's stack (a function trainable's)."""
    from ray.tune.trainable import Trainable

    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        candidate = frame.f_locals.get("self")
        if isinstance(candidate, Trainable):
            return candidate
        frame = frame.f_back
    return None


def trainable_storage(trainable: object) -> StorageContext | None:
    """Where Tune keeps a running trainable's results; ``None`` for one built by hand."""
    storage: StorageContext | None = getattr(trainable, "_storage", None)
    return storage


def last_result(trainable: object) -> dict[str, Any]:
    """The last result a trainable reported (what a function trainable's checkpoint came with)."""
    result = getattr(trainable, "_last_result", None)
    return dict(result) if isinstance(result, Mapping) else {}


def answer_own_calls(trainable: object, **methods: Callable[..., Any]) -> None:
    """Make ``trainable``'s calls to its own methods (``self.step()``, ...) reach ``methods``.

    ``Trainable.train()`` calls ``self.step()``, ``stop()`` ``self.cleanup()``,
    ``reset()`` ``self.reset_config()``, ``save()`` ``self.save_checkpoint()``;
    instance attributes answer those calls before the class's methods.
    """
    trainable.__dict__.update(methods)


def function_returned(result: Mapping[str, Any]) -> bool:
    """Whether a function trainable's ``step`` result says its function has returned.

    Tune marks it as the duplicate of the last result (``__duplicate__``); the
    controller adds ``done=True`` only on the driver. (A class trainable's
    ``done`` is not this: Tune may still save its checkpoint at the end.)
    """
    from ray.tune.result import RESULT_DUPLICATE

    return RESULT_DUPLICATE in result


def function_trainable(
    call: Callable[..., Any], *, name: str, before_call: Callable[[Any], None]
) -> type[FunctionTrainable]:
    """Tune's function trainable class for ``call``, with ``before_call(self)`` in its thread.

    ``wrap_function`` builds the class Tune builds for a function; its
    ``_trainable_func`` runs the function in Tune's runner thread, where
    ``before_call`` runs first.
    """
    from ray.tune.trainable.function_trainable import wrap_function

    base: Any = wrap_function(call, name=name)

    class _Function(base):  # type: ignore[misc]  # base is Tune's generated class
        def _trainable_func(self, config: dict[str, Any]) -> Any:
            before_call(self)
            # Named, not super(): Tune pickles the class by value, and a copy's
            # zero-argument super() would still name the original class.
            return base._trainable_func(self, config)

    cls: type[FunctionTrainable] = _Function
    return cls


# -- Ray Train V2 ------------------------------------------------------------------


def train_worker_context() -> Any | None:
    """The Ray Train V2 context of this worker, or ``None`` outside one."""
    try:
        from ray.train.v2._internal.execution.context import get_train_context

        return get_train_context()
    except Exception:  # noqa: BLE001 - not in a Ray Train V2 worker
        return None


def user_failure(error: object) -> Failure | None:
    """The user's error inside Ray's wrappers, as a :class:`Failure` (``None`` for none).

    Tune's function trainables raise it wrapped in ``StartTraceback``; Train V2
    workers report a ``UserExceptionWithTraceback`` that keeps the traceback as
    text, beside the exception.
    """
    if error is None:
        return None
    base = getattr(error, "_base_exc", None)
    if isinstance(base, BaseException):
        failure = Failure.from_exception(base)
        text = getattr(error, "_traceback_str", None)
        if isinstance(text, str) and text:
            failure = attrs.evolve(failure, traceback=text[-MAX_TRACEBACK:])
        return failure
    while (
        isinstance(error, BaseException)
        and type(error).__name__.startswith("StartTraceback")
        and error.__cause__ is not None
    ):
        error = error.__cause__
    if isinstance(error, BaseException):
        return Failure.from_exception(error)
    return Failure.from_text(str(error))


def on_training_end(context: Any, callback: Callable[[Failure | None], None]) -> None:
    """Call ``callback(failure)`` in the training thread as it ends, before Train hears of it.

    ``failure`` is ``None`` when the training function returned.

    The thread reports its end (``None``, or the error) on its runner's queue;
    the report is passed on after ``callback`` returns. A later call replaces
    the callback.
    """
    runner = context.execution_context.training_thread_runner
    queue = runner._exc_queue
    if isinstance(queue, _EndFirst):
        queue.callback = callback
    else:
        runner._exc_queue = _EndFirst(queue, callback)


def on_report(context: Any, callback: Callable[[Any], None]) -> None:
    """Call ``callback(report)`` for each ``ray.train.report`` of this worker, as it is queued.

    A report carries its ``metrics`` and its persisted ``checkpoint``. A later
    call replaces the callback.
    """
    reports = context.execution_context.result_queue  # a queue.Queue; its context is frozen
    if isinstance(reports.put, _SeeFirst):
        reports.put.callback = callback
    else:
        reports.put = _SeeFirst(reports.put, callback)


class _EndFirst:
    """The training thread's end-of-run queue: calls back with the error, then passes on."""

    def __init__(self, queue: Any, callback: Callable[[Failure | None], None]) -> None:
        self.queue = queue
        self.callback = callback

    def put(self, item: object, *args: Any, **kwargs: Any) -> None:
        self.callback(user_failure(item))
        self.queue.put(item, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.queue, name)


class _SeeFirst:
    """A worker's report queue's ``put``: shows each report, then puts it."""

    def __init__(self, put: Callable[..., None], callback: Callable[[Any], None]) -> None:
        self.put = put
        self.callback = callback

    def __call__(self, item: Any, *args: Any, **kwargs: Any) -> None:
        self.callback(item)
        self.put(item, *args, **kwargs)


class ControllerHooks(ControllerCallback, ReportCallback, WorkerCallback):
    """The Train controller's own callbacks (``DeveloperAPI``): its start, reports and finish.

    ``ray.train.UserCallback`` sees reports and errors but not the run's start
    or end; ``RunConfig(callbacks=...)`` accepts these as well. As a worker
    callback, Train also sends a copy to every worker, where
    ``after_init_train_context`` runs once the worker's Train context is set.
    """
