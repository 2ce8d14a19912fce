"""The wandb side: a run's session from start to finish, and everything that talks to W&B.

Above the core, beside the Ray side (neither imports the other). wandb's private
parts are used only in :mod:`._compat`.
"""
