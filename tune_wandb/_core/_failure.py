"""A trial's failure as its run tells it: the exception's type, its message, the traceback.

A failed run used to say "failed" and nothing else; the user had to find the
trial's ``error.txt`` on the machine that ran it. Every entry point now puts
the failure in the run's summary (``tune/error``): the mixins and
``setup_wandb`` from the exception itself, the logger from the error Tune
recorded, ``WandbTrainCallback`` from the error the Train run ended with
(which names the failing rank).
"""

from __future__ import annotations

import re
import traceback
from typing import Final

import attrs

#: The summary key that holds a failed trial's error.
ERROR: Final = "tune/error"
#: A traceback kept in the summary is cut to its last this many characters.
MAX_TRACEBACK: Final = 20_000
#: The last line of a Python traceback: ``module.Type: message``, where Ray's wrappers
#: name the cause in brackets (``RayTaskError(ValueError): ...``).
_LAST_LINE = re.compile(
    r"^([A-Za-z_][\w.]*(?:Error|Exception|Interrupt|Exit|Warning)\w*)(?:\((\w+)\))?(?:: (.*))?$"
)


@attrs.frozen
class Failure:
    """Why a trial failed.

    Example::

        >>> Failure.from_text("Traceback ...\\nValueError: bad lr").summary()["type"]
        'ValueError'
    """

    #: The exception's class name (``RuntimeError``), or ``"Error"`` when unknown.
    type: str
    message: str
    traceback: str = ""

    @classmethod
    def from_exception(cls, error: BaseException) -> Failure:
        """The failure an exception raised in the trial's process describes."""
        text = "".join(traceback.format_exception(error))
        return cls(type(error).__name__, str(error), text[-MAX_TRACEBACK:])

    @classmethod
    def from_text(cls, text: str) -> Failure:
        """The failure in an error Tune (or Train) recorded as text: its last exception line."""
        lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
        for line in reversed(lines):
            match = _LAST_LINE.match(line)
            if match:
                name = match.group(2) or match.group(1).rsplit(".", 1)[-1]
                return cls(name, match.group(3) or "", text[-MAX_TRACEBACK:])
        return cls("Error", lines[-1] if lines else "", text[-MAX_TRACEBACK:])

    def summary(self) -> dict[str, str]:
        """The failure as the run's summary holds it (``tune/error``)."""
        return {"type": self.type, "message": self.message, "traceback": self.traceback}
