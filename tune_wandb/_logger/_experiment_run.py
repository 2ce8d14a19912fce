"""The experiment run: one W&B run per Tune experiment, with a table row per trial.

It lives in the experiment's group with job type ``tune-experiment``. Its
config is the experiment (metric, mode, search space, search algorithm,
scheduler, stop criteria); its ``trials`` table has one row per trial (ids,
where its run is, status, why it stopped, best value and step, iterations,
the trial PBT last cloned into it, and each searched hyperparameter); its
summary names the best trial, its config and, under PBT, its ancestry. Its
run id is derived from the experiment's folder name, so ``Tuner.restore``
continues the same run instead of adding one.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import attrs

from tune_wandb._core._identity import TrialIdentity
from tune_wandb._core._lineage import Exploit, ancestry, parents
from tune_wandb._core._prepare import prepare
from tune_wandb._core._results import run_config, serialisable
from tune_wandb._core._settings import CONFIG_KEY, WandbSettings
from tune_wandb._logger._ops import Experiment

if TYPE_CHECKING:
    from ray.tune.experiment import Trial

    from tune_wandb._core._experiment import ExperimentFacts
    from tune_wandb._core._records import RunRecord, StopReason

#: The experiment run's W&B job type.
JOB_TYPE: Final = "tune-experiment"
#: Columns every table has, before the searched hyperparameters.
FIXED_COLUMNS: Final = (
    "trial_id",
    "run_id",
    "run",
    "status",
    "stop_reason",
    "best",
    "best_step",
    "iterations",
    "parent",
)
#: Run-specific ``wandb.init`` arguments of the logger's settings that the experiment run
#: must not share with its trials.
_PER_RUN_KEYS: Final = ("id", "name", "job_type", "resume")


def experiment_run_id(experiment: str) -> str:
    """The experiment run's id: readable, valid for W&B, the same on every restore.

    Example::

        >>> experiment_run_id("train_fn_2026-11-29_03-18-51")
        'train_fn_2026-11-29_03-18-51-bb32af74'
    """
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", experiment).strip("-.") or "experiment"
    digest = hashlib.sha1(experiment.encode()).hexdigest()[:8]
    return f"{safe[:52]}-{digest}"


@attrs.frozen
class TrialFacts:
    """What the driver knows of one trial at experiment end (sent to the writer)."""

    trial_id: str
    status: str
    stop_reason: StopReason | None
    iterations: int | None
    #: Tune's best value of the metric (for trials whose run the logger did not write).
    tune_best: float | None
    #: The trial's folder (for trials whose run the logger did not write).
    path: str | None
    #: Each searched hyperparameter's value, by ``evaluated_params`` key.
    params: dict[str, Any]
    config: dict[str, Any]
    #: The trial PBT last cloned into this one, if any.
    parent: str | None = None

    @classmethod
    def of(
        cls,
        trial: Trial,
        stop_reason: StopReason | None,
        metric: str | None,
        mode: str | None,
        parent: str | None = None,
    ) -> TrialFacts:
        """The facts of ``trial`` as Tune holds them; ``parent`` as PBT's exploits say."""
        iterations = trial.last_result.get("training_iteration")
        return cls(
            trial_id=trial.trial_id,
            status=trial.status,
            stop_reason=stop_reason,
            iterations=iterations if isinstance(iterations, int) else None,
            tune_best=_tune_best(trial, metric, mode) if metric else None,
            path=trial.path,
            params={
                k: _cell(v)
                for k, v in trial.evaluated_params.items()
                if k.split("/", 1)[0] != CONFIG_KEY
            },
            config=run_config(trial.config),
            parent=parent,
        )


@attrs.frozen
class TrialRow:
    """One row of the table: the trial's facts, completed by the logger's record of its run."""

    facts: TrialFacts
    run_id: str
    where: str | None
    stop_reason: StopReason | None
    best: float | None
    best_step: int | None

    @classmethod
    def of(cls, facts: TrialFacts, record: RunRecord | None) -> TrialRow:
        """The row for ``facts``; ``record`` where the logger wrote the trial's run."""
        if record is None:
            return cls(facts, facts.trial_id, facts.path, facts.stop_reason, facts.tune_best, None)
        best, step = record.best, record.best_step
        if best is None:
            best, step = facts.tune_best, None
        return cls(
            facts=facts,
            run_id=record.run_id,
            where=record.url or record.sync_dir,
            stop_reason=record.stop_reason or facts.stop_reason,
            best=best,
            best_step=step,
        )


