"""The one place that starts and finishes W&B runs.

Both mixins and the logger call :func:`start_run` and :func:`finish_run`.
Starting falls back to an offline run in the same folder when W&B cannot be
reached (server down, bad key, timeout), so a W&B outage never costs a trial
or a metric; finishing is bounded so a hung upload never hangs Tune.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tune_wandb._preflight import DEFAULT_BASE_URL, check_server
from tune_wandb._secrets import redact

if TYPE_CHECKING:
    from wandb.sdk.wandb_run import Run

    from tune_wandb._identity import RunIdentity
    from tune_wandb._settings import WandbSettings

logger = logging.getLogger("tune_wandb")

#: Seconds between writes of a run's data to its ``.wandb`` file (wandb's default: 15).
FLUSH_INTERVAL = 1.0


def _wandb_settings(settings: WandbSettings, api_key: str | None, *, quiet_stats: bool) -> Any:
    import wandb

    ours: dict[str, Any] = {
        "silent": True,
        "console": "off",
        "init_timeout": settings.init_timeout,
        # wandb-core buffers a run's transaction log and writes it every 15 s by
        # default; when a trial's process dies (OOM, ray.kill) its service dies
        # with it, and a run killed within its first 15 s kept 0 rows (measured).
        # Every second, it keeps all but the last second's.
        "x_transaction_log_flush_interval": FLUSH_INTERVAL,
    }
    if quiet_stats:
        # The logger's runs live in the driver: its CPU, memory, machine, git state and
        # packages are not the trial's, and collecting them made each init 5x slower
        # (82 ms -> 15 ms measured offline). A user's own settings still override these.
        ours.update(
            x_disable_stats=True,
            x_disable_machine_info=True,
            x_disable_meta=True,
            x_save_requirements=False,
            disable_git=True,
            save_code=False,
        )
    if api_key:
        ours["api_key"] = api_key
    wb_settings = wandb.Settings(**ours)
    user = settings.init_kwargs.get("settings")
    if isinstance(user, wandb.Settings):
        wb_settings.update_from_settings(user)
    elif isinstance(user, Mapping):
        wb_settings.update_from_dict(dict(user))
    return wb_settings


def _server_problem(settings: WandbSettings, api_key: str | None) -> str | None:
    """Why an online run could not start now, or ``None`` (see ``_preflight``)."""
    if settings.mode not in ("online", "shared") or api_key is None:
        return None
    user = settings.init_kwargs.get("settings")
    base_url = None
    if isinstance(user, Mapping):
        base_url = user.get("base_url")
    elif user is not None:
        base_url = getattr(user, "base_url", None)
    base_url = str(base_url or os.environ.get("WANDB_BASE_URL") or DEFAULT_BASE_URL)
    return check_server(base_url, api_key, settings.init_timeout)


def sync_command(run: Run | None, folder: str) -> str:
    """The command that uploads an offline run written under ``folder``."""
    path = getattr(getattr(run, "settings", None), "sync_dir", None) or str(Path(folder, "wandb"))
    return f"wandb sync {path}"


def start_run(
    settings: WandbSettings,
    identity: RunIdentity,
    config: Mapping[str, Any],
    *,
    reinit: Literal["create_new", "finish_previous"],
    quiet_stats: bool = False,
) -> Run:
    """Start ``identity``'s run; fall back to offline in the same folder if W&B fails.

    ``reinit="finish_previous"`` makes the run the process's ``wandb.run``, so
    module-level ``wandb.log()`` reaches it (the mixins); ``"create_new"``
    keeps many runs side by side in one process (the logger).
    """
    import wandb

    Path(identity.folder).mkdir(parents=True, exist_ok=True)
    api_key = settings.resolved_api_key()
    kwargs = {
        k: v for k, v in settings.init_kwargs.items() if k not in ("id", "name", "dir", "settings")
    }
    extra_config = kwargs.pop("config", None)
    run_config = dict(extra_config) if isinstance(extra_config, Mapping) else {}
    run_config.update(config)
    init_args: dict[str, Any] = dict(
        kwargs,
        id=identity.run_id,
        name=identity.name,
        group=identity.group,
        project=identity.project,
        dir=identity.folder,
        config=run_config,
        reinit=reinit,
        # A trial restarted (max_failures, Tuner.restore) or moved to another
        # actor continues its run online instead of clashing with it.
        resume="allow",
    )
    problem = _server_problem(settings, api_key)
    try:
        if problem is not None:
            raise ConnectionError(problem)
        return wandb.init(
            **init_args, settings=_wandb_settings(settings, api_key, quiet_stats=quiet_stats)
        )
    except (ValueError, TypeError, wandb.errors.UsageError) as error:
        # A mistake in the settings, not an outage: offline would not fix it.
        raise ValueError(
            f"wandb.init rejected the settings of run {identity.run_id!r}: "
            f"{redact(str(error), api_key)}"
        ) from None
    except Exception as error:  # noqa: BLE001 - server down, bad key, timeout: go offline
        if settings.mode == "offline" or not settings.offline_fallback:
            raise RuntimeError(
                f"wandb.init failed for trial run {identity.run_id!r}: "
                f"{redact(f'{type(error).__name__}: {error}', api_key)}. Set "
                f"config['wandb']['offline_fallback']=True to log offline instead."
            ) from None
        reason = redact(f"{type(error).__name__}: {error}", api_key)
        if problem is None:
            _release_run_id(identity.run_id)
    init_args["mode"] = "offline"
    run = wandb.init(**init_args, settings=_wandb_settings(settings, None, quiet_stats=quiet_stats))
    logger.warning(
        "tune-wandb: W&B could not be reached for run %r (%s); logging offline so no "
        "metric is lost. Upload it later with: %s",
        identity.run_id,
        reason.splitlines()[0] if reason else "unknown error",
        sync_command(run, identity.folder),
    )
    return run


def _release_run_id(run_id: str) -> None:
    """Tell this process's wandb service to drop a run whose ``wandb.init`` failed.

    The service keeps the id of a run it could not start "in use", and the
    offline retry under the same id (the trial id) would be refused. This is
    wandb's internal service API (0.31): kept here, in one place.
    """
    try:
        from wandb.sdk import wandb_setup

        wandb_setup.singleton().ensure_service().inform_finish(run_id=run_id)
    except Exception:
        logger.debug("tune-wandb: could not release run id %s", run_id, exc_info=True)


def finish_run(run: Run, *, exit_code: int, timeout: float) -> bool:
    """Finish ``run`` with ``exit_code``; wait at most ``timeout`` seconds.

    Returns whether it finished in time. A run that did not is reported with
    the folder that holds its data, which ``wandb sync`` can upload later.
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
            sync_command(run, os.getcwd()),
        )
        return False
    if errors:
        logger.warning("tune-wandb: finishing run %r failed: %s", run.id, errors[0])
        return False
    return True


def discard_offline_run(run: Run) -> None:
    """Delete a finished offline run that holds nothing of its trial.

    Tune may start an actor for one trial and then give it another; the run
    started for the first is empty and its trial's real run is written
    elsewhere. Online runs are left alone: the real run resumes the same id.
    """
    sync_dir = getattr(run.settings, "sync_dir", None)
    if run.settings.mode != "offline" or not sync_dir:
        return
    shutil.rmtree(sync_dir, ignore_errors=True)
    logger.debug("tune-wandb: discarded provisional run %s", sync_dir)
