"""MkDocs hook: the settings reference's table, generated from ``WandbSettings`` itself.

Each row comes from one attrs field: its name, its annotation as written, its
default, where it works (the field's ``works_in`` metadata) and its meaning (the
``#:`` comment above it in ``tune_wandb/_core/_settings.py``). A page holding the
marker gets the table in its place, so the reference cannot drift from the code.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import attrs

from tune_wandb import WandbSettings

MARKER = "<!-- settings-table -->"
SOURCE = Path(__file__).resolve().parents[2] / "tune_wandb" / "_core" / "_settings.py"


def field_comments(source: str) -> dict[str, tuple[str, str]]:
    """Each ``WandbSettings`` field's annotation and ``#:`` comment, by name."""
    lines = source.splitlines()
    tree = ast.parse(source)
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "WandbSettings"]
    found: dict[str, tuple[str, str]] = {}
    for node in cls.body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        comment: list[str] = []
        row = node.lineno - 2
        while row >= 0 and lines[row].strip().startswith("#:"):
            comment.insert(0, lines[row].strip()[2:].strip())
            row -= 1
        found[node.target.id] = (ast.unparse(node.annotation), " ".join(comment))
    return found


def _code(text: str) -> str:
    """reStructuredText's ``double backticks`` as Markdown's, pipes escaped for a table."""
    return re.sub(r"``(.+?)``", r"`\1`", text).replace("|", "\\|")


def settings_table(source: str | None = None) -> str:
    """The reference table: one row per setting, every one documented or an error.

    ``source`` is ``_settings.py``'s text (read from the package when left out).
    """
    comments = field_comments(SOURCE.read_text() if source is None else source)
    defaults = WandbSettings()
    rows = ["| setting | type | default | works in | meaning |", "|---|---|---|---|---|"]
    for field in attrs.fields(WandbSettings):
        annotation, comment = comments[field.name]
        works_in = field.metadata.get("works_in")
        if not comment or not works_in:
            raise ValueError(f"WandbSettings.{field.name} needs a #: comment and works_in metadata")
        default = getattr(defaults, field.name)
        rows.append(
            f"| `{field.name}` | `{_code(annotation)}` | `{default!r}` | {works_in} "
            f"| {_code(comment)} |"
        )
    return "\n".join(rows)


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """Put the generated table where a page has the marker."""
    return markdown.replace(MARKER, settings_table()) if MARKER in markdown else markdown
