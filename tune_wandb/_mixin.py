"""``WandbTrainableMixin`` and ``@wandb_mixin``: one W&B run per trial, from inside it.

The run starts before the user's ``setup()`` (each subclass's ``setup`` and
``reset_config`` are wrapped as the class is defined, since user code seldom
calls ``super().setup()``), is the process's ``wandb.run`` so module-level
``wandb.log()`` reaches it, and is finished when the trial stops: exit code 1
when it raised, so W&B shows it failed.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from ray.tune.trainable import Trainable
from ray.tune.trainable.function_trainable import FunctionTrainable, wrap_function

from tune_wandb._identity import RunIdentity
from tune_wandb._log_failures import LogFailures, guard_log
from tune_wandb._results import run_config
from tune_wandb._run import discard_offline_run, finish_run, start_run
from tune_wandb._settings import WandbSettings

if TYPE_CHECKING:
    from ray.tune.execution.placement_groups import PlacementGroupFactory
    from wandb.sdk.wandb_run import Run

_F = TypeVar("_F", bound=Callable[..., Any])

logger = logging.getLogger("tune_wandb")

#: Methods wrapped on every subclass so the run exists before user code runs.
_WRAPPED: tuple[str, ...] = ("setup", "reset_config")

#: ``tune.with_parameters``' keyword arguments for the function running in this
#: thread (Tune's runner thread). Module-level: thread-locals cannot be pickled.
_BOUND = threading.local()


def _bind_fn_kwargs(kwargs: dict[str, Any]) -> None:
    _BOUND.kwargs = kwargs


def _bound_fn_kwargs() -> dict[str, Any]:
    kwargs: dict[str, Any] = getattr(_BOUND, "kwargs", {})
    return kwargs


def _strip(config: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k != "wandb"}


class WandbTrainableMixin:
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

    _wandb_run: Run | None = None
    _wandb_run_trial: str | None = None
    _wandb_settings: WandbSettings | None = None
    _wandb_failures: LogFailures | None = None
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
        for name in _WRAPPED:
            method = cls.__dict__.get(name)
            if callable(method) and not getattr(method, "_tune_wandb_wrapped", False):
                setattr(cls, name, _WRAPPERS[name](method))

    @property
    def wandb(self) -> Run:
        """This trial's W&B run (``wandb.run`` is the same object)."""
        if self._wandb_run is None:
            raise RuntimeError(
                "self.wandb is the trial's W&B run: it exists from setup() until the "
                "trial stops, and only in a Trainable that Tune runs."
            )
        return self._wandb_run

    @classmethod
    def default_resource_request(cls, config: dict[str, Any]) -> PlacementGroupFactory | None:
        """Tune asks this on the driver as it adds a trial: bad settings fail there.

        The driver's API key is shared with the trial's process here too, for
        worker nodes that have no key of their own.
        """
        WandbSettings.from_config(config.get("wandb")).validate().share_key_with_cluster()
        parent: Any = super()
        request: PlacementGroupFactory | None = parent.default_resource_request(config)
        return request

    # The mixin's own hooks; subclasses' overrides are wrapped the same way.
    def setup(self, config: dict[str, Any]) -> None:
        parent: Any = super()
        parent.setup(config)

    def reset_config(self, new_config: dict[str, Any]) -> bool:
        parent: Any = super()
        return bool(parent.reset_config(new_config))

    def train(self) -> dict[str, Any]:
        """Tune's ``train``; a raised error finishes the run as failed first."""
        parent: Any = super()
        self._wandb_trained = True
        try:
            result: dict[str, Any] = parent.train()
        except BaseException:
            self._wandb_end(exit_code=1)
            raise
        return result

    def stop(self) -> None:
        """Tune's ``stop``; finishes the run (failed if cleanup raised the trial's error)."""
        parent: Any = super()
        try:
            parent.stop()
        except BaseException:
            self._wandb_end(exit_code=1)
            raise
        finally:
            self._wandb_end(exit_code=0)
            _teardown_service()

    # -- internals ---------------------------------------------------------

    def _wandb_begin(self, raw_settings: object) -> None:
        trainable: Any = self
        if self._wandb_run is not None:
            if self._wandb_run_trial == trainable.trial_id:
                return  # the same trial again (Tune may reset an actor for its own trial)
            self._wandb_end(exit_code=0)  # actor reuse: the previous trial is over
        settings = WandbSettings.from_config(raw_settings)  # type: ignore[arg-type]  # validated inside
        identity = RunIdentity.from_trainable(trainable, settings)
        self._wandb_settings = settings
        run = start_run(settings, identity, run_config(trainable.config), reinit="finish_previous")
        self._wandb_failures = LogFailures(identity.run_id)
        guard_log(run, self._wandb_failures)
        self._wandb_run = run
        self._wandb_run_trial = trainable.trial_id
        self._wandb_trained = False

    def _wandb_take_settings(self, config: Mapping[str, Any]) -> tuple[object, dict[str, Any]]:
        """Remove ``"wandb"`` from ``self.config``; return it and the stripped ``config``."""
        trainable: Any = self
        raw = trainable.config.pop("wandb", None)
        if raw is None:
            raw = config.get("wandb")
        return raw, _strip(config)

    def _wandb_end(self, *, exit_code: int) -> None:
        run, self._wandb_run = self._wandb_run, None
        if run is None:
            return
        settings = self._wandb_settings or WandbSettings()
        if self._wandb_failures is not None:
            self._wandb_failures.report()
        finish_run(run, exit_code=exit_code, timeout=settings.upload_timeout)
        if not self._wandb_trained:
            discard_offline_run(run)


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


