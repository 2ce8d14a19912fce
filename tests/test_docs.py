"""The README's and the docs' code runs as written, offline, and their links stay inside."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).parent.parent
#: Every page a user reads: the README, the docs site's pages, and the other guides.
PAGES = sorted(
    [
        ROOT / "README.md",
        ROOT / "CONTRIBUTING.md",
        ROOT / "benchmarks" / "README.md",
        *(ROOT / "docs").rglob("*.md"),
    ]
)
#: (page, block) for every ```python block, in page order.
BLOCKS = [
    (str(page.relative_to(ROOT)), block)
    for page in PAGES
    for block in re.findall(r"```python\n(.*?)```", page.read_text(), re.DOTALL)
]
#: The only sites a page may link to outside the repository: Ray's and W&B's docs.
PUBLIC_DOCS = ("https://docs.ray.io/", "https://docs.wandb.ai/")

#: Runs every block in one Python process (one Ray instance), each in a fresh namespace,
#: as its own "__main__" script; names the block that fails.
RUNNER = textwrap.dedent(
    """
    import json
    import sys

    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    for number, (page, block) in enumerate(json.loads(sys.stdin.read())):
        print(f"BLOCK {number} of {page}", flush=True)
        exec(compile(block, f"{page} python block {number}", "exec"), {"__name__": "__main__"})
    print("ALL BLOCKS RAN", flush=True)
    """
)


def test_every_python_block_runs(tmp_path: Path) -> None:
    """Each ```python block of the README and the docs runs to its end, logging offline."""
    assert {page for page, _ in BLOCKS} >= {"README.md", "docs/index.md"}
    assert len(BLOCKS) == sum(page.read_text().count("```python") for page in PAGES)
    env = dict(os.environ, HOME=str(tmp_path), WANDB_MODE="offline", PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", RUNNER],
        input=json.dumps(BLOCKS),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert "ALL BLOCKS RAN" in done.stdout, (done.stdout[-2000:], done.stderr[-4000:])
    runs = list((tmp_path / "ray_results").rglob("run-*.wandb"))
    assert runs, "the blocks wrote no W&B run under the default results folder"


def test_links_point_inside_the_repository() -> None:
    """Every relative link names a file of the repository; the others, Ray's or W&B's docs."""
    checked = 0
    for page in PAGES:
        for target in re.findall(r"\]\(([^)#\s]*)(?:#[^)]*)?\)", page.read_text()):
            if "://" in target:
                assert target.startswith(PUBLIC_DOCS), (page, target)
                continue
            if not target:  # an anchor on the same page
                continue
            path = (page.parent / target).resolve()
            assert path.is_relative_to(ROOT.resolve()), (page, target)
            assert path.exists(), (page, target)
            checked += 1
    assert checked > 20


def test_the_readme_fits_on_two_screens() -> None:
    """The README stays short: what it is, one example, which entry point, where to read on."""
    assert len((ROOT / "README.md").read_text().splitlines()) <= 150


def test_the_experiment_picture_is_drawn_from_what_w_and_b_wrote(
    ray_session: None, tmp_path: Path
) -> None:
    """make picture's sweep draws every trial's run and marks the experiment run's best trial."""
    from tests.docs_modules import experiment_svg

    trials, experiment = experiment_svg.read_sweep(experiment_svg.run_sweep(str(tmp_path)))
    svg = experiment_svg.draw(trials, experiment)
    table = experiment_svg.trials_table(experiment)
    assert len(trials) == len(table) == 6
    for run in trials:
        assert f">{run.run_id}</text>" in svg
    best = min(table, key=lambda row: row["best"])
    assert best["trial_id"] == experiment.summary["best/trial_id"]
    assert f"best/trial_id = {best['trial_id']}" in svg
    assert svg.count("<polyline") == svg.count("<circle") == 6
