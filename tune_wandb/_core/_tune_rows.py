"""Tune's results as rows of a mixin's run, under ``tune/``, beside a ``WandbLogger``.

With ``WandbLogger`` and a mixin in one experiment, each trial keeps one run,
the mixin's, holding the rows the user logs with ``wandb.log``. Tune's results
(the metrics the trial reports, and Tune's own, such as ``training_iteration``)
would otherwise reach no run: the mixin logs them too, cleaned as the logger
cleans them, each name under ``tune/`` so the two sets never overwrite each
other. The ``tune/`` charts step by ``tune/training_iteration``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import attrs

from tune_wandb._core._results import RENAMED_PREFIX, ResultCleaner

#: The x-axis of every ``tune/`` chart in a mixin's run.
TUNE_STEP: Final = RENAMED_PREFIX + "training_iteration"


@attrs.define
class TuneRows:
    """Turns one trial's Tune results into rows under ``tune/`` for the mixin's run.

    Example::

        >>> rows = TuneRows(ResultCleaner(trial="t_00000"))
        >>> rows.row({"loss": 0.5, "training_iteration": 3, "info": {"lr": 0.1}, "done": False})
        {'tune/loss': 0.5, 'tune/training_iteration': 3, 'tune/info/lr': 0.1}
    """

    cleaner: ResultCleaner

    @classmethod
    def for_trial(cls, trial_id: str, excludes: tuple[str, ...] = ()) -> TuneRows:
        """Rows for ``trial_id``'s results, leaving out ``excludes`` as the logger would."""
        return cls(ResultCleaner(excludes=excludes, trial=trial_id))

    def row(self, result: Mapping[str, Any]) -> dict[str, Any]:
        """``result``'s metrics, each named under ``tune/`` once (an empty row for none)."""
        metrics = self.cleaner.clean(result).metrics
        return {
            name if name.startswith(RENAMED_PREFIX) else RENAMED_PREFIX + name: value
            for name, value in metrics.items()
        }
