"""Ray Tune trials as Weights & Biases runs: one run per trial, typed.

Entry points, all configured by the trial config's ``"wandb"`` key:

- :class:`WandbLogger`, a Tune ``LoggerCallback`` that logs every result;
- :func:`wandb_mixin`, a decorator for function trainables (``wandb.log()``);
- :class:`WandbTrainableMixin`, for class trainables (``self.wandb``);
- :func:`setup_wandb`, a drop-in for Ray's, in a Tune function or a Ray Train
  worker, whose run is finished for you;
- :class:`WandbTrainCallback`, one run per Ray Train run, from its controller.

The names are imported on first use, so the logger's writer process, which
imports this package, does not pay for importing Ray Tune.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

for _package, _install in (("wandb", "wandb"), ("ray.tune", "'ray[tune]'")):
    if importlib.util.find_spec(_package.split(".")[0]) is None:
        raise ImportError(
            f"tune-wandb needs {_package}, which is not installed: pip install {_install}"
        )

from tune_wandb import _moved  # noqa: E402 - after the install hint above

_moved.install()  # experiments pickled by 0.1.0 name modules that have moved since

if TYPE_CHECKING:
    from tune_wandb._core._config_dict import WandbConfig
    from tune_wandb._core._records import RunRecord
    from tune_wandb._core._settings import WandbSettings
    from tune_wandb._logger._callback import WandbLogger
    from tune_wandb._mixin import WandbTrainableMixin, wandb_mixin
    from tune_wandb._train._callback import WandbTrainCallback
    from tune_wandb._train._setup import setup_wandb

__all__ = [
    "RunRecord",
    "WandbConfig",
    "WandbLogger",
    "WandbSettings",
    "WandbTrainCallback",
    "WandbTrainableMixin",
    "setup_wandb",
    "wandb_mixin",
]
__version__ = "0.1.0"

_HOMES = {
    "WandbLogger": "tune_wandb._logger._callback",
    "RunRecord": "tune_wandb._core._records",
    "WandbConfig": "tune_wandb._core._config_dict",
    "WandbSettings": "tune_wandb._core._settings",
    "WandbTrainableMixin": "tune_wandb._mixin",
    "wandb_mixin": "tune_wandb._mixin",
    "WandbTrainCallback": "tune_wandb._train._callback",
    "setup_wandb": "tune_wandb._train._setup",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'tune_wandb' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    # Each public name says it is tune_wandb's (set where it is defined): pickles,
    # reprs and docs show tune_wandb.X, so moving a private module breaks no user.
    assert value.__module__ == __name__, f"{name}.__module__ is {value.__module__}"
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
