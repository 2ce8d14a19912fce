"""PBT lineage: which trial each exploit cloned, at which iteration, and the best trial's ancestry.

When Population Based Training (or PB2) exploits, a trial takes another
trial's latest checkpoint and a mutated copy of its config. Tune logs that
only as text. Each exploit is kept here as an :class:`Exploit`: the trial's
run records it at that step, the experiment run's table names each trial's
parent, and :func:`ancestry` rebuilds the chain of clones that produced a
trial, with each config and the iterations it held, which is the schedule
PBT found.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs

#: The history keys of the row after an exploit: the trial it cloned, and at which iteration.
PARENT: Final = "tune/parent"
PARENT_ITERATION: Final = "tune/parent_iteration"
#: The summary key holding every exploit of a trial (:meth:`Exploit.record`).
LINEAGE: Final = "tune/lineage"


@attrs.frozen(kw_only=True)
class Exploit:
    """One PBT exploit: ``trial_id`` cloned ``parent_id`` at the parent's ``parent_iteration``.

    Example::

        >>> e = Exploit(seq=0, trial_id="t_00001", parent_id="t_00000", parent_iteration=4,
        ...             at_iteration=4, config_before={"lr": 2.0}, config_after={"lr": 0.5},
        ...             parent_config={"lr": 0.4})
        >>> e.record(parent_run="t_00000")["parent"]
        't_00000'
    """

    #: Order among the experiment's exploits (0 first).
    seq: int = attrs.field(validator=attrs.validators.ge(0))
    trial_id: str
    parent_id: str
    #: The parent's iteration whose checkpoint the trial took.
    parent_iteration: int | None
    #: The trial's own iteration when it was exploited.
    at_iteration: int | None
    config_before: dict[str, Any]
    config_after: dict[str, Any]
    #: The parent's config when it was cloned.
    parent_config: dict[str, Any]

    def record(self, parent_run: str | None) -> dict[str, Any]:
        """The exploit as the trial's run keeps it (in its summary's ``tune/lineage``)."""
        return {
            "parent": self.parent_id,
            "parent_run": parent_run,
            "parent_iteration": self.parent_iteration,
            "at_iteration": self.at_iteration,
            "config_before": self.config_before,
            "config_after": self.config_after,
        }


def parents(exploits: Iterable[Exploit]) -> dict[str, str]:
    """Each exploited trial's latest parent, by trial id."""
    latest: dict[str, Exploit] = {}
    for exploit in exploits:
        held = latest.get(exploit.trial_id)
        if held is None or exploit.seq > held.seq:
            latest[exploit.trial_id] = exploit
    return {trial_id: e.parent_id for trial_id, e in latest.items()}


def ancestry(
    trial_id: str,
    exploits: Iterable[Exploit],
    *,
    last_iteration: int | None,
    config: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """The chain of clones that produced ``trial_id``, oldest first.

    Each link is a trial, the config it trained with and the iterations
    ``[first, last]`` of the final model's history it held; ``last_iteration``
    and ``config`` are ``trial_id``'s own at the end.

    Example::

        >>> e = Exploit(seq=0, trial_id="b", parent_id="a", parent_iteration=2,
        ...             at_iteration=2, config_before={"lr": 2}, config_after={"lr": 0.5},
        ...             parent_config={"lr": 0.4})
        >>> [(link["trial_id"], link["iterations"]) for link in
        ...  ancestry("b", [e], last_iteration=6, config={"lr": 0.5})]
        [('a', [1, 2]), ('b', [3, 6])]
    """
    ordered = sorted(exploits, key=lambda e: e.seq)
    chain: list[dict[str, Any]] = []
    current, end, held_config = trial_id, last_iteration, dict(config)
    before = len(ordered) + max((e.seq for e in ordered), default=0) + 1
    for _ in range(len(ordered) + 1):  # each exploit is followed at most once
        earlier = [e for e in ordered if e.trial_id == current and e.seq < before]
        if not earlier:
            chain.append({"trial_id": current, "config": held_config, "iterations": [1, end]})
            break
        last = earlier[-1]
        first = (last.parent_iteration or 0) + 1
        chain.append({"trial_id": current, "config": held_config, "iterations": [first, end]})
        current, end, held_config, before = (
            last.parent_id,
            last.parent_iteration,
            dict(last.parent_config),
            last.seq,
        )
    chain.reverse()
    return chain
