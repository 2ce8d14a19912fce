"""The core: settings, identity, plan, rows and results, best values, stops, records, checkpoints.

Plain data and pure functions. Nothing here imports Ray, and wandb only inside
a function that needs its public API (``wandb.init``'s parameters, media types),
so the core is tested without starting either (``tests/unit/``).
"""
