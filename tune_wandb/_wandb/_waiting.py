"""Stand-ins for a W&B run that is still starting, used until it has started.

The mixins and ``setup_wandb`` start a trial's run in a thread, beside the
trial's own setup. Until it has started, ``wandb.run``, ``wandb.config``,
``wandb.summary``, ``wandb.log`` (and wandb's other run functions), ``self.wandb``
and the run ``setup_wandb`` returns are these stand-ins: any use of one waits
for the start, then acts on the real run. ``wandb.init`` puts the real objects
in place when it returns, so later uses go to them directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from tune_wandb._wandb import _compat


class NotStarted(AttributeError):
    """Raised to the thread starting the run (wandb's own code) if it looks at ``wandb.run``."""


class Waiting:
    """An object (the run, or one of its attributes) that waits for the run to start.

    Example::

        config = Waiting(lambda: trial_run.run.config)
        config["lr"]  # waits for wandb.init, then reads the real config
    """

    __slots__ = ("_tune_wandb_get",)

    def __init__(self, get: Callable[[], Any]) -> None:
        object.__setattr__(self, "_tune_wandb_get", get)

    def _target(self) -> Any:
        return object.__getattribute__(self, "_tune_wandb_get")()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._target(), name, value)

    def __getitem__(self, key: Any) -> Any:
        return self._target()[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._target()[key] = value

    def __contains__(self, key: Any) -> bool:
        return key in self._target()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._target())

    def __len__(self) -> int:
        return len(self._target())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._target()(*args, **kwargs)

    def __repr__(self) -> str:
        return repr(self._target())

    def __eq__(self, other: object) -> bool:
        return bool(self._target() == other)

    def __hash__(self) -> int:
        return hash(self._target())

    def __bool__(self) -> bool:
        try:
            return bool(self._target())
        except NotStarted:  # wandb.init, asking whether a run exists: not yet
            return False


def install(run: Any) -> None:
    """Make ``run`` (a stand-in for a run being started) ``wandb.run``, if wandb is imported.

    ``wandb.config``, ``wandb.summary``, ``wandb.log`` and the like wait for it
    too. A process that has not imported wandb yet cannot call it before the
    thread that imports it installs them.
    """
    _compat.install_module_run(run, lambda name: Waiting(lambda: getattr(run, name)))
