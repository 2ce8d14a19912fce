"""The driver's API key, shared through Ray's internal store with trial processes."""

from __future__ import annotations

import socket

import pytest

from tune_wandb import _cluster_keys
from tune_wandb._cluster_keys import file_source, share_key, shared_key
from tune_wandb._secrets import read_key_file

KEY = "c" * 40


def test_nothing_shared_outside_ray_or_before_sharing(ray_session: None) -> None:
    """No entry means no key: the caller then explains where to put one."""
    assert shared_key(file_source("~/never-shared")) is None


def test_a_shared_key_is_read_back_and_forgotten_at_exit(ray_session: None) -> None:
    """share_key stores the key for this job; the exit hook deletes it."""
    share_key(file_source("~/k1"), KEY)
    assert shared_key(file_source("~/k1")) == KEY
    assert shared_key(file_source("~/k2")) is None  # named by source: other files differ
    _cluster_keys._forget_keys()
    assert shared_key(file_source("~/k1")) is None


def test_a_missing_key_file_falls_back_to_the_shared_key(ray_session: None) -> None:
    """On a node without the file, the key the driver read from that setting is used."""
    path = "~/tune-wandb-tests-no-such-key"
    with pytest.raises(ValueError, match=f"does not exist on {socket.gethostname()}"):
        read_key_file(path)
    share_key(file_source(path), KEY)
    try:
        assert read_key_file(path) == KEY
    finally:
        _cluster_keys._forget_keys()