def _wrap_setup(setup: _F) -> _F:
    @functools.wraps(setup)
    def wrapper(
        self: WandbTrainableMixin, config: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        raw, stripped = self._wandb_take_settings(config)
        self._wandb_begin(raw)
        try:
            return setup(self, stripped, *args, **kwargs)
        except BaseException:
            self._wandb_trained = True  # a real failure of this trial: keep its run
            self._wandb_end(exit_code=1)
            raise

    wrapper._tune_wandb_wrapped = True  # type: ignore[attr-defined]  # marker read in __init_subclass__
    return wrapper  # type: ignore[return-value]  # same signature as setup


def _wrap_reset_config(reset_config: _F) -> _F:
    @functools.wraps(reset_config)
    def wrapper(self: WandbTrainableMixin, new_config: dict[str, Any]) -> bool:
        raw, stripped = self._wandb_take_settings(new_config)
        if not reset_config(self, stripped):
            return False
        self._wandb_begin(raw)
        return True

    wrapper._tune_wandb_wrapped = True  # type: ignore[attr-defined]  # marker read in __init_subclass__
    return wrapper  # type: ignore[return-value]  # same signature as reset_config


_WRAPPERS: dict[str, Callable[[Any], Any]] = {
    "setup": _wrap_setup,
    "reset_config": _wrap_reset_config,
}
WandbTrainableMixin.setup = _wrap_setup(WandbTrainableMixin.setup)  # type: ignore[method-assign]  # wrap the mixin's own hook too
WandbTrainableMixin.reset_config = _wrap_reset_config(WandbTrainableMixin.reset_config)  # type: ignore[method-assign]  # likewise


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
    base: Any = wrap_function(call, name=name)

    class _WandbFunctionTrainable(WandbTrainableMixin, base):  # type: ignore[misc]  # base is Tune's generated class
        _wandb_fn_kwargs: dict[str, Any]  # set in setup, from tune.with_parameters

        def setup(self, config: dict[str, Any], **fn_kwargs: Any) -> None:
            self._wandb_fn_kwargs = fn_kwargs
            super().setup(config)

        def _trainable_func(self, config: dict[str, Any]) -> Any:
            _bind_fn_kwargs(self._wandb_fn_kwargs)
            return super()._trainable_func(config)

    cls: type[FunctionTrainable] = _WandbFunctionTrainable
    cls.__name__ = name
    cls.__qualname__ = getattr(func, "__qualname__", name)
    cls.__module__ = getattr(func, "__module__", __name__)
    cls.__doc__ = getattr(func, "__doc__", None)
    cls.__wrapped__ = func  # type: ignore[attr-defined]  # like functools.wraps
    return cls
