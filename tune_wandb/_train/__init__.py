"""Ray Train and in-trial entry points: ``setup_wandb`` and ``WandbTrainCallback``.

- :mod:`._setup`: ``setup_wandb``, a drop-in for Ray's, that finishes its run
  (where it runs: :mod:`tune_wandb._ray._hosts`).
- :mod:`._callback`: ``WandbTrainCallback``, one run per Ray Train run, from
  the Train controller.
"""
