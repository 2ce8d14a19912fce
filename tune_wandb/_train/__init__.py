"""Ray Train and in-trial entry points: ``setup_wandb`` and ``WandbTrainCallback``.

- :mod:`._hosts`: where ``setup_wandb`` runs (Tune trial, Train worker, plain
  process), the run's identity there, and how its end is noticed.
- :mod:`._setup`: ``setup_wandb``, a drop-in for Ray's, that finishes its run.
- :mod:`._callback`: ``WandbTrainCallback``, one run per Ray Train run, from
  the Train controller.
"""
