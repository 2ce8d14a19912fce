"""The docs' own code (``docs/hooks/``, ``docs/picture/``), importable by the tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType


def _load(folder: str, name: str) -> ModuleType:
    path = Path(__file__).parent.parent / "docs" / folder / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"docs_{folder}_{name}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


settings_reference = _load("hooks", "settings_reference")
experiment_svg = _load("picture", "experiment_svg")
