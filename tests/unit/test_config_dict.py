"""WandbConfig: the TypedDict a user types config["wandb"] with has exactly the valid keys."""

from __future__ import annotations

import attrs

from tune_wandb import WandbConfig, WandbSettings
from tune_wandb._core._settings import ALIASES, RESERVED_INIT_KEYS, wandb_init_parameters


def test_keys_are_the_settings_and_wandb_inits_parameters() -> None:
    """WandbConfig has every WandbSettings field, wandb.init parameter and seed alias."""
    settings = {f.name for f in attrs.fields(WandbSettings)} - {"init_kwargs"}
    init = wandb_init_parameters() - RESERVED_INIT_KEYS
    assert set(WandbConfig.__annotations__) == settings | init | set(ALIASES)
