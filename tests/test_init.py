"""The public package: its names, and the install hint when a dependency is missing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import tune_wandb

ROOT = Path(__file__).parent.parent


def test_public_names() -> None:
    """__all__ lists exactly the entry points, the settings' two types and the run record."""
    assert tune_wandb.__all__ == sorted(tune_wandb.__all__)
    assert set(tune_wandb.__all__) == {
        "RunRecord",
        "WandbConfig",
        "WandbLogger",
        "WandbSettings",
        "WandbTrainCallback",
        "WandbTrainableMixin",
        "setup_wandb",
        "wandb_mixin",
    }
    for name in tune_wandb.__all__:
        assert getattr(tune_wandb, name).__name__ == name


def test_missing_wandb_says_how_to_install_it(tmp_path: Path) -> None:
    """Importing tune_wandb where wandb is not installed names the pip command."""
    # The package alone on the path: a wandb/ folder of runs in the checkout (wandb sync
    # leaves one where it runs) would be found as a namespace package named wandb.
    source = tmp_path / "source"
    source.mkdir()
    (source / "tune_wandb").symlink_to(ROOT / "tune_wandb")
    code = (
        "import sys; sys.path = [p for p in sys.path if 'site-packages' not in p]; "
        f"sys.path.insert(0, {str(source)!r}); import tune_wandb"
    )
    # Not from the checkout: a wandb/ folder of runs there would be found as a package.
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode != 0
    assert "ImportError: tune-wandb needs wandb, which is not installed: pip install wandb" in (
        done.stderr
    )
