"""ConsoleLines and Backlog: whole lines, secrets masked, a bounded wait for the run."""

from __future__ import annotations

import pytest

from tune_wandb._core._console import MAX_LINE, Backlog, ConsoleLines

KEY = "k" * 40


def test_pieces_become_whole_lines() -> None:
    """Writes in pieces give each line once it ends; the rest waits."""
    lines = ConsoleLines()
    assert lines.feed("a") == []
    assert lines.feed("b\nc\r\nd") == ["ab\n", "c\r\n"]
    assert lines.rest() == "d"
    assert lines.rest() == ""


def test_a_key_is_masked_even_when_written_in_two_pieces() -> None:
    """The key never leaves in a line, however the print was split."""
    lines = ConsoleLines(secrets=(KEY,))
    assert lines.feed(f"key={KEY[:10]}") == []
    assert lines.feed(f"{KEY[10:]} done\n") == ["key=*** done\n"]
    lines.feed(f"unfinished {KEY}")
    assert lines.rest() == "unfinished ***"


def test_a_line_without_end_comes_in_bounded_pieces() -> None:
    """A huge line without a newline does not grow memory: it is passed on in pieces."""
    lines = ConsoleLines()
    out = lines.feed("x" * (3 * MAX_LINE + 5))
    assert [len(piece) for piece in out] == [MAX_LINE] * 3
    assert lines.rest() == "x" * 5


def test_empty_secrets_are_refused() -> None:
    """An empty secret would mask nothing useful (and every gap): refused."""
    with pytest.raises(TypeError, match="secrets"):
        ConsoleLines(secrets=("",))


def test_the_backlog_keeps_the_newest_within_its_limit() -> None:
    """Lines before the run starts are held up to the limit; the oldest go, counted."""
    backlog = Backlog(limit=8)
    for i in range(5):
        backlog.add("stdout", f"{i}{i}{i}\n")
    assert backlog.take() == [("stdout", "333\n"), ("stdout", "444\n")]
    assert backlog.dropped == 3
    assert backlog.take() == []


def test_rays_own_marker_lines_are_left_out() -> None:
    """The lines Ray's workers print for its log monitor are not the trial's output."""
    lines = ConsoleLines()
    assert lines.feed(":actor_name:train_fn\nepoch 1\n:task_name:x\n") == ["epoch 1\n"]
