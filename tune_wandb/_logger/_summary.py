"""The logger's end-of-experiment summary: one line per run, then how to see them."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from ray.tune.experiment import Trial

    from tune_wandb._logger._writer import RunRecord


def _best(trial: Trial | None, metric: str | None, mode: str | None) -> str:
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
) -> str:
    """The summary as text (see :func:`print_summary`)."""
    by_id = {t.trial_id: t for t in trials}
    header = ("run id", "state", f"best {metric}" if metric else "best", "rows", "where")
    rows = []
    for rec in records.values():
        state = "failed" if rec.exit_code else "finished"
        if not rec.finished:
            state += " (not synced)"
        where = rec.url or rec.sync_dir or rec.folder
        rows.append(
            (rec.run_id, state, _best(by_id.get(rec.trial_id), metric, mode), str(rec.rows), where)
        )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    lines = [f"W&B runs ({len(rows)}):"]
    for row in [header, *rows]:
        lines.append(
            "  "
            + "  ".join(c.ljust(w) for c, w in zip(row[:4], widths, strict=True))
            + "  "
            + row[4]
        )
    if lost:
        lines.append(
            f"Not logged: {sum(lost.values())} row(s) of {len(lost)} trial(s) "
            f"({', '.join(sorted(lost))}): no W&B writer process could be had."
        )
    offline = [r.sync_dir for r in records.values() if r.offline and r.sync_dir]
    if offline:
        lines.append(f"View a run:  wandb leet {offline[0]}")
        lines.append(f"Upload all:  wandb sync {sync_pattern(offline)}")
    return "\n".join(lines)


def print_summary(
    records: Mapping[str, RunRecord],
    trials: Sequence[Trial],
    *,
    metric: str | None,
    mode: str | None,
    lost: Mapping[str, int] | None = None,
    file: TextIO | None = None,
) -> None:
    """Print each run's id, state, best value of the experiment's metric and location."""
    print(
        format_summary(records, trials, metric=metric, mode=mode, lost=lost),
        file=file or sys.stdout,
        flush=True,
    )
