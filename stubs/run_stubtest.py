"""Run mypy's stubtest on our Ray stubs against the installed Ray.

Ray 2.60 lists the removed ``ray.workflow`` in ``ray.__all__``, so the
``from ray import *`` that stubtest performs raises and the root module would
go unchecked. We drop that one stale name first, then hand over to stubtest.
"""

from __future__ import annotations

import sys

import ray
from mypy.stubtest import main

if __name__ == "__main__":
    ray.__all__ = [name for name in ray.__all__ if name != "workflow"]
    sys.exit(main())
