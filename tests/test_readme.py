"""The README's code runs as written, offline, and its links stay inside the repository."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.DOTALL)

#: Runs every block in one Python process (one Ray instance), each in a fresh namespace,
#: as its own "__main__" script; names the block that fails.
RUNNER = textwrap.dedent(
    """
    import json
    import sys

    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    for number, block in enumerate(json.loads(sys.stdin.read())):
        print(f"BLOCK {number}", flush=True)
        exec(compile(block, f"README.md python block {number}", "exec"), {"__name__": "__main__"})
    print("ALL BLOCKS RAN", flush=True)
    """
)


def test_every_python_block_runs(tmp_path: Path) -> None:
    """Each ```python block of README.md runs to its end, imports included, logging offline."""
    assert len(BLOCKS) == README.count("```python") > 0
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
    """Every relative link names a file or folder of the repository; none leaves it."""
    targets = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README)
    local = [t for t in targets if "://" not in t]
    assert local
    for target in local:
        path = (ROOT / target).resolve()
        assert path.is_relative_to(ROOT.resolve()), target
        assert path.exists(), target
