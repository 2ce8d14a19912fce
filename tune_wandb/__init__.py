"""Ray Tune trials as Weights & Biases runs: one run per trial, typed.

Three entry points, configured by the trial config's ``"wandb"`` key:

- :class:`WandbLogger`, a Tune ``LoggerCallback`` that logs every result;
- :func:`wandb_mixin`, a decorator for function trainables (``wandb.log()``);
- :class:`WandbTrainableMixin`, for class trainables (``self.wandb``).
"""

import importlib.util

for _package, _install in (("wandb", "wandb"), ("ray.tune", "'ray[tune]'")):
    if importlib.util.find_spec(_package.split(".")[0]) is None:
        raise ImportError(
            f"tune-wandb needs {_package}, which is not installed: pip install {_install}"
        )

from tune_wandb._logger import WandbLogger  # noqa: E402 - after the install check
from tune_wandb._mixin import WandbTrainableMixin, wandb_mixin  # noqa: E402
from tune_wandb._settings import WandbSettings  # noqa: E402

__all__ = ["WandbLogger", "WandbSettings", "WandbTrainableMixin", "wandb_mixin"]
__version__ = "0.1.0"
