"""PBT lineage: each trial's latest parent, and the chain of clones behind a trial."""

from __future__ import annotations

from typing import Any

import pytest

from tune_wandb._core._lineage import Exploit, ancestry, parents


def exploit(seq: int, trial: str, parent: str, at: int, parent_config: Any) -> Exploit:
    return Exploit(
        seq=seq,
        trial_id=trial,
        parent_id=parent,
        parent_iteration=at,
        at_iteration=at,
        config_before={"lr": -1},
        config_after={"lr": seq},
        parent_config=parent_config,
    )


def test_a_trial_never_exploited_is_its_own_ancestry() -> None:
    """Without exploits the chain is the trial alone, over all its iterations."""
    assert ancestry("a", [], last_iteration=8, config={"lr": 1}) == [
        {"trial_id": "a", "config": {"lr": 1}, "iterations": [1, 8]}
    ]


def test_the_chain_follows_each_clone_back_in_time() -> None:
    """c cloned b at 4, which had cloned a at 2: a held 1-2, b 3-4, c 5-8, each its config."""
    exploits = [
        exploit(0, "b", "a", 2, {"lr": 0.1}),
        exploit(1, "c", "b", 4, {"lr": 0.2}),
        exploit(2, "a", "c", 6, {"lr": 0.3}),  # later than c's clone of b: not c's past
    ]
    chain = ancestry("c", exploits, last_iteration=8, config={"lr": 0.5})
    assert chain == [
        {"trial_id": "a", "config": {"lr": 0.1}, "iterations": [1, 2]},
        {"trial_id": "b", "config": {"lr": 0.2}, "iterations": [3, 4]},
        {"trial_id": "c", "config": {"lr": 0.5}, "iterations": [5, 8]},
    ]


def test_a_cycle_of_clones_ends() -> None:
    """Trials cloning each other back and forth give a finite chain, oldest first."""
    exploits = [exploit(i, "ab"[i % 2], "ba"[i % 2], 2 * (i + 1), {"lr": i}) for i in range(6)]
    chain = ancestry("b", exploits, last_iteration=14, config={"lr": 9})
    assert [link["iterations"] for link in chain] == [
        [1, 2],
        [3, 4],
        [5, 6],
        [7, 8],
        [9, 10],
        [11, 12],
        [13, 14],
    ]
    assert chain[-1]["trial_id"] == "b"


def test_parents_are_the_latest_exploit_of_each_trial() -> None:
    """The table's parent column names the trial cloned last."""
    exploits = [
        exploit(0, "b", "a", 2, {}),
        exploit(1, "b", "c", 4, {}),
        exploit(2, "c", "a", 4, {}),
    ]
    assert parents(reversed(exploits)) == {"b": "c", "c": "a"}


def test_an_exploit_is_recorded_with_its_parent_run_and_configs() -> None:
    """The run's record of an exploit names the parent, its run, the iterations and configs."""
    record = exploit(0, "b", "a", 2, {"lr": 0.1}).record(parent_run="run-a")
    assert record == {
        "parent": "a",
        "parent_run": "run-a",
        "parent_iteration": 2,
        "at_iteration": 2,
        "config_before": {"lr": -1},
        "config_after": {"lr": 0},
    }


def test_a_negative_order_is_refused() -> None:
    """seq counts exploits from 0."""
    with pytest.raises(ValueError, match="seq"):
        exploit(-1, "b", "a", 2, {})
