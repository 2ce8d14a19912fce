"""The built sdist and wheel: complete, valid, and working once installed outside the tree."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tarfile
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent

#: A tiny offline experiment with each entry point, run from outside the source tree.
SCRIPT = textwrap.dedent(
    """
    import tempfile

    import ray
    import wandb
    from ray import tune

    import tune_wandb
    from tune_wandb import WandbLogger, WandbTrainableMixin, setup_wandb, wandb_mixin

    assert "site-packages" in tune_wandb.__file__, tune_wandb.__file__


    def logged(config):
        for i in range(2):
            tune.report({"loss": 1 / (i + 1)})


    @wandb_mixin
    def decorated(config):
        wandb.log({"loss": 1.0})
        tune.report({"loss": 1.0})


    def set_up(config):
        setup_wandb(config).log({"loss": 1.0})
        tune.report({"loss": 1.0})


    class Mixed(WandbTrainableMixin, tune.Trainable):
        def step(self):
            self.wandb.log({"loss": 1.0})
            return {"loss": 1.0, "done": True}


    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    storage = tempfile.mkdtemp()
    config = {"wandb": {"project": "wheel"}}
    runs = 0
    for trainable, callbacks in [
        (logged, [WandbLogger(summary=False)]),
        (decorated, []),
        (set_up, []),
        (Mixed, []),
    ]:
        tune.run(trainable, config=config, storage_path=storage, callbacks=callbacks, verbose=0)
    import pathlib

    print("RUNS", len(list(pathlib.Path(storage).rglob("run-*.wandb"))))
    """
)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return out


def test_wheel_and_sdist_hold_the_package_and_pass_twine(dist: Path) -> None:
    """The wheel has every module, py.typed and the LICENSE, the sdist the LICENSE; twine passes."""
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {str(p.relative_to(ROOT)) for p in (ROOT / "tune_wandb").rglob("*.py")} | {
        "tune_wandb/py.typed"
    }
    assert modules <= names, sorted(modules - names)
    license_text = (ROOT / "LICENSE").read_text()
    (wheel_license,) = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
    assert zipfile.ZipFile(wheel).read(wheel_license).decode() == license_text
    with tarfile.open(sdist) as archive:
        (sdist_license,) = [n for n in archive.getnames() if n.endswith("/LICENSE")]
        extracted = archive.extractfile(sdist_license)
        assert extracted is not None
        assert extracted.read().decode() == license_text
    check = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_installed_wheel_runs_every_entry_point(dist: Path, tmp_path: Path) -> None:
    """pip installs the wheel into a fresh venv; each entry point logs a run, outside the tree."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    # The dependencies (Ray, wandb: hundreds of MiB) come from this environment, not
    # the network; tune-wandb itself only from the wheel (this environment's editable
    # install is not on the new one's path).
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (wheel,) = dist.glob("*.whl")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(WANDB_MODE="offline", WANDB_SILENT="true")
    done = subprocess.run(
        [str(python), "-c", SCRIPT],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "RUNS 5" in done.stdout  # four trials' runs and the logger's experiment run
