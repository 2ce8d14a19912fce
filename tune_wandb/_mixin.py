"""``WandbTrainableMixin`` and ``@wandb_mixin``: one W&B run per trial, from inside it.

The run starts before the user's ``setup()`` (the mixin's ``__init__`` puts a
one-shot ``setup`` on the instance, which ``Trainable.__init__`` calls once the
trial is known; user code seldom calls ``super().setup()``), is the process's
``wandb.run`` so module-level ``wandb.log()`` reaches it, and is finished when
the trial stops: exit code 1 when it raised, so W&B shows it failed.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ray.tune.trainable import Trainable

from tune_wandb._core._failure import Failure
from tune_wandb._core._identity import TrialIdentity
from tune_wandb._core._plan import resolve_mode
from tune_wandb._core._prepare import EntryPoint, check, mark_writes_own_run, prepare
from tune_wandb._core._settings import WandbSettings, without_settings
from tune_wandb._core._tune_rows import TuneRows
from tune_wandb._ray import _compat
from tune_wandb._ray._cluster_store import share_with_cluster, shared_key
from tune_wandb._ray._experiment import (
    find_experiment,
    logger_beside,
    share_experiment,
    shared_experiment,
    shared_stop_reason,
)
from tune_wandb._ray._resources import assigned_gpus
from tune_wandb._wandb._trial_run import TrialRun

if TYPE_CHECKING:
    from ray.train._internal.session import _TrainingResult
    from ray.tune.execution.placement_groups import PlacementGroupFactory
    from ray.tune.trainable.function_trainable import FunctionTrainable
    from wandb.sdk.wandb_run import Run

    from tune_wandb._core._records import StopReason

    # For the type checker the mixin is a Trainable, so its calls to Trainable's
    # methods (super().train(), self.trial_id) are checked; at run time it is a
    # plain class that the user puts before Trainable.
    _Base = Trainable
else:
    _Base = object

logger = logging.getLogger("tune_wandb")

#: ``tune.with_parameters``' keyword arguments for the function running in this
#: thread (Tune's runner thread). Module-level: thread-locals cannot be pickled.
#: (Its two functions keep their names: trainables pickled by 0.1.0 name them.)
_BOUND = threading.local()


def _bind_fn_kwargs(kwargs: dict[str, Any]) -> None:
    _BOUND.kwargs = kwargs


def _bound_fn_kwargs() -> dict[str, Any]:
    kwargs: dict[str, Any] = getattr(_BOUND, "kwargs", {})
    return kwargs


@mark_writes_own_run  # the logger leaves its trials to it
class WandbTrainableMixin(_Base):
    """Gives a class ``Trainable`` its own W&B run per trial, as ``self.wandb``.

    Put it before ``Trainable`` in the bases. Settings come from the trial
    config's ``"wandb"`` key (see :class:`WandbSettings`); your ``setup()``
    and ``self.config`` see the config without it.

    Example::

        class MyTrainable(WandbTrainableMixin, tune.Trainable):
            def setup(self, config):
                self.lr = config["lr"]

            def step(self):
                loss = 1 / self.lr
                self.wandb.log({"loss": loss})
                return {"loss": loss}

        tune.run(MyTrainable, config={"lr": tune.uniform(0.1, 1), "wandb": {"project": "p"}})
    """

    __module__ = "tune_wandb"  # pickles name the public path, whatever the module
    #: Which entry point this is, in errors (the decorator's class says so).
    _wandb_entry: EntryPoint = "class mixin"
    #: The run finishes with the trial's last result, inside ``train()``, which Tune
    #: waits for: a function trainable saves nothing after it (no ``checkpoint_at_end``),
    #: and ``stop()``, at an experiment's end, gets 10 s before Tune kills the process.
    _wandb_finish_at_done: bool = False
    _wandb_open: TrialRun | None = None
    _wandb_run_trial: str | None = None
    #: Whether the current trial has trained on this actor. Tune may build an
    #: actor for one trial and hand it another (``reuse_actors``): a run whose
    #: trial never trained here is provisional and is discarded, not kept twice.
    _wandb_trained: bool = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        mro = cls.__mro__
        if Trainable in mro and mro.index(Trainable) < mro.index(WandbTrainableMixin):
            raise TypeError(
                f"{cls.__name__}: put WandbTrainableMixin before Trainable in the bases, "
                f"as in class {cls.__name__}(WandbTrainableMixin, tune.Trainable), so the "
                f"W&B run starts before setup() and finishes when the trial stops."
            )

    def __init__(self, config: dict[str, Any] | None = None, *args: Any, **kwargs: Any) -> None:
        config = config or {}
        # Trainable.__init__ learns the trial, then calls self.setup(): an instance
        # attribute answers that one call, starts the run, then gets out of the way.
        cls_setup = self.setup

        def setup(*setup_args: Any, **setup_kwargs: Any) -> None:
            del self.__dict__["setup"]
            self._wandb_begin(config)
            try:
                cls_setup(*setup_args, **setup_kwargs)
            except BaseException as error:
                self._wandb_confirm()  # a real failure of this trial: keep its run
                self._wandb_end(exit_code=1, error=error)
                raise

        self.__dict__["setup"] = setup
        super().__init__(without_settings(config), *args, **kwargs)

    @property
    def wandb(self) -> Run:
        """This trial's W&B run (``wandb.run`` is the same object).

        The run starts beside ``setup()``: until it has, this is a stand-in that
        waits for it when used (``self.wandb.log(...)``).
        """
        if self._wandb_open is None:
            raise RuntimeError(
                "self.wandb is the trial's W&B run: it exists from setup() until the "
                "trial stops, and only in a Trainable that Tune runs."
            )
        return self._wandb_open.current

    @classmethod
    def default_resource_request(cls, config: dict[str, Any]) -> PlacementGroupFactory | None:
        """Tune asks this on the driver as it adds a trial: bad settings fail there.

        The driver's API key is shared with the trial's process here too, for
        worker nodes that have no key of their own, and so is the experiment's
        metric and mode, for the best-value summary.
        """
        settings = WandbSettings.for_trial(config)
        facts = find_experiment()
        check(settings, cls._wandb_entry, facts)
        online = resolve_mode(settings) in ("online", "shared")
        share_with_cluster(settings.api_key, settings.api_key_file, online=online)
        share_experiment(facts)
        return super().default_resource_request(config)

    def reset(self, new_config: dict[str, Any], *args: Any, **kwargs: Any) -> bool:
        """Tune's actor reuse: the next trial's run starts once ``reset_config`` agrees."""
        if not super().reset(without_settings(new_config), *args, **kwargs):
            return False
        self._wandb_begin(new_config)
        return True

    def train(self) -> dict[str, Any]:
        """Tune's ``train``; a raised error finishes the run as failed first.

        A run that could not start (``offline_fallback=False``) fails the trial
        with ``wandb.init``'s error, at the latest on its last result.
        """
        self._wandb_confirm()
        try:
            result = super().train()
            held = self._wandb_open
            returned = _compat.function_returned(result)  # Tune's copy of the last result
            if held is not None and not returned:
                held.reported(result)
            last = result.get("done") or returned
            if held is not None and (last or held.start_failed()):
                held.run  # noqa: B018 - waits for the start; raises what it raised
            if held is not None and self._wandb_finish_at_done and returned:
                self._wandb_end(exit_code=0, stop_reason="completed")
            return result
        except BaseException as error:
            self._wandb_end(exit_code=1, error=error)
            raise

    def save(self, checkpoint_dir: str | None = None) -> _TrainingResult:
        """Tune's ``save``; the checkpoint goes to the run's uploader (``upload_checkpoints``)."""
        saved = super().save(checkpoint_dir)
        if self._wandb_open is not None:
            self._wandb_open.saved(saved.checkpoint, saved.metrics)
        return saved

    def stop(self) -> None:
        """Tune's ``stop``; finishes the run (failed if cleanup raised the trial's error)."""
        try:
            super().stop()
        except BaseException as error:
            self._wandb_end(exit_code=1, error=error)
            raise
        finally:
            self._wandb_end(exit_code=0, stop_reason=self._wandb_stop_reason())
            _teardown_service()

    # -- internals ---------------------------------------------------------

    def _wandb_begin(self, trial_config: Mapping[str, Any]) -> None:
        if self._wandb_open is not None:
            if self._wandb_run_trial == self.trial_id:
                return  # the same trial again (Tune may reset an actor for its own trial)
            self._wandb_end(exit_code=0)  # actor reuse: the previous trial is over
        settings = WandbSettings.for_trial(trial_config)
        identity = TrialIdentity.in_trial(
            trial_id=self.trial_id,
            trial_name=self.trial_name,
            storage=_compat.trainable_storage(self),
        )
        facts = None if settings.summary_metric else shared_experiment(identity.experiment)
        plan = prepare(
            settings,
            identity,
            self.config,
            entry=self._wandb_entry,
            experiment=facts,
            shared_keys=shared_key,
            gpus=assigned_gpus(),
        )
        beside = logger_beside(identity.experiment)
        self._wandb_open = TrialRun.start(
            plan,
            checkpoints=settings.checkpoint_mode,
            explicit=bool(settings.summary_metric),
            tune_rows=TuneRows.for_trial(self.trial_id, plan.excludes) if beside else None,
        )
        self._wandb_run_trial = self.trial_id
        self._wandb_trained = False
        self._wandb_open.mark_provisional()

    def _wandb_confirm(self) -> None:
        if not self._wandb_trained and self._wandb_open is not None:
            self._wandb_open.confirm()
        self._wandb_trained = True

    def _wandb_stop_reason(self) -> StopReason | None:
        """Why Tune ended the trial, as a ``WandbLogger`` beside the mixin said."""
        held = self._wandb_open
        if held is None or held.tune_rows is None or self._wandb_run_trial is None:
            return None
        return shared_stop_reason(self._wandb_run_trial)

    def _wandb_end(
        self,
        *,
        exit_code: int,
        error: BaseException | None = None,
        stop_reason: StopReason | None = None,
    ) -> None:
        held, self._wandb_open = self._wandb_open, None
        if held is not None:
            failure = None if error is None else Failure.from_exception(error)
            if failure is not None:
                stop_reason = "error"
            held.finish(
                exit_code,
                discard=not self._wandb_trained,
                failure=failure,
                stop_reason=stop_reason if held.tune_rows is not None else None,
            )


def _teardown_service() -> None:
    """Close this worker's wandb service connection while the actor is still alive.

    Ray ends actor processes abruptly; wandb's own exit hook then finds its
    service gone and prints a traceback. The actor is being stopped, so no
    run needs the service any more.
    """
    import wandb

    try:
        wandb.teardown()
    except Exception:
        logger.debug("tune-wandb: wandb.teardown failed", exc_info=True)


def wandb_mixin(func: Callable[..., Any]) -> type[FunctionTrainable]:
    """Make a Tune training function log to its trial's W&B run with ``wandb.log()``.

    Returns a ``Trainable`` class combining :class:`WandbTrainableMixin` with
    Tune's function trainable; it keeps the function's name, and works with
    ``tune.run``, ``tune.Tuner``, ``tune.with_parameters``,
    ``tune.with_resources`` and ``reuse_actors=True``.

    Example::

        @wandb_mixin
        def train_fn(config):
            for i in range(10):
                loss = config["a"] + config["b"]
                wandb.log({"loss": loss})
                tune.report({"loss": loss})

        tune.run(train_fn, config={"a": 1, "b": 2, "wandb": {"project": "p"}})
    """
    if inspect.isclass(func):
        raise TypeError(
            f"wandb_mixin decorates a training function, not the class {func.__name__}; "
            f"for a Trainable class write class {func.__name__}(WandbTrainableMixin, "
            f"tune.Trainable)."
        )
    if not callable(func):
        raise TypeError(f"wandb_mixin decorates a training function, got {type(func).__name__}.")

    if inspect.isgeneratorfunction(func):

        def call(config: dict[str, Any]) -> Any:
            return (yield from func(config, **_bound_fn_kwargs()))

    else:

        def call(config: dict[str, Any]) -> Any:
            return func(config, **_bound_fn_kwargs())

    if hasattr(func, "_resources"):  # tune.with_resources applied before the decorator
        call._resources = func._resources  # type: ignore[attr-defined]  # read by wrap_function
    name = getattr(func, "__name__", "func")
    base: Any = _compat.function_trainable(
        call, name=name, before_call=lambda trainable: _bind_fn_kwargs(trainable._wandb_fn_kwargs)
    )

    class _WandbFunctionTrainable(WandbTrainableMixin, base):  # type: ignore[misc]  # base is Tune's generated class
        _wandb_entry: EntryPoint = "decorator"
        _wandb_finish_at_done = True
        _wandb_fn_kwargs: dict[str, Any]  # set in setup, from tune.with_parameters

        def setup(self, config: dict[str, Any], **fn_kwargs: Any) -> None:
            self._wandb_fn_kwargs = fn_kwargs
            super().setup(config)

    cls: type[FunctionTrainable] = _WandbFunctionTrainable
    cls.__name__ = name
    cls.__qualname__ = getattr(func, "__qualname__", name)
    cls.__module__ = getattr(func, "__module__", __name__)
    cls.__doc__ = getattr(func, "__doc__", None)
    cls.__wrapped__ = func  # type: ignore[attr-defined]  # like functools.wraps
    return cls


wandb_mixin.__module__ = "tune_wandb"  # pickles name the public path
