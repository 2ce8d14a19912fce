"""The writer link's wire format: operations framed and pickled, several to a message.

Each operation in a message is its sequence number and its pickled size
(:data:`FRAME`), then the pickle. Pickling never sends what the writer
process cannot load: it imports neither Ray nor the user's script, so an
object of a class defined in ``__main__`` crosses as a placeholder, which
result cleaning then drops with one warning naming its type.
"""

from __future__ import annotations

import io
import pickle
import struct
from typing import Any, Final

import attrs

from tune_wandb._core._results import Unsendable
from tune_wandb._logger._ops import Log, Op

#: Each operation in a message to the child: its sequence number and its pickled size,
#: then the pickled operation. A message holds one or more operations.
FRAME: Final = struct.Struct("!QI")


class _Pickler(pickle.Pickler):
    """Pickles what the writer process can load: nothing from the user's ``__main__``."""

    def reducer_override(self, obj: Any) -> Any:
        cls = obj if isinstance(obj, type) else type(obj)
        if getattr(cls, "__module__", None) == "__main__":
            return Unsendable, (cls.__name__,)
        return NotImplemented


def _pickle(obj: object) -> bytes:
    # Pickle's C code first: a class from ``__main__`` is pickled by reference to that
    # module, by name, so a pickle without the name has none (the Python-level
    # reducer_override costs a call per object: most of submit's time, profiled).
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    if b"__main__" not in data:
        return data
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buffer.getvalue()


def dumps(op: Op) -> bytes:
    """``op`` pickled; a result value that cannot be pickled becomes a placeholder."""
    try:
        return _pickle(op)
    except Exception:
        if not isinstance(op, Log):
            raise
    result: dict[str, Any] = {}
    for key, value in op.result.items():
        try:
            _pickle(value)
            result[key] = value
        except Exception:  # noqa: BLE001 - the child warns once and drops it
            result[key] = Unsendable(type(value).__name__)
    return _pickle(attrs.evolve(op, result=result))


def frame(seq: int, data: bytes) -> bytes:
    """One pickled operation (``data``) with its sequence number, ready to join a message."""
    return FRAME.pack(seq, len(data)) + data


def frames(message: bytes) -> list[tuple[int, memoryview]]:
    """The operations in a message: each one's sequence number and pickled bytes.

    Example::

        >>> [(seq, bytes(data)) for seq, data in frames(frame(1, b"a") + frame(2, b"bc"))]
        [(1, b'a'), (2, b'bc')]
    """
    view = memoryview(message)
    found = []
    offset = 0
    while offset < len(view):
        seq, size = FRAME.unpack_from(view, offset)
        offset += FRAME.size
        found.append((seq, view[offset : offset + size]))
        offset += size
    return found
