"""The ``WandbLogger`` entry point: a Tune callback on the driver and its writer process.

- :mod:`._callback`: ``WandbLogger``, Tune's hooks; they only plan and queue.
- :mod:`._ops`: the operations queued, one per hook.
- :mod:`._link`: the driver's side of the writer link (supervision, backpressure).
- :mod:`._wire`: how operations cross to the writer; :mod:`._spawn`: starting it.
- :mod:`._child`: the writer process's loop; :mod:`._writer`: the runs it owns.
- :mod:`._experiment_run`: the experiment's own run; :mod:`._summary`: the
  end-of-experiment table.

Nothing is imported here: the writer process imports this package and must
not pay for Ray Tune.
"""
