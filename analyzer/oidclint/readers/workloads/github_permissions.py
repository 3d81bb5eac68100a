"""How a job's own ``permissions`` mapping is written, for a fix that edits it in place.

Only the plain shape is described: a block-style mapping under the job's ``permissions`` key,
one ``key: value`` entry per line at one indentation, with no anchor, alias, tag or merge key.
Anything else (flow style ``{...}``, ``read-all``, an expression, a mapping shared through an
alias) is left to a person: an edit there could reach further than the one job.
"""

from __future__ import annotations

import re
from typing import Any

from oidclint.model import PermissionEntries
from oidclint.readers.workloads.github_expressions import lookup
from oidclint.source import Span, span_of

_LINE_BREAKS_ELSEWHERE = re.compile("[\x85\u2028\u2029]|\r(?!\n)")
"""Line breaks YAML counts that a plain split on ``\\n`` does not: spans would disagree."""
_AFTER_KEY = re.compile(r"[ \t]*:[ \t]*(?:#[^\r\n]*)?\r?\n(?:[ \t]*(?:#[^\r\n]*)?\r?\n)*[ \t]*")
"""Between ``permissions`` and its first entry: the colon, then only blanks and comments
(no ``&anchor``, ``*alias`` or ``!tag``)."""


def permission_entries(text: str, job: dict) -> PermissionEntries | None:
    """The job's own ``permissions`` mapping when it has the plain block shape, else ``None``."""
    block = job.get("permissions")
    key = next((k for k in job if isinstance(k, str) and k == "permissions"), None)
    key_span = span_of(key)
    if not isinstance(block, dict) or not block or key_span is None \
            or _LINE_BREAKS_ELSEWHERE.search(text):
        return None
    lines = text.split("\n")
    spans = [span_of(k) for k in block]
    if any(s is None or not isinstance(k, str) for s, k in zip(spans, block)):
        return None
    first, last = spans[0], spans[-1]
    column = first.column
    if column <= key_span.column or any(s.column != column for s in spans) \
            or [s.line for s in spans] != sorted({s.line for s in spans}) \
            or first.line <= key_span.line or last.line > len(lines):
        return None
    between = _between(lines, key_span, first)
    if not _AFTER_KEY.fullmatch(between):
        return None
    indent = lines[first.line - 1][:column - 1]
    if any(lines[s.line - 1][:column - 1] != indent for s in spans) or indent.strip(" ") \
            or "<<" in "\n".join(lines[first.line - 1:last.line]):
        return None  # tabs, or a merge key whose entries are written elsewhere
    name = lookup(block, "id-token")
    id_token = None
    if name is not None:
        written_key = next(k for k in block if k == name)  # the key as read, with its span
        id_token = _written(block[name], span_of(written_key), lines)
        if id_token is None:
            return None
    newline = "\r\n" if lines[first.line - 1].endswith("\r") else "\n"
    first_key = lines[first.line - 1][first.column - 1:first.end_column - 1]
    if first.line != first.end_line or not first_key:
        return None
    return PermissionEntries((first, first_key), indent, newline, id_token)


def _between(lines: list[str], key: Span, first: Span) -> str:
    """The text from the end of the ``permissions`` key to the first entry's key."""
    head = lines[key.line - 1][key.end_column - 1:]
    middle = lines[key.line:first.line - 1]
    tail = lines[first.line - 1][:first.column - 1]
    return "\n".join([head, *middle, tail])


def _written(value: Any, key: Span | None, lines: list[str]) -> tuple[Span, str] | None:
    """A scalar written on its key's line, and its text as written; ``None`` for a value
    with no such place (empty, a block scalar, a mapping)."""
    span = span_of(value)
    if not isinstance(value, str) or span is None or key is None \
            or span.line != span.end_line or span.line != key.line:
        return None
    return span, lines[span.line - 1][span.column - 1:span.end_column - 1]
