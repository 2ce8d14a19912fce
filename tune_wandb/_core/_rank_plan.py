"""Another process's share of a run: the plan of a labelled writer (W&B's shared mode).

A Train run has one W&B run, written by one process (rank 0 with
``setup_wandb``, the controller with ``WandbTrainCallback``). The other
workers' system metrics and console output belong in it too, told apart by
rank. W&B's shared mode does exactly that: more processes write to one run id,
each with ``x_label`` (their system metrics come out as
``system.cpu/l:rank_1``, their lines as ``[rank_1] ...``), ``x_primary=False``
(no config, files or metadata of their own) and ``x_update_finish_state=False``
(only the run's own writer marks it finished). Shared mode needs a server:
offline, each process would write a run folder of its own, so there the run
holds what its own writer samples and nothing else.

The logger uses the same for a trial on another node: its runs live on the
driver, and W&B samples only processes on the machine it runs on, so a writer
on the trial's node samples the trial's process into the driver's run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs

from tune_wandb._core._plan import (
    _our_wandb_settings,
    _sampled_pid,
    _user_wandb_settings,
    _wandb_has_setting,
)

if TYPE_CHECKING:
    from tune_wandb._core._plan import RunPlan
    from tune_wandb._core._settings import WandbSettings

#: ``wandb.init`` arguments a labelled writer keeps: which run, where; no config or name.
_WHICH_RUN = ("id", "project", "entity", "dir")


def rank_label(rank: int) -> str:
    """How W&B labels rank ``rank``'s system metrics and lines: ``rank_1``."""
    return f"rank_{rank}"


def labels_ranks() -> bool:
    """Whether the installed wandb can label a writer (``x_label``, shared mode)."""
    return _wandb_has_setting("x_label") and _wandb_has_setting("x_update_finish_state")


def rank_plan(
    plan: RunPlan,
    settings: WandbSettings,
    *,
    rank: int,
    gpus: Sequence[int | str] | None = None,
) -> RunPlan | None:
    """The plan of rank ``rank``'s writer into ``plan``'s run, or ``None`` if it needs none.

    It samples its own process (and ``gpus``, the GPUs Ray gave it) and
    captures its console output, as the settings ask. ``None`` where there is
    nothing to share (both off) or no way to share it (offline, or a wandb
    without shared mode).

    Example::

        >>> from tune_wandb._core._identity import TrialIdentity
        >>> from tune_wandb._core._plan import RunPlan
        >>> from tune_wandb._core._settings import WandbSettings
        >>> settings = WandbSettings(project="p", api_key="k" * 40, init_kwargs={"mode": "online"})
        >>> identity = TrialIdentity(trial_id="t1", trial_name="t", experiment="e", folder="/tmp/t")
        >>> plan = RunPlan.resolve(settings, identity, {}, quiet_stats=True)
        >>> shared = rank_plan(plan, settings, rank=1)
        >>> shared.mode, shared.wandb_settings["x_label"], sorted(shared.init_kwargs)
        ('shared', 'rank_1', ['dir', 'id', 'project'])
    """
    return shared_plan(plan, settings, label=rank_label(rank), gpus=gpus)


def trial_plan(plan: RunPlan, settings: WandbSettings, *, pid: int) -> RunPlan | None:
    """The plan of a writer beside trial process ``pid`` (another node) into the logger's run.

    It samples that process only, labelled ``pid_<pid>``; the logger's run has the
    rest (the trial's output comes from Tune's files). ``None`` where system metrics
    are off or cannot be shared (offline, or a wandb without shared mode).
    """
    if not settings.log_system_metrics:
        return None
    return shared_plan(plan, settings, label=f"pid_{pid}", stats_pid=pid, console=False)


def shared_plan(
    plan: RunPlan,
    settings: WandbSettings,
    *,
    label: str,
    gpus: Sequence[int | str] | None = None,
    stats_pid: int | None = None,
    console: bool = True,
) -> RunPlan | None:
    """A writer into ``plan``'s run labelled ``label``: it samples process ``stats_pid``
    (else its own) and captures its console output if ``console`` and the settings say so."""
    user = _user_wandb_settings(settings.init_kwargs.get("settings"))
    log_console = console and settings.log_console and "console" not in user
    if not plan.online or not labels_ranks():
        return None
    if not (settings.log_system_metrics or log_console or (console and "console" in user)):
        return None
    wandb_settings: dict[str, Any] = {
        **_our_wandb_settings(
            attrs.evolve(settings, log_console=log_console), quiet_stats=False, gpus=gpus
        ),
        **{k: v for k, v in user.items() if k != "x_stats_pid" and (console or k != "console")},
        "mode": "shared",
        "x_label": label,
        "x_primary": False,
        "x_update_finish_state": False,
    }
    if stats_pid is not None and not wandb_settings.get("x_disable_stats"):
        wandb_settings["x_stats_pid"] = stats_pid
    return attrs.evolve(
        plan,
        mode="shared",
        init_kwargs={k: plan.init_kwargs[k] for k in _WHICH_RUN if plan.init_kwargs.get(k)},
        wandb_settings=wandb_settings,
        log_console=log_console,
        # It marks nothing in the run: no summary, no best value, no fallback run.
        summary_metric=None,
        offline_fallback=False,
        sampled_pid=_sampled_pid(wandb_settings, quiet_stats=False),  # this process
    )
