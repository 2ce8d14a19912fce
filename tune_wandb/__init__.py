"""Ray Tune trials as Weights & Biases runs: one run per trial, typed.

Three entry points, configured by the trial config's ``"wandb"`` key:

- :class:`WandbLogger`, a Tune ``LoggerCallback`` that logs every result;
- :func:`wandb_mixin`, a decorator for function trainables (``wandb.log()``);
- :class:`WandbTrainableMixin`, for class trainables (``self.wandb``).
"""

from tune_wandb._logger import WandbLogger
from tune_wandb._mixin import WandbTrainableMixin, wandb_mixin
from tune_wandb._settings import WandbSettings

__all__ = ["WandbLogger", "WandbSettings", "WandbTrainableMixin", "wandb_mixin"]
__version__ = "0.1.0"
