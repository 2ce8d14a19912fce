"""Draw the experiment view's picture (``docs/images/experiment.svg``) from a real sweep.

``make picture`` runs a small ASHA sweep offline with ``WandbLogger``, reads
back what W&B wrote with W&B's own reader (``wandb leet inspect --json``), and
draws two panels from it: each trial's run (its ``val_loss`` by
``training_iteration``, its best value marked, early-stopped runs ending
early) and the experiment run's ``trials`` table with its best trial. Nothing
in the picture is typed by hand.
"""

from __future__ import annotations

import math
import sys
from html import escape
from pathlib import Path
from typing import Any

from tests.wandb_reader import RunLog, read_experiment_runs, read_run_logs, read_table

METRIC = "val_loss"
STEP = "tune/training_iteration"
WIDTH, CHART_W, ROW_H, TOP = 980, 470, 24, 70
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def read_sweep(root: Path) -> tuple[list[RunLog], RunLog]:
    """The trials' runs and the experiment run written below ``root``, by W&B's reader."""
    (experiment,) = read_experiment_runs(root)
    return read_run_logs(root), experiment


def trials_table(experiment: RunLog) -> list[dict[str, Any]]:
    """The experiment run's ``trials`` table, from the file its summary points to."""
    return read_table(experiment)


def _text(x: float, y: float, text: str, **attributes: str) -> str:
    extra = "".join(f' {name.replace("_", "-")}="{value}"' for name, value in attributes.items())
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{escape(text)}</text>'


def draw(trials: list[RunLog], experiment: RunLog) -> str:
    """The SVG: each trial's curve on the left, the experiment run's table on the right."""
    rows = sorted(trials_table(experiment), key=lambda row: row["best"])
    best_id = experiment.summary["best/trial_id"]
    colour = {row["trial_id"]: COLOURS[i % len(COLOURS)] for i, row in enumerate(rows)}
    height = max(TOP + 300, TOP + ROW_H * (len(rows) + 3))
    curves = {
        run.run_id: [(row[STEP], row[METRIC]) for row in run.history if METRIC in row]
        for run in trials
    }
    summaries = {run.run_id: run.summary for run in trials}
    steps = [step for points in curves.values() for step, _ in points]
    values = [value for points in curves.values() for _, value in points]
    x0, x1, y0, y1 = 50.0, CHART_W - 10.0, TOP + 10.0, height - 50.0
    low, high = min(values), max(values)

    def at(step: float, value: float) -> tuple[float, float]:
        x = x0 + (step - min(steps)) / max(1, max(steps) - min(steps)) * (x1 - x0)
        # A log scale: early-stopped trials sit far above the good ones.
        span = max(1e-12, math.log(high) - math.log(low))
        y = y1 - (math.log(value) - math.log(low)) / span * (y1 - y0)
        return x, y

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'font-family="Helvetica, Arial, sans-serif" font-size="13">',
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        _text(20, 28, f"W&B group {experiment.run_id.rsplit('-', 1)[0]}", font_weight="bold"),
        _text(20, 48, f"one run per trial: {METRIC} by training_iteration, best marked"),
        _text(CHART_W + 20, 28, "the experiment run: its trials table", font_weight="bold"),
        _text(
            CHART_W + 20,
            48,
            f"best/trial_id = {best_id}, best/value = {experiment.summary['best/value']:.4f}",
        ),
        f'<line x1="{x0}" y1="{y1}" x2="{x1}" y2="{y1}" stroke="#888"/>',
        f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}" stroke="#888"/>',
        _text(x0, y1 + 18, str(min(steps))),
        _text(x1 - 10, y1 + 18, str(max(steps))),
        _text(x0 - 44, y0 + 4, f"{high:.2f}"),
        _text(x0 - 44, y1, f"{low:.2f}"),
    ]
    for run_id, points in curves.items():
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in (at(s, v) for s, v in points))
        width = "3" if run_id == best_id else "1.5"
        out.append(
            f'<polyline points="{path}" fill="none" stroke="{colour.get(run_id, "#999")}" '
            f'stroke-width="{width}"/>'
        )
        summary = summaries[run_id]  # the run's own summary: its best value and step
        x, y = at(summary["tune/best_step"], summary[METRIC]["min"])
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour.get(run_id, "#999")}"/>')
    columns = (
        ("trial_id", 0),
        ("stop_reason", 110),
        ("best", 230),
        ("best_step", 300),
        ("lr", 380),
    )
    left, y = CHART_W + 20, TOP + 14.0
    for name, dx in columns:
        out.append(_text(left + dx, y, name, font_weight="bold"))
    for row in rows:
        y += ROW_H
        if row["trial_id"] == best_id:
            out.append(
                f'<rect x="{left - 6}" y="{y - 16}" width="{WIDTH - left - 8}" height="{ROW_H}" '
                f'fill="#fff3c4"/>'
            )
        out.append(
            f'<rect x="{left - 4}" y="{y - 10}" width="4" height="10" '
            f'fill="{colour[row["trial_id"]]}"/>'
        )
        cells = (
            row["trial_id"],
            row["stop_reason"],
            f"{row['best']:.4f}",
            str(row["best_step"]),
            f"{row.get('lr', 0):.3g}",
        )
        for (_, dx), cell in zip(columns, cells, strict=True):
            out.append(_text(left + dx + 4, y, str(cell)))
    out.append(
        _text(
            20,
            height - 8,
            "dots: each run's best value, as its summary holds it (log scale)",
            fill="#555",
        )
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def run_sweep(storage: str) -> Path:
    """A small ASHA sweep offline with WandbLogger; the experiment's folder."""
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler

    from examples._common import setup
    from examples.demo import EPOCHS, train_fn
    from tune_wandb import WandbLogger

    storage = setup(storage, "picture_results")
    tune.Tuner(
        train_fn,
        param_space={
            "lr": tune.grid_search([0.002, 0.01, 0.05, 0.2, 0.6, 0.9]),
            "l2": 1e-4,
            "batch_size": 64,
        },
        tune_config=tune.TuneConfig(
            metric=METRIC,
            mode="min",
            scheduler=ASHAScheduler(max_t=EPOCHS, grace_period=3),
        ),
        run_config=tune.RunConfig(
            name="picture_sweep",
            storage_path=storage,
            callbacks=[WandbLogger(project="tune-wandb-picture")],
            verbose=0,
        ),
    ).fit()
    return Path(storage, "picture_sweep")


def main(storage: str, out: Path) -> None:
    """Run the sweep into ``storage`` and draw it to ``out``."""
    trials, experiment = read_sweep(run_sweep(storage))
    out.write_text(draw(trials, experiment))
    print(f"drew {len(trials)} trials and the experiment run into {out}")


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
