"""Failure: a trial's error as its run's summary tells it, from an exception or Tune's text."""

from __future__ import annotations

from tune_wandb._core._failure import MAX_TRACEBACK, Failure

TUNE_ERROR = """Failure # 1 (occurred at 2026-12-02_13-00-00)
ray::ImplicitFunc.train() (pid=1, ip=127.0.0.1, actor_id=a, repr=fn)
  File "/tmp/train.py", line 9, in fn
    raise ValueError("lr must be positive")
ValueError: lr must be positive
"""


def test_an_exception_gives_its_type_message_and_traceback() -> None:
    """The class name, the message, and a traceback that ends with both."""
    try:
        raise RuntimeError("worker fails on purpose")
    except RuntimeError as error:
        failure = Failure.from_exception(error)
    assert (failure.type, failure.message) == ("RuntimeError", "worker fails on purpose")
    assert failure.traceback.rstrip().endswith("RuntimeError: worker fails on purpose")
    assert "test_failure.py" in failure.traceback


def test_tunes_error_text_is_read_from_its_last_exception_line() -> None:
    """error.txt as Tune writes it: the type and message of the exception at its end."""
    failure = Failure.from_text(TUNE_ERROR)
    assert (failure.type, failure.message) == ("ValueError", "lr must be positive")
    assert failure.summary() == {
        "type": "ValueError",
        "message": "lr must be positive",
        "traceback": TUNE_ERROR,
    }


def test_a_dotted_type_and_text_without_one() -> None:
    """Ray's wrapper names its cause; text with no exception line is an "Error"."""
    wrapped = Failure.from_text("ray.exceptions.RayTaskError(ValueError): boom")
    assert (wrapped.type, wrapped.message) == ("ValueError", "boom")
    assert Failure.from_text("the process died").summary()["type"] == "Error"


def test_long_tracebacks_keep_their_end() -> None:
    """A traceback is bounded, and keeps its last lines (where the error is)."""
    text = "x\n" * MAX_TRACEBACK + "KeyError: 'lr'"
    failure = Failure.from_text(text)
    assert len(failure.traceback) == MAX_TRACEBACK
    assert failure.traceback.endswith("KeyError: 'lr'")
    assert (failure.type, failure.message) == ("KeyError", "'lr'")
