"""The trainables ``make bench`` runs, one module per way of logging.

Ray pickles a trainable by reference to its module, so each Tune worker
imports that whole module. Keeping the no-logging trainable in a module that
imports neither wandb nor tune_wandb keeps their import time out of the
baseline; each logging variant pays for exactly the imports it needs.
"""
