"""Ray's private parts, each used through one function: checked on both ends of the range."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import ray
from ray import tune
from ray.train.v2.api.data_parallel_trainer import DataParallelTrainer
from ray.tune.schedulers import ASHAScheduler

from tests.helpers import AtSetup
from tune_wandb._ray import _compat


def reports(config: dict[str, Any]) -> None:
    tune.report({"loss": 1.0})


def test_tune_runs_arguments_are_found_from_a_callback(tune_run: Any) -> None:
    """A callback's setup sees tune.run's metric and mode; outside tune.run nothing is found."""
    sees = AtSetup(lambda: dict(_compat.tune_run_arguments() or {}))
    tune_run(reports, metric="loss", mode="min", callbacks=[sees])
    assert (sees.seen["metric"], sees.seen["mode"]) == ("loss", "min")
    assert _compat.tune_run_arguments() is None


def test_a_schedulers_metric_and_budget() -> None:
    """ASHA's metric, mode and max_t; Tune's placeholder metric is no metric."""
    asha = ASHAScheduler(metric="loss", mode="min", max_t=7)
    assert _compat.declared_metric(asha) == ("loss", "min")
    assert _compat.scheduler_budget(asha) == 7
    assert _compat.declared_metric(ASHAScheduler()) == (None, None)
    assert _compat.scheduler_budget(object()) is None


def test_pbts_exploit_is_wrapped_once_and_other_schedulers_left_alone() -> None:
    """PBT's _exploit is wrapped on the instance (again: replaced, not stacked); ASHA's not.

    What the wrapper hears in a real experiment is tested in tests/test_lineage.py.
    """
    from ray.tune.schedulers import PopulationBasedTraining

    assert not _compat.watch_exploits(ASHAScheduler(), lambda *args: None)
    pbt = PopulationBasedTraining(
        metric="score", mode="max", perturbation_interval=1, hyperparam_mutations={"lr": [1, 2]}
    )
    original = pbt._exploit
    assert _compat.watch_exploits(pbt, lambda *args: None)
    first = pbt._exploit
    assert _compat.watch_exploits(pbt, lambda *args: None)
    assert pbt._exploit is not first
    assert pbt._exploit.__dict__["_tune_wandb_original"] == original
    assert type(pbt)._exploit is PopulationBasedTraining._exploit  # the class is untouched


def test_the_store_keeps_a_value_per_job(ray_session: None) -> None:
    """A value put under this job's entry is read back, then forgotten."""
    entry = _compat.job_store_entry("compat-test")
    assert entry is not None
    assert entry.endswith("/compat-test")
    _compat.store_put(entry, "v")
    assert _compat.store_get(entry) == "v"
    _compat.store_delete(entry)
    assert _compat.store_get(entry) is None


class Inside(tune.Trainable):
    """Looks at itself the way setup_wandb does, from a method's callee."""

    def step(self) -> dict[str, Any]:
        found = _compat.calling_trainable()
        storage = _compat.trainable_storage(self)
        calls: list[str] = []
        _compat.answer_own_calls(self, cleanup=lambda: calls.append("cleanup"))
        self.cleanup()
        return {
            "found_self": found is self,
            "trial_folder": storage.trial_fs_path if storage else None,
            "answered": calls,
            "last": _compat.last_result(self).get("training_iteration"),
            "done": True,
        }


def test_a_trainable_is_found_and_answers_its_own_calls(tune_run: Any) -> None:
    """The running Trainable, its storage, its last result, and instance methods first."""
    analysis = tune_run(Inside)
    (trial,) = analysis.trials
    result = trial.last_result
    assert result["found_self"] is True
    assert result["trial_folder"] == trial.path
    assert result["answered"] == ["cleanup"]
    assert result["last"] is None  # nothing reported before the first step


def test_a_function_trainable_runs_the_hook_in_its_thread(tune_run: Any) -> None:
    """before_call runs in Tune's runner thread, before the function."""
    threads: dict[str, Any] = {}

    def fn(config: dict[str, Any]) -> None:
        tune.report({"same_thread": threads.get("hook") == threading.get_ident()})

    cls = _compat.function_trainable(
        fn, name="fn", before_call=lambda trainable: threads.update(hook=threading.get_ident())
    )
    analysis = tune_run(cls)
    assert analysis.trials[0].last_result["same_thread"] is True
    assert _compat.train_worker_context() is None  # not a Ray Train worker
    # The function's return reaches the trainable as Tune's duplicate of the last result.
    assert _compat.function_returned({"__duplicate__": True, "done": False})
    assert not _compat.function_returned({"done": True})  # a class trainable's own


def _train_loop(config: dict[str, Any]) -> None:
    context = _compat.train_worker_context()
    seen = Path(config["seen"])

    def note(line: str) -> None:
        with seen.open("a") as file:
            file.write(f"{line}\n")

    _compat.on_report(context, lambda report: note(f"report {report.metrics}"))
    _compat.on_training_end(context, lambda failure: note(f"end {failure!r}"))
    ray.train.report({"i": 1})


def test_a_train_workers_reports_and_end_are_seen(
    ray_session: None, results: Path, tmp_path: Path
) -> None:
    """In a Train V2 worker: each report as it is queued, then the end, with no error."""
    seen = tmp_path / "seen.txt"
    DataParallelTrainer(
        _train_loop,
        train_loop_config={"seen": str(seen)},
        scaling_config=ray.train.ScalingConfig(num_workers=1),
        run_config=ray.train.RunConfig(name="compat", storage_path=str(results)),
    ).fit()
    assert seen.read_text().splitlines() == ["report {'i': 1}", "end None"]


def test_the_users_error_is_found_inside_rays_wrappers() -> None:
    """Tune's StartTraceback and Train's UserExceptionWithTraceback give the user's error."""
    from ray.air._internal.util import StartTraceback
    from ray.train.v2._internal.exceptions import UserExceptionWithTraceback

    try:
        try:
            raise KeyError("lr")
        except KeyError as cause:
            raise StartTraceback from cause
    except StartTraceback as wrapped:
        failure = _compat.user_failure(wrapped)
    assert failure is not None
    assert (failure.type, failure.message) == ("KeyError", "'lr'")
    reported = UserExceptionWithTraceback(ValueError("bad"), "Traceback ...\nValueError: bad")
    failure = _compat.user_failure(reported)
    assert failure is not None
    assert (failure.type, failure.message, failure.traceback) == (
        "ValueError",
        "bad",
        "Traceback ...\nValueError: bad",
    )
    assert _compat.user_failure(None) is None


class RecordsProcesses(tune.Callback):
    def __init__(self) -> None:
        self.at_start: dict[str, tuple[str, int] | None] = {}

    def on_trial_start(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        self.at_start[trial.trial_id] = _compat.trial_process(trial)


def reports_pid(config: dict[str, Any]) -> None:
    import os

    tune.report({"my_pid": os.getpid()})


def test_a_trials_process_is_known_when_it_starts(tune_run: Any) -> None:
    """At on_trial_start the actor table gives the trial's node and the pid it then reports."""
    recorder = RecordsProcesses()
    analysis = tune_run(reports_pid, num_samples=2, callbacks=[recorder])
    node = ray.get_runtime_context().get_node_id()
    for trial in analysis.trials:
        assert recorder.at_start[trial.trial_id] == (node, trial.last_result["my_pid"])
