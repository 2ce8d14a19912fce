"""The logger's end-of-experiment summary: one line per run, then how to see them."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from ray.tune.experiment import Trial

    from tune_wandb._core._records import RunRecord


def _best(record: RunRecord, trial: Trial | None, metric: str | None, mode: str | None) -> str:
    if record.best is not None:
        return f"{record.best:.6g}"
    if trial is None or not metric:
        return "-"
    stats = trial.metric_analysis.get(metric)
    if not stats:
        return "-"
    value = stats.get(mode or "max")
    return f"{value:.6g}" if isinstance(value, int | float) else "-"


def sync_pattern(paths: Sequence[str]) -> str:
    """One shell glob that matches every run folder in ``paths`` (all offline runs)."""
    if len(paths) == 1:
        return paths[0]
    parent = Path(os.path.commonpath(paths))
    rel = [Path(p).relative_to(parent).parts for p in paths]
    if len({len(parts) for parts in rel}) != 1:
        return " ".join(paths)
    parts = [column[0] if len(set(column)) == 1 else "*" for column in zip(*rel, strict=True)]
    parts[-1] = "offline-run-*"
    return str(parent.joinpath(*parts))


def format_summary(
    records: Mapping[str, RunRecord],
    trials: Sequence[Trial],
    *,
    metric: str | None,
    mode: str | None,
    lost: Mapping[str, int] | None = None,
    experiment: RunRecord | None = None,
) -> str:
    """The summary as text (see :func:`print_summary`)."""
    by_id = {t.trial_id: t for t in trials}
    header = ("run id", "state", "stop", f"best {metric}" if metric else "best", "rows", "where")
    rows = []
    for rec in records.values():
        where = rec.url or rec.sync_dir or rec.folder
        best = _best(rec, by_id.get(rec.trial_id), metric, mode)
        rows.append((rec.run_id, rec.state, rec.stop_reason or "-", best, str(rec.rows), where))
    last = len(header) - 1
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(last)]
    lines = [f"W&B runs ({len(rows)}):"]
    for row in [header, *rows]:
        lines.append(
            "  "
            + "  ".join(c.ljust(w) for c, w in zip(row[:last], widths, strict=True))
            + "  "
            + row[last]
        )
    if experiment is not None:
        where = experiment.url or experiment.sync_dir or experiment.folder
        lines.append(f"Experiment run {experiment.run_id} (a table of every trial): {where}")
    if lost:
        lines.append(
            f"Not logged: {sum(lost.values())} row(s) of {len(lost)} trial(s) "
            f"({', '.join(sorted(lost))}): no W&B writer process could be had."
        )
    offline = [r.sync_dir for r in records.values() if r.offline and r.sync_dir]
    patterns = [sync_pattern(offline)] if offline else []
    if experiment is not None and experiment.offline and experiment.sync_dir:
        lines.append(f"View it:     wandb leet {experiment.sync_dir}")
        patterns.append(experiment.sync_dir)
    elif offline:
        lines.append(f"View a run:  wandb leet {offline[0]}")
    if patterns:
        lines.append(f"Upload all:  wandb sync {' '.join(patterns)}")
    unfinished = [
        r.sync_dir
        for r in [*records.values(), *([experiment] if experiment is not None else [])]
        if not r.offline and not r.finished and r.sync_dir
    ]
    if unfinished:
        lines.append(
            f"Not uploaded in time ({len(unfinished)} run(s), complete on disk): "
            f"wandb sync --include-online {' '.join(unfinished)}"
        )
    return "\n".join(lines)


def print_summary(
    records: Mapping[str, RunRecord],
    trials: Sequence[Trial],
    *,
    metric: str | None,
    mode: str | None,
    lost: Mapping[str, int] | None = None,
    experiment: RunRecord | None = None,
    file: TextIO | None = None,
) -> None:
    """Print each run's id, state, stop reason, best value of the metric and location."""
    print(
        format_summary(records, trials, metric=metric, mode=mode, lost=lost, experiment=experiment),
        file=file or sys.stdout,
        flush=True,
    )
