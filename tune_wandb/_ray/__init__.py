"""The Ray side: what tune-wandb reads from Ray (the experiment, where code runs, shared values).

Above the core, beside the wandb side (neither imports the other). Ray's private
parts are used only in :mod:`._compat`.
"""
