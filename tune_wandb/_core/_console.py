"""A trial's console output as whole lines for its run: secrets masked, memory bounded.

The trial's process writes to ``sys.stdout`` and ``sys.stderr`` in pieces;
W&B's Logs tab shows lines. :class:`ConsoleLines` joins one stream's pieces
into lines and masks the API key in each, :class:`Backlog` holds the
lines printed before the run has started (``wandb.init`` runs beside the
trial's setup), up to a bound, counting what it had to drop, and
:class:`FileTail` reads what Tune's ``log_to_file`` appended to a trial's
output files since the last look (for the logger, whose runs live on the
driver).
"""

from __future__ import annotations

from collections import deque
from typing import Any, Final

import attrs

#: Shown in place of a secret in a captured line.
MASK: Final = "***"
#: A line longer than this is passed on in pieces of this size.
MAX_LINE: Final = 64 * 1024
#: What the backlog holds before the run starts; later lines push out the oldest.
MAX_BACKLOG: Final = 1024 * 1024
#: Lines Ray's workers write for its own log monitor (which worker printed what), not
#: the trial's: they are left out.
RAY_MARKERS: Final = (
    ":actor_name:",
    ":task_name:",
    ":job_id:",
    ":event_summary:",
    ":info_message:",
)


def _check_secrets(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, tuple) or not all(isinstance(s, str) and s for s in value):
        raise TypeError(f"{attribute.name} must be a tuple of non-empty strings")


@attrs.define
class ConsoleLines:
    """Joins one stream's writes into whole lines, each with the secrets masked.

    Example::

        >>> lines = ConsoleLines(secrets=("k" * 40,))
        >>> lines.feed("epoch 1, key " + "k" * 40 + "\\nepo")
        ['epoch 1, key ***\\n']
        >>> lines.feed("ch 2\\n"), lines.rest()
        (['epoch 2\\n'], '')
    """

    secrets: tuple[str, ...] = attrs.field(default=(), repr=False, validator=_check_secrets)
    _partial: str = attrs.field(default="", init=False, repr=False)

    def feed(self, text: str) -> list[str]:
        """The lines ``text`` completes (a line longer than ``MAX_LINE`` comes in pieces)."""
        data = self._partial + text
        lines = data.splitlines(keepends=True)
        self._partial = lines.pop() if lines and not lines[-1].endswith(("\n", "\r")) else ""
        while len(self._partial) > MAX_LINE:
            lines.append(self._partial[:MAX_LINE])
            self._partial = self._partial[MAX_LINE:]
        return [self.mask(line) for line in lines if not line.startswith(RAY_MARKERS)]

    def rest(self) -> str:
        """What is left of an unfinished last line (masked), which is then forgotten."""
        rest, self._partial = self._partial, ""
        return self.mask(rest)

    def mask(self, line: str) -> str:
        """``line`` with every secret replaced by ``***``."""
        for secret in self.secrets:
            line = line.replace(secret, MASK)
        return line


@attrs.define
class FileTail:
    """What was appended to a file since the last read, a bounded amount at a time.

    Example::

        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp(), "stdout")
        >>> tail = FileTail(str(path))
        >>> tail.read(), path.write_text("one\\n"), tail.read(), tail.read()
        ('', 4, 'one\\n', '')
    """

    path: str
    #: The most one read returns; the rest waits for the next.
    limit: int = attrs.field(default=MAX_BACKLOG, validator=attrs.validators.gt(0))
    _offset: int = attrs.field(default=0, init=False)

    def read(self) -> str:
        """The text appended since the last read ('' when there is none or no file)."""
        try:
            with open(self.path, "rb") as file:
                file.seek(self._offset)
                data = file.read(self.limit)
        except OSError:
            return ""
        self._offset += len(data)
        return data.decode("utf-8", errors="replace")


@attrs.define
class Backlog:
    """Lines waiting for the run to start, oldest first, within ``limit`` characters.

    Example::

        >>> backlog = Backlog(limit=10)
        >>> for line in ["12345\\n", "abcde\\n", "xyz\\n"]:
        ...     backlog.add("stdout", line)
        >>> backlog.take(), backlog.dropped
        ([('stdout', 'abcde\\n'), ('stdout', 'xyz\\n')], 1)
    """

    limit: int = attrs.field(default=MAX_BACKLOG, validator=attrs.validators.gt(0))
    #: Lines pushed out to stay within ``limit``.
    dropped: int = attrs.field(default=0, init=False)
    _lines: deque[tuple[str, str]] = attrs.field(factory=deque, init=False, repr=False)
    _size: int = attrs.field(default=0, init=False)

    def add(self, stream: str, line: str) -> None:
        """Keep ``line`` of ``stream``; the oldest lines go when over the limit."""
        self._lines.append((stream, line))
        self._size += len(line)
        while self._size > self.limit and self._lines:
            _, old = self._lines.popleft()
            self._size -= len(old)
            self.dropped += 1

    def take(self) -> list[tuple[str, str]]:
        """Every line held, oldest first; the backlog is then empty."""
        lines = list(self._lines)
        self._lines.clear()
        self._size = 0
        return lines
