"""The experiment read from tune.run, and its metric shared with the trials' processes."""

from __future__ import annotations

from typing import Any

from ray import tune
from ray.tune.schedulers import ASHAScheduler

from tests.helpers import AtSetup
from tune_wandb._core._experiment import ExperimentFacts
from tune_wandb._ray._experiment import (
    describe_component,
    find_experiment,
    share_experiment,
    shared_experiment,
)


def reports(config: dict[str, Any]) -> None:
    tune.report({"loss": config["lr"]})


def test_the_experiment_is_read_from_tune_run(tune_run: Any) -> None:
    """Metric and mode from the scheduler, the space as text, the budget and folder name."""
    finds = AtSetup(find_experiment)
    tune_run(
        reports,
        config={"lr": tune.loguniform(1e-4, 1e-1), "wandb": {"api_key": "secret"}},
        scheduler=ASHAScheduler(metric="loss", mode="min", max_t=5),
        num_samples=2,
        callbacks=[finds],
        name="read",
    )
    facts: ExperimentFacts = finds.seen
    assert (facts.metric, facts.mode, facts.max_t, facts.num_samples) == ("loss", "min", 5, 2)
    assert facts.search_space == {"lr": "loguniform(0.0001, 0.1)"}  # no "wandb" key
    assert facts.scheduler["name"] == "AsyncHyperBandScheduler"  # ASHAScheduler is its alias
    assert facts.experiment == "read"


def test_a_components_placeholder_metric_shows_the_experiments() -> None:
    """A scheduler Tune has not yet told the metric shows the experiment's, not "_metric"."""
    described = describe_component(ASHAScheduler(), metric="loss", mode="max")
    assert (described["metric"], described["mode"]) == ("loss", "max")
    assert describe_component(None) == {}


def test_the_metric_is_shared_by_experiment(ray_session: None) -> None:
    """Trials of an experiment read its metric; another experiment's is not theirs."""
    share_experiment(ExperimentFacts(metric="acc", mode="max", experiment="shared-1"))
    share_experiment(ExperimentFacts(experiment="shared-2"))
    assert shared_experiment("shared-1") == ExperimentFacts(metric="acc", mode="max")
    assert shared_experiment("shared-2") == ExperimentFacts()
    assert shared_experiment("never") == ExperimentFacts()
