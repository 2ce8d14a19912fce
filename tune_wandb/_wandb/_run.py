"""The one place that starts and finishes W&B runs, from a :class:`~tune_wandb._core._plan.RunPlan`.

Starting tries the plan as it is and falls back to an offline run in the same
folder when W&B cannot be reached (server down, bad key, timeout), so a W&B
outage never costs a trial or a metric; finishing is bounded so a hung upload
never hangs Tune.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, Literal, NoReturn

from tune_wandb._core._hooks import process_run_info
from tune_wandb._core._secrets import redact
from tune_wandb._wandb import _compat
from tune_wandb._wandb._preflight import check_server

if TYPE_CHECKING:
    from wandb.sdk.wandb_run import Run

    from tune_wandb._core._plan import RunPlan

logger = logging.getLogger("tune_wandb")

Reinit = Literal["create_new", "finish_previous"]


def sync_command(run: Run) -> str:
    """The command that uploads ``run`` (its own folder, wherever it was written).

    ``wandb sync`` skips a run started online unless told to include it.
    """
    online = "" if is_offline(run) else "--include-online "
    return f"wandb sync {online}{run.settings.sync_dir}"


def start_run(plan: RunPlan, *, reinit: Reinit) -> Run:
    """Start ``plan``'s run; fall back to offline in the same folder if W&B fails.

    ``reinit="finish_previous"`` makes the run the process's ``wandb.run``, so
    module-level ``wandb.log()`` reaches it (the mixins); ``"create_new"``
    keeps many runs side by side in one process (the logger).
    """
    try:
        run = _start(plan, reinit=reinit)
    except _Unreachable as error:
        reason = redact(str(error), plan.api_key)
    else:
        _started(plan, run)
        return run
    run = _start_offline(plan, reinit=reinit)
    _started(plan, run)
    logger.warning(
        "tune-wandb: W&B could not be reached for run %r (%s); logging offline so no "
        "metric is lost. Upload it later with: %s",
        plan.run_id,
        reason.splitlines()[0] if reason else "unknown error",
        sync_command(run),
    )
    return run


def _started(plan: RunPlan, run: Run) -> None:
    if plan.log_console:
        _compat.stop_wandb_capture(run)  # tune-wandb captures the output itself
    process_run_info(run)


class _Unreachable(Exception):
    """W&B could not start the run online; an offline run may stand in."""


def _start(plan: RunPlan, *, reinit: Reinit) -> Run:
    """``wandb.init`` as planned; ``_Unreachable`` where offline would do instead."""
    import wandb

    _compat.skip_unstaged_launch_inputs()
    if plan.online and plan.api_key is not None:
        problem = check_server(plan.base_url, plan.api_key, plan.init_timeout)
        if problem is not None:
            _raise_unreachable(plan, problem)
    try:
        return wandb.init(**plan.init_kwargs, reinit=reinit, settings=_settings(plan))
    except (ValueError, TypeError, wandb.errors.UsageError) as error:
        # A mistake in the settings, not an outage: offline would not fix it.
        raise ValueError(
            f"wandb.init rejected the settings of run {plan.run_id!r}: "
            f"{redact(str(error), plan.api_key)}"
        ) from None
    except Exception as error:  # noqa: BLE001 - server down, bad key, timeout
        _compat.release_run_id(plan.run_id)
        _raise_unreachable(plan, f"{type(error).__name__}: {error}")


def _raise_unreachable(plan: RunPlan, reason: str) -> NoReturn:
    if plan.mode == "offline" or not plan.offline_fallback:
        raise RuntimeError(
            f"wandb.init failed for trial run {plan.run_id!r}: "
            f"{redact(reason, plan.api_key)}. Set "
            f"config['wandb']['offline_fallback']=True to log offline instead."
        )
    raise _Unreachable(reason)


def _start_offline(plan: RunPlan, *, reinit: Reinit) -> Run:
    import wandb

    kwargs = dict(plan.init_kwargs, mode="offline")
    return wandb.init(**kwargs, reinit=reinit, settings=_settings(plan, offline=True))


def _settings(plan: RunPlan, *, offline: bool = False) -> Any:
    import wandb

    fields = dict(plan.wandb_settings)
    if plan.api_key and not offline:
        fields["api_key"] = plan.api_key
    return wandb.Settings(**fields)


def finish_run(run: Run, *, exit_code: int, timeout: float) -> bool:
    """Finish ``run`` with ``exit_code``; wait at most ``timeout`` seconds.

    Returns whether it finished in time. A run that did not is reported with
    the command that uploads what it wrote.
    """
    errors: list[BaseException] = []

    def _finish() -> None:
        try:
            run.finish(exit_code=exit_code)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    worker = threading.Thread(target=_finish, name=f"tune-wandb-finish-{run.id}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        logger.warning(
            "tune-wandb: run %r did not finish within %.0f s (upload_timeout); its data "
            "is on disk, upload it later with: %s",
            run.id,
            timeout,
            sync_command(run),
        )
        return False
    if errors:
        logger.warning("tune-wandb: finishing run %r failed: %s", run.id, errors[0])
        return False
    return True


def is_offline(run: Run) -> bool:
    """Whether ``run`` writes only to disk (offline mode, or the offline fallback)."""
    return run.settings.mode == "offline" or _compat.writes_offline(run)
