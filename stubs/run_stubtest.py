"""Run mypy's stubtest on our Ray stubs against the installed Ray.

Ray 2.60 lists the removed ``ray.workflow`` in ``ray.__all__``, so the
``from ray import *`` that stubtest performs raises and the root module would
go unchecked. We drop that one stale name first, then hand over to stubtest.
Ray 2.50 lists ``collective`` in ``ray.util.__all__``, a submodule that needs
torch, so ``from ray.util import *`` raises there without it: names of
``ray.util.__all__`` that cannot be imported are dropped the same way.
"""

from __future__ import annotations

import importlib
import sys

import ray
import ray.util
from mypy.stubtest import main


def _importable(module: str, name: str) -> bool:
    try:
        importlib.import_module(f"{module}.{name}")
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    ray.__all__ = [name for name in ray.__all__ if name != "workflow"]
    ray.util.__all__ = [
        name
        for name in ray.util.__all__
        if hasattr(ray.util, name) or _importable("ray.util", name)
    ]
    sys.exit(main())
