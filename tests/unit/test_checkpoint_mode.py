"""upload_checkpoints as a mode: the accepted values, and an error naming the choices."""

from __future__ import annotations

import pytest

from tune_wandb._core._checkpoint_mode import MODES, checkpoint_mode


def test_each_accepted_value_is_a_mode_or_off() -> None:
    """True and "all" are "all"; "best" and "end" are themselves; False and None are off."""
    assert [checkpoint_mode(v) for v in (*MODES, None)] == [None, "all", "all", "best", "end", None]


def test_anything_else_names_the_setting_and_every_choice() -> None:
    """A wrong value fails naming the setting as the caller spells it, and each choice."""
    with pytest.raises(
        ValueError, match=r"^X\(y=...\): 'sometimes' is not a choice: use False, True"
    ):
        checkpoint_mode("sometimes", setting="X(y=...)")
    with pytest.raises(ValueError, match=r"'best' \(those that improve the metric\), or 'end'"):
        checkpoint_mode(1)
