"""What became of each run: for scripts, the summary, and the attempts that continue it.

Every run's session writes its record into the run's own folder when it
finishes (:data:`RECORD_FILE`), beside what W&B wrote: a later attempt of the
run (``Tuner.restore``, a retry) starts its best value from there, and the
logger finds the runs the mixins wrote there.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any, Final, Literal

import attrs

#: In each run's folder (``.../wandb/offline-run-...``): its record, as JSON.
RECORD_FILE: Final = "tune-wandb-run.json"

#: Why a trial ended, as the logger tells it (``tune/stop_reason`` and a tag on its run).
StopReason = Literal["completed", "early-stopped", "stop-criteria", "error", "interrupted"]


@attrs.frozen(kw_only=True)
class RunRecord:
    """One W&B run the logger wrote, after ``fit()``: ``WandbLogger.runs[trial_id]``.

    Example::

        logger = WandbLogger(project="mnist")
        tune.Tuner(train_fn, run_config=tune.RunConfig(callbacks=[logger])).fit()
        for record in logger.runs.values():
            print(record.trial_id, record.state, record.stop_reason, record.best,
                  record.url or record.sync_dir)
    """

    __module__ = "tune_wandb"  # pickles name the public path, whatever the module

    #: The W&B run id (the trial id unless ``config["wandb"]["id"]`` says otherwise).
    run_id: str
    trial_id: str
    #: The folder the run was written under (the trial's folder).
    folder: str
    #: The run's page; ``None`` offline.
    url: str | None
    #: The run's own folder (``.../wandb/offline-run-...``): what ``wandb sync`` uploads.
    sync_dir: str | None
    offline: bool
    #: Rows logged.
    rows: int
    #: 0: finished; otherwise failed.
    exit_code: int
    #: Whether the run finished writing within ``upload_timeout``.
    finished: bool
    #: Why the trial ended (see :data:`StopReason`); ``None`` for the experiment run.
    stop_reason: StopReason | None = None
    #: The best value of the summary metric, and the step (iteration) it was reached at.
    best: float | None = None
    best_step: int | None = None
    #: Times the trial's config changed (PBT exploits).
    perturbations: int = 0

    def save(self, *, metric: str | None, mode: str) -> None:
        """Write the record into the run's own folder, with the metric its best is of."""
        if not self.sync_dir:
            return
        data = {**attrs.asdict(self), "metric": metric, "mode": mode}
        with contextlib.suppress(OSError):
            Path(self.sync_dir, RECORD_FILE).write_text(json.dumps(data))

    @classmethod
    def saved_in(
        cls, root: str | Path, run_id: str | None = None
    ) -> list[tuple[RunRecord, dict[str, Any]]]:
        """The records saved below ``root`` (of ``run_id`` only, if given), newest first.

        Each comes with the metric and mode its best value is of. A record
        that cannot be read is left out.
        """
        pattern = f"*-{run_id}/{RECORD_FILE}" if run_id else f"*/{RECORD_FILE}"
        found: list[tuple[float, RunRecord, dict[str, Any]]] = []
        fields = {f.name for f in attrs.fields(cls)}
        for path in Path(root).glob(pattern):
            with contextlib.suppress(OSError, ValueError, TypeError):
                data = json.loads(path.read_text())
                record = cls(**{k: v for k, v in data.items() if k in fields})
                extra = {"metric": data.get("metric"), "mode": data.get("mode")}
                found.append((path.stat().st_mtime, record, extra))
        found.sort(key=lambda item: item[0], reverse=True)
        return [(record, extra) for _, record, extra in found]

    @property
    def state(self) -> str:
        """``finished``, ``failed``, or either with `` (not synced)`` when writing timed out."""
        state = "failed" if self.exit_code else "finished"
        return state if self.finished else f"{state} (not synced)"
