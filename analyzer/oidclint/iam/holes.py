"""Partly known text read by a scanner or a regular expression: each unknown piece of a
``Partial`` stands in the text as one ``HOLE`` character, so the known text around it can be
matched, and the pieces read are put back together with the unknowns they hold."""

from __future__ import annotations

import re
from typing import Any

from oidclint.source import Partial, Text, Unknown, concat

HOLE = "\x00"
"""Stands for one unknown piece. No value written in a configuration holds it (a NUL)."""


def with_holes(text: Any) -> tuple[str, list[Unknown]] | None:
    """The text with a ``HOLE`` for each unknown piece, and those pieces in order; ``None``
    for a value not known at all, not text, or text that holds a ``HOLE`` of its own."""
    if isinstance(text, Partial):
        return ("".join(HOLE if isinstance(p, Unknown) else p for p in text.parts),
                [p for p in text.parts if isinstance(p, Unknown)])
    if isinstance(text, str) and HOLE not in text:
        return str(text), []
    return None


def between(source: str, start: int, end: int, unknowns: list[Unknown]) -> Text:
    """The text from ``start`` to ``end`` of a ``with_holes`` text, each hole the unknown
    piece it stands for: ``str`` when it holds none, else ``Partial``."""
    holes = iter(unknowns[source.count(HOLE, 0, start):])
    pieces: list[Any] = []
    for index, piece in enumerate(source[start:end].split(HOLE)):
        if index:
            pieces.append(next(holes))
        pieces.append(piece)
    return concat([p for p in pieces if p != ""])


def fullmatch(pattern: re.Pattern, text: Any) -> dict[str, Text | None] | None:
    """The named groups of ``pattern`` matched over the whole of a partly known text (its
    unknown pieces as ``HOLE`` characters), each group's text partly known as the text is;
    ``None`` for a group that took no part. ``None`` when the text does not match."""
    pieces = with_holes(text)
    if pieces is None:
        return None
    source, unknowns = pieces
    found = pattern.fullmatch(source)
    if found is None:
        return None
    return {name: between(source, *found.span(name), unknowns) if found[name] is not None
            else None for name in pattern.groupindex}
