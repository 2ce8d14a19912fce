# A Tune script as many are written: no `if __name__ == "__main__":` guard.
# tests/test_logger.py runs it in a child process; it prints one line per run.
import os
import sys

from ray import tune

from tune_wandb import WandbLogger

print("script body ran in", os.getpid(), flush=True)


class Thing:
    """Defined in __main__: the logger's writer process cannot import it."""


def reports(config: dict[str, object]) -> None:
    for i in range(3):
        tune.report({"i": i, "thing": Thing()})


tune.run(
    reports,
    config={"a": tune.grid_search([1, 2])},
    callbacks=[WandbLogger(project="no-guard", summary=False)],
    storage_path=sys.argv[1],
    name="no_guard",
    verbose=0,
)
