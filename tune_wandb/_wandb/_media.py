"""W&B media objects in Tune results, carried to the writer with their bytes.

A ``wandb.Image`` (``Video``, ``Audio``, ...) made in a trial holds only the
path of a temporary file in that trial's process, which is gone once the
process ends (and is on another machine for a trial on another node). Tune
hands the driver each result while the trial's process is still alive, so the
logger reads those files there, at once, and the writer process puts them
back in a folder of its own before logging. A file that cannot be read is
reported with its key and trial, and costs only its own value.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

from tune_wandb._wandb import _compat

_MAX_DEPTH: Final = 8


def _media_files(value: object, depth: int = 0) -> Iterator[Any]:
    """Every wandb media object with a file inside ``value`` (mappings, lists, table cells)."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _media_files(item, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _media_files(item, depth + 1)
    elif type(value).__module__.startswith("wandb."):
        yield from _compat.media_with_files([value])
        data = getattr(value, "data", None)  # a wandb.Table's rows
        if isinstance(data, list):
            yield from _media_files(data, depth + 1)


def read_media(result: Mapping[str, Any]) -> dict[str, bytes]:
    """The bytes of every media file the result's objects point to, by path, where readable here."""
    files: dict[str, bytes] = {}
    for media in _media_files(result):
        path = _compat.media_path(media)
        if path in files:
            continue
        try:
            files[path] = Path(path).read_bytes()
        except OSError:
            continue  # reported by the writer, which finds the file missing
    return files


class MediaStore:
    """The writer's copies of media files: each object is pointed at a copy before logging."""

    def __init__(self) -> None:
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._copies: dict[str, str] = {}

    def restore(self, result: Mapping[str, Any], files: Mapping[str, bytes]) -> list[str]:
        """Point the result's media objects at copies of ``files``; return paths still missing."""
        missing: list[str] = []
        for media in _media_files(result):
            path = _compat.media_path(media)
            if path in files:
                _compat.set_media_path(media, self._copy(path, files[path]))
            elif not os.path.exists(path):
                missing.append(path)
        return missing

    def _copy(self, path: str, data: bytes) -> str:
        copy = self._copies.get(path)
        if copy is None:
            if self._folder is None:
                self._folder = tempfile.TemporaryDirectory(prefix="tune-wandb-media-")
            copy = str(Path(self._folder.name, f"{len(self._copies)}-{Path(path).name}"))
            Path(copy).write_bytes(data)
            self._copies[path] = copy
        return copy


def without_missing(
    result: Mapping[str, Any], missing: list[str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """``result`` without the values whose media files are missing, and why each went."""
    gone = set(missing)
    kept: dict[str, Any] = {}
    dropped: dict[str, str] = {}
    for key, value in result.items():
        lost = [m for m in _media_files(value) if _compat.media_path(m) in gone]
        if lost:
            dropped[str(key)] = (
                f"is not logged: its {type(lost[0]).__name__}'s file "
                f"{_compat.media_path(lost[0])} could not be read (deleted, or written on "
                f"another node)"
            )
        else:
            kept[key] = value
    return kept, dropped
