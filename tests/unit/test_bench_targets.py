"""The benchmarks' targets and profile readers (benchmarks/targets.py, profile.py, cpu_roles.py)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.__main__ import medians_of, round_ratios
from benchmarks.cpu_roles import _own_role
from benchmarks.profile import by_package, package, top_functions
from benchmarks.targets import TARGETS, Target, report


def test_a_target_is_met_at_or_under_its_bound() -> None:
    """A ratio of medians at most the bound is met; over it, not met."""
    target = Target("t", "w", "ours", "none", 1.10)
    met = target.judge({"w": {"ours": 11.0, "none": 10.0}})
    assert met == ["t", "`w`", "1.10x", "1.10x", "met", ""]
    row = target.judge({"w": {"ours": 11.5, "none": 10.0}})
    assert row is not None
    assert row[4] == "**not met**"


def test_a_target_against_rays_takes_rays_ratio_as_its_bound() -> None:
    """Ours ahead of Ray's: our ratio to our baseline against Ray's to its own."""
    target = Target("t", "w", "ours_class", "none_class", ("ray_setup_wandb", "none"))
    times = {"ours_class": 12.0, "none_class": 10.0, "ray_setup_wandb": 13.0, "none": 10.0}
    row = target.judge({"w": times})
    assert row == ["t", "`w`", "1.20x", "1.30x (`ray_setup_wandb`)", "met", ""]
    times["ray_setup_wandb"] = 11.0
    row = target.judge({"w": times})
    assert row is not None
    assert row[4] == "**not met**"


def test_the_report_lists_only_targets_whose_variants_ran() -> None:
    """A workload or variant that did not run leaves its targets out, and no run no table."""
    assert report({}) == ""
    table = report({"4x25": {"ours_decorator": 5.0, "none": 4.0}})
    assert "the decorator on trivial trials" in table
    assert table.count("| the ") == 1
    assert all(t.workload for t in TARGETS)


def test_a_target_shows_its_ratio_in_each_round() -> None:
    """Each round's ratio sits beside the median's, round by round in order."""
    target = Target("t", "w", "ours", "none", 1.10)
    rounds = {"w": {"ours": [12.0, 9.0, 11.0], "none": [10.0, 10.0, 10.0]}}
    row = target.judge(medians_of(rounds), rounds)
    assert row is not None
    assert row[2] == "1.10x"
    assert row[-1] == "1.20x, 0.90x, 1.10x"
    rounds = {"4x25": {"ours_decorator": [5.0, 4.0], "none": [4.0, 4.0]}}
    table = report(medians_of(rounds), rounds=rounds)
    assert "| each round |" in table
    assert "| 1.25x, 1.00x |" in table


def test_each_round_is_compared_with_its_own_baseline_round() -> None:
    """The rounds table divides round i by the baseline's round i; a pair not run is left out."""
    seconds = {"ours_class": [6.0, 4.0], "none_class": [4.0, 4.0], "none": [1.0, 1.0]}
    table = round_ratios(seconds, [("ours_class", "none_class"), ("ours_logger", "none")])
    assert "| ours_class | none_class | 1.50x | 1.00x |" in table
    assert "ours_logger" not in table
    assert round_ratios(seconds, []) == ""


def test_processes_are_told_apart_by_their_command_lines() -> None:
    """The writer, system monitors, trials, Ray's own actors and the server each have a role."""
    assert _own_role("python -m tune_wandb._logger._child 3") == "writer"
    assert _own_role("/x/wandb/bin/wandb-symon --parent-pid 1") == "system monitors"
    assert _own_role("/x/wandb/bin/wandb-core --pid 1") is None
    assert _own_role("ray::ImplicitFunc.train") == "trials"
    assert _own_role("ray::IDLE") == "Ray's own"
    assert _own_role("nice -n 10 /x/openwandb serve") == "W&B server"
    assert _own_role("/x/raylet --node") == "Ray's own"


def test_py_spys_raw_samples_sum_to_inclusive_and_self_shares(tmp_path: Path) -> None:
    """A function's inclusive share counts a stack once however often it recurs in it."""
    site = "/v/lib/python3.11/site-packages"
    ours = f"{site}/tune_wandb/_logger/w.py"
    raw = tmp_path / "raw.txt"
    raw.write_text(
        f"thread (1);run ({site}/ray/tune/tune.py:1);log ({site}/wandb/sdk/run.py:2) 3\n"
        f"thread (1);log ({ours}:1);log ({ours}:9) 1\n"
    )
    rows = {name: (inc, own) for name, inc, own in top_functions(raw)}
    assert rows["all of tune_wandb, wandb"] == (1.0, 0.0)
    assert rows["log (wandb/sdk)"] == (0.75, 0.75)
    assert rows["log (tune_wandb/_logger)"] == (0.25, 0.25)
    assert "run (ray/tune)" not in rows
    assert by_package(raw) == [("wandb/sdk", 0.75), ("tune_wandb/_logger", 0.25)]
    assert package("/root/.pyenv/lib/python3.11/threading.py") == "python: threading"
