"""The ``WandbLogger`` entry point: a Tune callback on the driver and its writer process.

- :mod:`._callback`: ``WandbLogger``, Tune's hooks; they only plan and queue.
- :mod:`._writer_process`: the child process that owns every run, and the
  driver's handle on it.
- :mod:`._writer`: the operations and the loop that carries them out.
- :mod:`._media`: W&B media objects' files, carried from the driver to the writer.
- :mod:`._summary`: the end-of-experiment table.

Nothing is imported here: the writer process imports this package and must
not pay for Ray Tune.
"""
