"""ExperimentFacts: the experiment as plain data, described for a run config."""

from __future__ import annotations

from tune_wandb._core._experiment import ExperimentFacts


def test_describe_leaves_out_what_is_unknown() -> None:
    """Only known facts reach the config; budget and folder name are not described."""
    facts = ExperimentFacts(metric="loss", mode="min", num_samples=4, max_t=10, experiment="e")
    assert facts.describe() == {
        "metric": "loss",
        "mode": "min",
        "search_space": {},
        "search_alg": {},
        "scheduler": {},
        "num_samples": 4,
    }


def test_empty_facts_describe_only_empty_parts() -> None:
    """An experiment found nowhere has no metric and no mode."""
    assert ExperimentFacts().describe() == {"search_space": {}, "search_alg": {}, "scheduler": {}}
