"""The writer link's wire format: framed pickles, and values the writer could not load."""

from __future__ import annotations

import pickle
import threading

import pytest

from tune_wandb._core._results import Unsendable
from tune_wandb._logger._ops import Finish, Log
from tune_wandb._logger._wire import dumps, frame, frames


def test_frames_come_apart_in_order() -> None:
    """A message of several frames yields each sequence number with its bytes."""
    message = b"".join(frame(seq, dumps(Finish(f"t{seq}", 0))) for seq in (1, 2, 3))
    found = [(seq, pickle.loads(data)) for seq, data in frames(message)]
    assert found == [(seq, Finish(f"t{seq}", 0)) for seq in (1, 2, 3)]


def test_an_unpicklable_value_crosses_as_a_placeholder_naming_its_type() -> None:
    """A lock in a result cannot be pickled: only that value becomes a placeholder."""
    op = pickle.loads(dumps(Log("t", {"loss": 0.5, "lock": threading.Lock()})))
    assert op.result["loss"] == 0.5
    assert isinstance(op.result["lock"], Unsendable)
    assert op.result["lock"].type_name == "lock"


def test_other_operations_that_cannot_be_pickled_raise() -> None:
    """Only a result's values are replaced; anything else is a bug to see."""
    with pytest.raises(TypeError):
        dumps(Finish(threading.Lock(), 0))  # type: ignore[arg-type]  # not a trial id, on purpose


class FromTheUsersScript:
    """A class as a Tune script defines it: in ``__main__``, which the writer never imports."""


FromTheUsersScript.__module__ = "__main__"


def test_a_class_from_the_users_script_crosses_as_a_placeholder() -> None:
    """The writer cannot import the user's script: such a value is replaced, named."""
    data = dumps(Log("t", {"mine": FromTheUsersScript(), "loss": 1.0}))
    assert b"FromTheUsersScript" in data
    op = pickle.loads(data)
    assert (op.result["mine"].type_name, op.result["loss"]) == ("FromTheUsersScript", 1.0)