def _tune_best(trial: Trial, metric: str, mode: str | None) -> float | None:
    value = trial.metric_analysis.get(metric, {}).get(mode or "min")
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def best_row(rows: Sequence[TrialRow], mode: str | None) -> TrialRow | None:
    """The trial with the best value (``None`` when no trial has one)."""
    ranked = [r for r in rows if r.best is not None]
    if not ranked:
        return None
    pick = max if mode == "max" else min
    return pick(ranked, key=lambda r: r.best or 0.0)


def experiment_op(
    defaults: WandbSettings,
    facts: ExperimentFacts,
    trials: Sequence[Trial],
    stop_reasons: Mapping[str, StopReason],
    earlier: Mapping[str, RunRecord],
    metric: str | None,
    mode: str | None,
    exploits: Sequence[Exploit] = (),
) -> Experiment:
    """The writer's operation that writes the experiment run for ``trials``."""
    storage = trials[0].storage
    experiment = storage.experiment_dir_name
    run_id = experiment_run_id(experiment)
    settings = attrs.evolve(
        defaults,
        summary_metric=None,
        upload_checkpoints=False,
        init_kwargs={
            **{k: v for k, v in defaults.init_kwargs.items() if k not in _PER_RUN_KEYS},
            "job_type": JOB_TYPE,
        },
    )
    identity = TrialIdentity.for_experiment(run_id=run_id, storage=storage)
    described = facts.describe()
    if metric:
        described["metric"], described["mode"] = metric, mode
    plan = prepare(settings, identity, described, entry="logger")
    lineage = parents(exploits)
    return Experiment(
        plan=plan,
        trials=[
            TrialFacts.of(t, stop_reasons.get(t.trial_id), metric, mode, lineage.get(t.trial_id))
            for t in trials
        ],
        earlier=dict(earlier),
        metric=metric,
        mode=mode,
        exploits=list(exploits),
    )


def table(
    trials: Sequence[TrialFacts], records: Mapping[str, RunRecord]
) -> tuple[list[str], list[list[Any]], list[TrialRow]]:
    """The ``trials`` table's columns and rows, with the rows themselves."""
    keys: dict[str, None] = {}
    for facts in trials:
        keys.update(dict.fromkeys(facts.params))
    params = [(f"config/{k}" if k in FIXED_COLUMNS else k, k) for k in keys]
    rows = [TrialRow.of(facts, records.get(facts.trial_id)) for facts in trials]
    data = [
        [
            row.facts.trial_id,
            row.run_id,
            row.where,
            row.facts.status,
            row.stop_reason,
            row.best,
            row.best_step,
            row.facts.iterations,
            row.facts.parent,
            *(row.facts.params.get(key) for _, key in params),
        ]
        for row in rows
    ]
    return [*FIXED_COLUMNS, *(name for name, _ in params)], data, rows


def _cell(value: object) -> object:
    plain = serialisable(value)
    return plain if plain is None or isinstance(plain, bool | int | float | str) else str(plain)


def summary(
    rows: Sequence[TrialRow],
    metric: str | None,
    mode: str | None,
    exploits: Sequence[Exploit] = (),
) -> dict[str, Any]:
    """The experiment run's summary: counts, and the best trial with its config.

    Under PBT, also the best trial's ancestry (``best/ancestry``): the chain of
    clones that produced it, each with its config and the iterations it held.
    """
    out: dict[str, Any] = {"trials/total": len(rows)}
    for row in rows:
        for key in (f"trials/{row.facts.status.lower()}", f"stop_reasons/{row.stop_reason}"):
            if not key.endswith("/None"):
                out[key] = out.get(key, 0) + 1
    if metric:
        out["metric"], out["mode"] = metric, mode
    best = best_row(rows, mode)
    if best is not None:
        out.update(
            {
                "best/trial_id": best.facts.trial_id,
                "best/run_id": best.run_id,
                "best/value": best.best,
                "best/step": best.best_step,
                "best/config": best.facts.config,
            }
        )
        if exploits:
            out["best/ancestry"] = ancestry(
                best.facts.trial_id,
                exploits,
                last_iteration=best.facts.iterations,
                config=best.facts.config,
            )
    return out
