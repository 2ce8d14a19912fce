"""Every use of a part of wandb that wandb does not promise, each a function named for what it does.

Checked on wandb 0.23 and 0.31, the ends of the range tune-wandb supports
(``tests/test_wandb_compat.py`` runs each on both, ``make test-oldest``). A
wandb release that moves one of these breaks this module and its test first.
Where wandb has a public API for the job, it is used instead, outside this
module.

- the process's wandb service: its address in ``WANDB_SERVICE``, and telling
  it to drop a run id whose ``wandb.init`` failed;
- wandb's run ids;
- the module-level run (``wandb.run``, ``wandb.log``, ...), put in place
  before ``wandb.init`` returns, and a run's ``log`` replaced;
- where a media object's file is (``media._path``);
- whether a run writes offline (``settings._offline``);
- a run's console output records (``run._console_raw_callback``), which wandb's
  own capture writes, and taking wandb's own capture off a run's streams
  (``run._restore``);
- ``Run._detect_and_apply_job_inputs``, which imports wandb's Launch package
  in every ``wandb.init`` to apply inputs nobody staged.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wandb.sdk.wandb_run import Run

logger = logging.getLogger("tune_wandb")

#: wandb's module-level functions that act on ``wandb.run`` (``wandb.init`` sets them).
RUN_FUNCTIONS = (
    "log",
    "save",
    "use_artifact",
    "log_artifact",
    "define_metric",
    "watch",
    "unwatch",
    "alert",
    "mark_preempting",
    "log_model",
    "use_model",
    "link_model",
)


# -- the wandb service ---------------------------------------------------------------


def forget_inherited_service() -> None:
    """Make this process start its own wandb service rather than share its parent's.

    wandb keeps its service's address in ``WANDB_SERVICE`` (``3-<pid>-...``, the
    pid of the process that started it), and every process started later
    inherits it: Ray's workers do when the driver used wandb before
    ``ray.init``. Trial processes sharing the driver's service die with it, and
    the service refuses a second run with one id ("run ID ... is in use"), which
    Tune's actor reuse opens (an actor started for a trial, then dropped).
    """
    token = os.environ.get("WANDB_SERVICE")
    if token and token.split("-")[1:2] != [str(os.getpid())]:
        del os.environ["WANDB_SERVICE"]


def without_service(environment: dict[str, str]) -> dict[str, str]:
    """``environment`` for a child process that starts a wandb service of its own."""
    return {k: v for k, v in environment.items() if k != "WANDB_SERVICE"}


def release_run_id(run_id: str) -> None:
    """Tell this process's wandb service to drop a run whose ``wandb.init`` failed.

    The service keeps the id of a run it could not start "in use", and a
    retry under the same id (the offline fallback) would be refused.
    """
    try:
        from wandb.sdk import wandb_setup

        wandb_setup.singleton().ensure_service().inform_finish(run_id=run_id)
    except Exception:
        logger.debug("tune-wandb: could not release run id %s", run_id, exc_info=True)


def new_run_id() -> str:
    """A run id as wandb makes them (8 lowercase letters and digits)."""
    from wandb.sdk.lib.runid import generate_id

    run_id: str = generate_id()
    return run_id


# -- the module-level run --------------------------------------------------------------


def install_module_run(run: Any, attribute: Callable[[str], Any]) -> None:
    """Make ``run`` ``wandb.run``, and ``attribute(name)`` each of wandb's run functions.

    ``wandb.init`` does the same with the real run when it returns; until then
    the mixins' stand-ins wait for it. A process that has not imported wandb
    yet cannot call wandb, so nothing is installed there.
    """
    wandb = sys.modules.get("wandb")
    if wandb is None:
        return
    wandb.__dict__["run"] = run
    for name in ("config", "summary", *RUN_FUNCTIONS):
        wandb.__dict__[name] = attribute(name)


def replace_log(run: Run, log: Callable[..., None]) -> None:
    """Make ``log`` the run's ``log``, and ``wandb.log`` too where the run is ``wandb.run``."""
    import wandb

    run.log = log  # type: ignore[method-assign]  # an instance attribute shadows Run.log
    if wandb.run is run:
        wandb.log = log


# -- media and settings ------------------------------------------------------------------


def media_with_files(values: Iterable[object]) -> list[Any]:
    """The wandb media objects among ``values`` that point to a file."""
    return [
        value
        for value in values
        if type(value).__module__.startswith("wandb.")
        and isinstance(getattr(value, "_path", None), str)
    ]


def media_path(media: Any) -> str:
    """The file a media object (``wandb.Image``, ...) logs."""
    path: str = media._path
    return path


def set_media_path(media: Any, path: str) -> None:
    """Point a media object at another copy of its file."""
    media._path = path


def writes_offline(run: Run) -> bool:
    """Whether wandb says ``run`` writes only to disk (``settings._offline``).

    True for an offline run, whatever made it one (the mode, ``WANDB_MODE``).
    """
    return bool(getattr(run.settings, "_offline", False))


def write_output(run: Run, stream: str, line: str) -> None:
    """Add ``line`` to ``run``'s console output (W&B's Logs tab) as ``stream`` wrote it.

    The same record wandb's own ``console="wrap"`` capture writes; tune-wandb
    captures the trial's output itself, from before ``wandb.init`` returns.
    """
    run._console_raw_callback(stream, line)


def stop_wandb_capture(run: Run) -> None:
    """Take wandb's own capture off ``sys.stdout``/``sys.stderr``; the run still takes lines.

    Online, wandb-core uploads a run's console records (``output.log``) only when
    the run's ``console`` setting is not ``"off"`` (measured: with ``"off"``, not one
    line reached the server). So a run whose output tune-wandb captures starts with
    ``console="wrap_raw"``, and wandb's wrappers, installed inside ``wandb.init``,
    come off as it returns: each line is then captured once, by tune-wandb, masked.
    """
    run._restore()


#: wandb's module through which Launch stages a job's inputs (``manage_wandb_config``).
_LAUNCH_INPUTS = "wandb.sdk.launch.inputs.internal"


def skip_unstaged_launch_inputs() -> None:
    """Have ``wandb.init`` skip applying Launch job inputs where none can be staged.

    Every ``wandb.init`` (wandb 0.23 to 0.31 at least) imports wandb's Launch
    package to apply the job inputs a Launch job staged, a fifth of a second
    of CPU in each trial's process, and none of it serves a trial that is not
    a Launch job. Inputs are staged only through ``_LAUNCH_INPUTS``: while it
    is not imported there are none to apply, and the call is skipped; once a
    job imports it (``wandb.sdk.launch.manage_wandb_config``, a Launch agent)
    wandb's own method runs as before. Idempotent; a wandb without the method
    is left alone.
    """
    from wandb.sdk.wandb_run import Run

    original = getattr(Run, "_detect_and_apply_job_inputs", None)
    if original is None or getattr(original, "_tune_wandb_skips_unstaged", False):
        return

    def detect_and_apply_job_inputs(self: Run) -> None:
        if _LAUNCH_INPUTS in sys.modules:
            original(self)

    detect_and_apply_job_inputs._tune_wandb_skips_unstaged = True  # type: ignore[attr-defined]  # a marker on our own function
    Run._detect_and_apply_job_inputs = detect_and_apply_job_inputs  # type: ignore[method-assign]  # the wrapper, installed once
