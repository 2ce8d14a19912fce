"""Both typed forms of config["wandb"], as mypy sees them; an E-comment marks each expected error.

tests/test_config_dict.py runs mypy on this file; the package's own mypy run skips it.
"""

from __future__ import annotations

from typing import assert_type

from ray import tune

from tune_wandb import WandbConfig, WandbSettings

good = WandbConfig(project="p", tags=["a"], excludes=["pid"], run_id="r1", summary_mode="max")
assert_type(good["project"], str)
space = {"lr": tune.loguniform(1e-4, 1e-1), "wandb": good}

typo = WandbConfig(projekt="p")  # E: typeddict-unknown-key
wrong_type = WandbConfig(log_config="yes")  # E: typeddict-item
wrong_mode = WandbConfig(summary_mode="best")  # E: typeddict-item
managed = WandbConfig(resume="allow")  # E: typeddict-unknown-key

settings = WandbSettings(project="p", excludes=("pid",), init_kwargs={"tags": ["a"]})
assert_type(settings.project, str | None)
assert_type(settings.excludes, tuple[str, ...])
typed_space = {"lr": 0.1, "wandb": settings}
bad_settings = WandbSettings(projekt="p")  # E: call-arg
