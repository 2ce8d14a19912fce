"""Result cleaning and run configs: flat rows, excludes, bookkeeping, and no crash on odd values."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import wandb
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tune_wandb._core._results import (
    ResultCleaner,
    Unsendable,
    flatten,
    is_excluded,
    run_config,
    serialisable,
)


class TestRows:
    def test_nested_keys_are_flattened_with_slashes(self) -> None:
        """{"a": {"b": 1}} is logged as "a/b"."""
        assert flatten({"a": {"b": 1, "c": {"d": 2}}, "e": 3}) == {"a/b": 1, "a/c/d": 2, "e": 3}

    def test_excludes_match_key_or_prefix(self) -> None:
        """An exclude drops the key itself and everything under it, nothing else."""
        assert is_excluded("info", ("info",))
        assert is_excluded("info/lr", ("info",))
        assert not is_excluded("information", ("info",))
        row = ResultCleaner(excludes=("info", "b")).clean({"info": {"lr": 1}, "b": 2, "c": 3})
        assert row.metrics == {"c": 3}

    def test_control_keys_and_config_are_not_metrics(self) -> None:
        """done, should_checkpoint and config are never logged as metrics."""
        row = ResultCleaner().clean(
            {"done": True, "should_checkpoint": True, "config": {"lr": 0.1}, "loss": 1.0}
        )
        assert row.metrics == {"loss": 1.0}

    def test_bookkeeping_goes_to_config_once_and_on_change(self) -> None:
        """Tune's bookkeeping keys update the run config only when they change."""
        cleaner = ResultCleaner()
        first = cleaner.clean({"trial_id": "t", "pid": 1, "date": "d1", "loss": 1})
        assert first.config_update == {"trial_id": "t", "pid": 1, "date": "d1"}
        assert first.metrics == {"loss": 1}
        assert cleaner.clean({"trial_id": "t", "pid": 1, "date": "d2"}).config_update == {}
        assert cleaner.clean({"trial_id": "t", "pid": 2, "date": "d3"}).config_update == {"pid": 2}

    def test_log_config_logs_config_values_and_their_changes(self) -> None:
        """With log_config, numeric config values are config/ metrics; changes update the config."""
        cleaner = ResultCleaner(log_config=True)
        first = cleaner.clean({"config": {"lr": 0.1, "wandb": {"project": "p"}}, "loss": 1})
        assert first.metrics == {"loss": 1, "config/lr": 0.1}
        assert first.config_update == {"lr": 0.1}
        assert cleaner.clean({"config": {"lr": 0.1}}).config_update == {}
        assert cleaner.clean({"config": {"lr": 0.2}}).config_update == {"lr": 0.2}

    def test_numpy_scalars_become_numbers(self) -> None:
        """numpy scalars are logged as plain Python numbers."""
        row = ResultCleaner().clean({"f": np.float32(0.5), "i": np.int64(3), "b": np.bool_(True)})
        assert row.metrics == {"f": 0.5, "i": 3, "b": True}
        assert [type(v) for v in row.metrics.values()] == [float, int, bool]

    def test_arrays_become_media(self) -> None:
        """3-D arrays are images, 4-D lists of images, 1-D histograms."""
        row = (
            ResultCleaner()
            .clean(
                {
                    "img": np.zeros((8, 8, 3), dtype=np.uint8),
                    "imgs": np.zeros((2, 8, 8, 3), dtype=np.uint8),
                    "hist": np.arange(10.0),
                }
            )
            .metrics
        )
        assert isinstance(row["img"], wandb.Image)
        assert [type(i) for i in row["imgs"]] == [wandb.Image, wandb.Image]
        assert isinstance(row["hist"], wandb.Histogram)

    def test_unloggable_value_is_dropped_with_one_warning(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """An object W&B cannot take is dropped; the warning names it once."""
        cleaner = ResultCleaner()
        with caplog.at_level(logging.WARNING, logger="tune_wandb"):
            for _ in range(3):
                row = cleaner.clean({"obj": object(), "loss": 1.0})
                assert row.metrics == {"loss": 1.0}
        assert [r.getMessage().count("'obj'") for r in caplog.records] == [1]


class TestNothingSilent:
    def test_keys_wandb_writes_itself_are_renamed(self, caplog: pytest.LogCaptureFixture) -> None:
        """_step, _runtime, _timestamp from a result go under tune/, with one warning each."""
        cleaner = ResultCleaner(trial="t_1")
        with caplog.at_level(logging.WARNING, logger="tune_wandb"):
            for _ in range(2):
                row = cleaner.clean({"_step": 7, "_runtime": 1.5, "_timestamp": 3, "loss": 1})
        assert row.metrics == {
            "tune/_step": 7,
            "tune/_runtime": 1.5,
            "tune/_timestamp": 3,
            "loss": 1,
        }
        messages = [r.getMessage() for r in caplog.records]
        assert len(messages) == 3
        assert "'_step' of trial 't_1' is logged as 'tune/_step'" in messages[0]

    def test_an_empty_name_is_dropped_with_a_warning(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A metric named "" (which W&B drops without a word) is dropped, and said."""
        with caplog.at_level(logging.WARNING, logger="tune_wandb"):
            row = ResultCleaner(trial="t_1").clean({"": 1, "a": {"": 2}, "b": 3})
        assert row.metrics == {"b": 3}
        assert sum("empty name" in r.getMessage() for r in caplog.records) == 2

    def test_colliding_flat_keys_keep_the_first_and_warn(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """{"a/b": 1, "a": {"b": 2}} both flatten to "a/b": the first stays, said once."""
        with caplog.at_level(logging.WARNING, logger="tune_wandb"):
            row = ResultCleaner(trial="t_1").clean({"a/b": 1, "a": {"b": 2}})
        assert row.metrics == {"a/b": 1}
        (message,) = [r.getMessage() for r in caplog.records]
        assert "'a/b' of trial 't_1' keeps its first value" in message

    def test_one_warning_per_key_across_an_experiments_trials(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Cleaners sharing a warned set name the key and the user's type once, with a trial."""
        warned: set[str] = set()
        with caplog.at_level(logging.WARNING, logger="tune_wandb"):
            for trial in ("t_1", "t_2"):
                ResultCleaner(trial=trial, warned=warned).clean({"obj": Path("/x")})
        (message,) = [r.getMessage() for r in caplog.records]
        assert "'obj' of trial 't_1'" in message
        assert "PosixPath" in message

    def test_an_unsendable_value_names_the_users_type(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A value that could not cross to the writer is named by its own type, not ours."""
        with caplog.at_level(logging.WARNING, logger="tune_wandb"):
            row = ResultCleaner(trial="t_1").clean({"thing": Unsendable("MyModel"), "v": 1})
        assert row.metrics == {"v": 1}
        (message,) = [r.getMessage() for r in caplog.records]
        assert "MyModel" in message
        assert "Unsendable" not in message

    def test_channels_first_arrays_are_images(self) -> None:
        """PyTorch's (C, H, W) and (N, C, H, W) arrays become images like (H, W, C) ones."""
        row = (
            ResultCleaner()
            .clean(
                {
                    "chw": np.zeros((3, 16, 12), dtype=np.uint8),
                    "nchw": np.zeros((2, 1, 16, 12), dtype=np.uint8),
                }
            )
            .metrics
        )
        assert isinstance(row["chw"], wandb.Image)
        assert (row["chw"]._width, row["chw"]._height) == (12, 16)
        assert [(i._width, i._height) for i in row["nchw"]] == [(12, 16), (12, 16)]


class TestRunConfig:
    def test_wandb_key_is_removed(self) -> None:
        """The run config is the trial config without "wandb"."""
        assert run_config({"a": 1, "wandb": {"api_key": "secret"}}) == {"a": 1}

    def test_values_wandb_cannot_store_are_converted(self) -> None:
        """numpy values, tuples, sets, objects and huge ints become JSON data."""
        out = run_config(
            {
                "n": np.float64(1.5),
                "t": (1, 2),
                "s": {3},
                "o": object(),
                "big": 2**70,
                "arr": np.ones(2),
            }
        )
        assert out["n"] == 1.5
        assert out["t"] == [1, 2]
        assert out["s"] == [3]
        assert out["o"].startswith("<object object")
        assert out["big"] == str(2**70)
        assert out["arr"] == [1.0, 1.0]
        json.dumps(out)


# -- property-based: arbitrary input never crashes --------------------------

_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.binary(max_size=20),
    st.sets(st.integers(), max_size=3),
    st.builds(object),
    hnp.arrays(
        dtype=st.sampled_from([np.uint8, np.float32, np.int64, np.bool_, np.complex64, np.str_]),
        shape=hnp.array_shapes(min_dims=0, max_dims=5, max_side=4),
    ),
)
_keys = st.text(min_size=1, max_size=300)
_nested = st.recursive(
    _leaves, lambda inner: st.dictionaries(_keys, inner, max_size=5), max_leaves=30
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(_keys, _nested, max_size=10))
def test_any_result_cleans_without_raising(result: dict[str, Any]) -> None:
    """Any nested mapping of odd values cleans into a row of loggable values, never an exception."""
    logging.getLogger("tune_wandb").setLevel(logging.ERROR)
    row = ResultCleaner(log_config=True).clean(result)
    for value in row.metrics.values():
        assert value is None or isinstance(
            value, bool | int | float | str | list | wandb.Histogram | wandb.Image | wandb.Video
        )


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(_keys, _nested, max_size=10))
def test_any_config_serialises_to_json(config: dict[str, Any]) -> None:
    """Any trial config becomes JSON-serialisable data."""
    json.dumps(run_config(config), allow_nan=True)


def test_thousands_of_keys() -> None:
    """A result with 5,000 keys is cleaned whole."""
    row = ResultCleaner().clean({f"k{i}": float(i) for i in range(5000)})
    assert len(row.metrics) == 5000
    assert row.metrics == {f"k{i}": float(i) for i in range(5000)}


def test_serialisable_depth_is_bounded() -> None:
    """A self-referencing config does not recurse forever."""
    loop: dict[str, Any] = {}
    loop["self"] = loop
    assert isinstance(serialisable(loop), dict)
