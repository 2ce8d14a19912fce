"""Read back what W&B wrote, with W&B's own reader (``wandb leet inspect --json``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Final

import attrs

# ``wandb leet inspect --json`` came with wandb 0.31; the oldest-versions job
# (``make test-oldest``) writes runs with an older wandb and reads them back with
# the newest one's CLI, named by TUNE_WANDB_READER.
WANDB = os.environ.get("TUNE_WANDB_READER") or str(Path(sys.executable).with_name("wandb"))


@attrs.frozen
class RunLog:
    """One run's transaction log, as W&B's reader prints it."""

    path: Path
    run_id: str
    project: str
    group: str
    name: str
    config: dict[str, Any]
    history: list[dict[str, Any]]
    exit_code: int | None
    tags: list[str] = attrs.field(factory=list)
    job_type: str = ""
    summary: dict[str, Any] = attrs.field(factory=dict)
    artifacts: list[dict[str, Any]] = attrs.field(factory=list)
    #: Console output records: ``("STDOUT" | "STDERR", line)``, in order.
    output: list[tuple[str, str]] = attrs.field(factory=list)
    #: System metrics samples (``proc.memory.rssMB``, ``cpu``, ...), in order.
    stats: list[dict[str, Any]] = attrs.field(factory=list)

    @property
    def printed(self) -> str:
        """The run's console output as one text (both streams, in order)."""
        return "".join(line for _, line in self.output)

    @property
    def metrics(self) -> list[dict[str, Any]]:
        """History rows without W&B's own ``_``-keys."""
        return [{k: v for k, v in row.items() if not k.startswith("_")} for row in self.history]

    def column(self, key: str) -> list[Any]:
        """The values of one metric, in step order."""
        return [row[key] for row in self.history if key in row]

    @property
    def steps(self) -> list[int]:
        return [int(row["_step"]) for row in self.history]


def read_run(path: Path) -> RunLog:
    """Parse one ``.wandb`` file."""
    out = subprocess.run(
        [WANDB, "leet", "inspect", "--json", str(path)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    run: dict[str, Any] = {}
    config: dict[str, Any] = {}
    history: list[dict[str, Any]] = []
    exit_code: int | None = None
    summary: dict[str, Any] = {}
    artifacts: list[dict[str, Any]] = []
    output: list[tuple[str, str]] = []
    stats: list[dict[str, Any]] = []
    for line in out.splitlines():
        record = json.loads(line)
        kind = record["type"]
        if kind == "run":
            run = record["run"]
            config.update(run.get("config", {}).get("update", {}))
        elif kind == "config":
            config.update(record["config"].get("update", {}))
        elif kind == "history":
            history.append(record["history"]["item"])
        elif kind == "summary":
            summary.update(record["summary"].get("update", {}))
        elif kind == "artifact":
            artifacts.append(record["artifact"])
        elif kind == "exit":
            exit_code = int(record["exit"].get("exit_code", 0))
        elif kind == "stats":
            stats.append(record["stats"]["item"])
        elif kind in ("output", "output_raw"):  # STDERR is the enum's zero, left out
            output.append((record[kind].get("output_type", "STDERR"), record[kind]["line"]))
    config.pop("_wandb", None)
    return RunLog(
        path=path,
        run_id=run.get("run_id", ""),
        project=run.get("project", ""),
        group=run.get("run_group", ""),
        name=run.get("display_name", ""),
        config=config,
        history=history,
        exit_code=exit_code,
        tags=list(run.get("tags", [])),
        job_type=run.get("job_type", ""),
        summary=summary,
        artifacts=artifacts,
        output=output,
        stats=stats,
    )


#: The experiment run's job type (the logger writes one per experiment).
EXPERIMENT_JOB: Final = "tune-experiment"


def read_run_logs(root: Path) -> list[RunLog]:
    """Every trial's run log written below ``root``, in path order, ids possibly repeated."""
    logs = [read_run(path) for path in sorted(root.rglob("run-*.wandb"))]
    return [log for log in logs if log.job_type != EXPERIMENT_JOB]


def read_experiment_runs(root: Path) -> list[RunLog]:
    """The experiment run logs written below ``root`` (one per ``fit()``)."""
    logs = [read_run(path) for path in sorted(root.rglob("run-*.wandb"))]
    return [log for log in logs if log.job_type == EXPERIMENT_JOB]


def read_table(run: RunLog, key: str = "trials") -> list[dict[str, Any]]:
    """The rows of the table ``run`` logged as ``key``, read from the file W&B wrote."""
    (row,) = [r for r in run.history if f"{key}.path" in r]
    data = json.loads((run.path.parent / "files" / row[f"{key}.path"]).read_text())
    return [dict(zip(data["columns"], values, strict=True)) for values in data["data"]]


def read_runs(root: Path) -> dict[str, RunLog]:
    """Every trial's run written below ``root``, by run id (fails on two logs with one id).

    The experiment run is left out: :func:`read_experiment_runs` reads it.
    """
    runs: dict[str, RunLog] = {}
    for log in read_run_logs(root):
        path = log.path
        assert log.run_id not in runs, (
            f"two runs with id {log.run_id}: {path}, {runs[log.run_id].path}"
        )
        runs[log.run_id] = log
    return runs
