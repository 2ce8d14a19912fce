"""The targets the benchmarks hold tune-wandb to, and whether a run met them.

Each target is a ratio of two variants' median wall times in one workload (a
variant against no logging, or online against offline) that must stay at or
under a bound: a number, or the same ratio of Ray's own integration in the same
run. A report lists every target whose variants ran, met or not.
"""

from __future__ import annotations

import attrs

#: Each round's wall seconds: workload -> variant -> one per round.
Rounds = dict[str, dict[str, list[float]]]


@attrs.frozen
class Target:
    """``variant`` over ``against`` in ``workload`` at most ``limit``.

    ``limit`` is a number, or a ``(variant, against)`` pair whose ratio in the same
    run is the bound (ours ahead of Ray's).
    """

    text: str
    workload: str
    variant: str
    against: str
    limit: float | tuple[str, str]

    def judge(
        self, medians: dict[str, dict[str, float]], rounds: Rounds | None = None
    ) -> list[str] | None:
        """The report's row (target, workload, measured, bound, met, each round), or ``None``.

        ``rounds`` (workload -> variant -> each round's seconds) adds the ratio of
        every round; without them that column is empty.
        """
        times = medians.get(self.workload, {})
        names = [self.variant, self.against]
        if isinstance(self.limit, tuple):
            names += list(self.limit)
        if not all(name in times for name in names):
            return None
        measured = times[self.variant] / times[self.against]
        if isinstance(self.limit, tuple):
            bound = times[self.limit[0]] / times[self.limit[1]]
            shown = f"{bound:.2f}x (`{self.limit[0]}`)"
        else:
            bound = self.limit
            shown = f"{bound:.2f}x"
        met = "met" if measured <= bound else "**not met**"
        each = (rounds or {}).get(self.workload, {})
        ratios = ", ".join(
            f"{t / b:.2f}x"
            for t, b in zip(each.get(self.variant, []), each.get(self.against, []), strict=False)
        )
        return [self.text, f"`{self.workload}`", f"{measured:.2f}x", shown, met, ratios]


TARGETS = [
    Target(
        "the logger online, against the logger offline",
        "8x100-setup-online",
        "ours_logger_online",
        "ours_logger",
        1.05,
    ),
    Target(
        "the logger with console output and system metrics on",
        "8x100-setup-story",
        "ours_logger",
        "none",
        1.05,
    ),
    Target("the decorator on trivial trials", "4x25", "ours_decorator", "none", 1.25),
    Target("the class mixin on trivial trials", "4x25", "ours_class", "none_class", 1.25),
    Target("the decorator after a 2 s setup", "8x100-setup-story", "ours_decorator", "none", 1.10),
    Target(
        "the class mixin after a 2 s setup",
        "8x100-setup-story",
        "ours_class",
        "none_class",
        1.10,
    ),
    Target(
        "the decorator ahead of Ray's `setup_wandb`",
        "4x25",
        "ours_decorator",
        "none",
        ("ray_setup_wandb", "none"),
    ),
    Target(
        "the class mixin ahead of Ray's `setup_wandb`",
        "4x25",
        "ours_class",
        "none_class",
        ("ray_setup_wandb", "none"),
    ),
    Target(
        "the decorator ahead of Ray's `setup_wandb`, logging",
        "2x200",
        "ours_decorator",
        "none",
        ("ray_setup_wandb", "none"),
    ),
    Target(
        "the class mixin ahead of Ray's `setup_wandb`, logging",
        "2x200",
        "ours_class",
        "none_class",
        ("ray_setup_wandb", "none"),
    ),
    Target("the logger at 32 trials at once", "32x1000", "ours_logger", "none", 1.10),
]


def report(
    medians: dict[str, dict[str, float]],
    of: str = "Medians of this run",
    rounds: Rounds | None = None,
) -> str:
    """The targets' table for the workloads in ``medians`` (workload -> variant -> s).

    With ``rounds``, a last column has the same ratio in each round.
    """
    rows = [row for target in TARGETS if (row := target.judge(medians, rounds)) is not None]
    if not rows:
        return ""
    head = ["target", "workload", "measured", "at most", "", "each round"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(["## Targets", "", f"{of}:", "", *lines])
