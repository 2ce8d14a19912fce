"""The package's shape: layers, one test file per module, private APIs in compat modules only."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import tune_wandb

PACKAGE = Path(tune_wandb.__file__).parent
TESTS = Path(__file__).parents[1]
#: Modules whose test file is not named after them alone.
TEST_FILES = {
    "tune_wandb": "test_init.py",
    "tune_wandb._logger._callback": "test_logger.py",
    "tune_wandb._ray._compat": "test_ray_compat.py",
    "tune_wandb._ray._experiment": "test_ray_experiment.py",
    "tune_wandb._train._callback": "test_train_callback.py",
    "tune_wandb._wandb._compat": "test_wandb_compat.py",
}
COMPAT = {"tune_wandb._ray._compat", "tune_wandb._wandb._compat"}


def modules() -> dict[str, Path]:
    """Every module of the package (subpackages' empty __init__ files left out)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            if parts != ("tune_wandb", "__init__"):
                continue
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def where_tested(module: str) -> Path:
    """Where ``module``'s tests are: tests/unit/ for the core, tests/ for the rest."""
    if module in TEST_FILES:
        return TESTS / TEST_FILES[module]
    name = module.rsplit(".", 1)[-1].lstrip("_")
    folder = TESTS / "unit" if module.startswith("tune_wandb._core.") else TESTS
    return folder / f"test_{name}.py"


@pytest.mark.parametrize("module", sorted(modules()))
def test_every_module_has_its_test_file(module: str) -> None:
    """tests/ mirrors the package: each module's behaviour is pinned in its own file."""
    assert where_tested(module).exists(), f"{module} has no {where_tested(module)}"


def _runtime_imports(path: Path) -> list[str]:
    """The modules ``path`` imports when it runs (``if TYPE_CHECKING:`` blocks left out)."""
    found: list[str] = []

    def visit(node: ast.AST, type_only: bool) -> None:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for branch in node.orelse:
                visit(branch, type_only)
            return
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.extend([node.module, *(f"{node.module}.{a.name}" for a in node.names)])
        for child in ast.iter_child_nodes(node):
            visit(child, type_only)

    visit(ast.parse(path.read_text()), False)
    return found


def _is_private(name: str) -> bool:
    parts = name.split(".")
    return parts[0] in ("ray", "wandb") and (
        any(part.startswith("_") for part in parts[1:]) or name.startswith("wandb.sdk")
    )


@pytest.mark.parametrize("module", sorted(set(modules()) - COMPAT))
def test_private_ray_and_wandb_only_through_the_compat_modules(module: str) -> None:
    """No module but the two compat modules imports a private part of Ray or wandb."""
    private = [name for name in _runtime_imports(modules()[module]) if _is_private(name)]
    assert private == []


def test_the_core_imports_neither_ray_nor_wandb() -> None:
    """Importing every core module loads no Ray and no wandb (they are imported on use)."""
    core = [m for m in modules() if m.startswith("tune_wandb._core.")]
    script = "; ".join(
        [f"import {m}" for m in core]
        + ["import sys", "print(sorted({m.split('.')[0] for m in sys.modules} & {'ray', 'wandb'}))"]
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("name", tune_wandb.__all__)
def test_public_names_live_at_the_public_path(name: str) -> None:
    """Each public name says tune_wandb is its module: reprs, docs and pickles show that."""
    assert getattr(tune_wandb, name).__module__ == "tune_wandb"
