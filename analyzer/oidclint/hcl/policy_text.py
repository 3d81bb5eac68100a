"""Policy JSON written as text (heredoc, quoted string, file) to a located JSON value.

A heredoc or file keeps its lines, so values inside get spans where they are written; text
computed otherwise (a quoted string with escapes, ``replace(...)``) is located at the
expression that produced it. Unknown interpolations are the holes of
``oidclint.located.json_text``, so ``"${var.org}"`` inside the JSON stays ``Unknown``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from oidclint.hcl.values import Encoded, EvalError, TextOrigin, derived_unknown, with_ref
from oidclint.located.json_text import Hole, Piece, joined, json_nesting, located_value
from oidclint.located.documents import LoadError
from oidclint.source import Partial, Span, Str, Unknown, integer_literal

MAX_NESTING = 100
"""Policies nest a handful of levels; deeper JSON is refused before the loader recurses."""


class PolicyTextError(ValueError):
    """The text is not JSON; the message says where."""

    def __init__(self, message: str, span: Span | None) -> None:
        super().__init__(message)
        self.span = span


def file_value(text: str, path: str, text_origins: dict[Span, TextOrigin]) -> Str:
    """The text ``file()`` read at ``path``, located over the whole file, with its origin
    kept so that ``jsondecode`` of it locates what it decodes."""
    lines = text.split("\n")
    span = Span(path, 1, 1, len(lines), len(lines[-1]) + 1)
    text_origins[span] = TextOrigin(0)
    return Str(text, span)


def decode_located_json(value: Any, span: Span, text_origins: dict[Span, TextOrigin]) -> Any:
    """``jsondecode(value)`` as located values; unknown for an unknown argument."""
    if isinstance(value, Unknown):
        return derived_unknown("jsondecode()", [value], span)
    try:
        return located_json(value, text_origins)
    except PolicyTextError as exc:
        raise EvalError(f"jsondecode(): {exc}") from None


def located_json(value: Any, text_origins: dict[Span, TextOrigin]) -> Any:
    """The JSON-shaped located value a policy argument holds.

    ``Encoded`` gives what it encodes; a string is parsed; ``Unknown`` stays unknown; a
    mapping is taken as it is. Raises ``PolicyTextError`` when a string is not JSON.
    """
    if isinstance(value, Encoded):
        return value.decoded
    if isinstance(value, (Unknown, dict, list)) or value is None:
        return value
    if not isinstance(value, (str, Partial)):
        raise PolicyTextError("the policy is not a JSON string", None)
    span = value.span
    origin = text_origins.get(span) if span is not None else None
    path = span.path if span is not None else ""
    if isinstance(value, Partial):
        pieces = [p if isinstance(p, str) else Hole(p) for p in value.parts]
    else:
        pieces = [str(value)]
    if origin:
        relocate = trimmed_columns(origin) if any(origin.trimmed) else None
    else:
        relocate = (lambda _s: span)  # noqa: E731 - the text is not laid out as written
    refs = origin.refs if origin else {}

    def string(parts: list[Piece], at: Span | None, key: bool) -> Any:
        # A string that is exactly an interpolated reference
        # (``"${aws_iam_openid_connect_provider.gh.arn}"``) names it again.
        restored = joined(parts, at)
        ref = None if key else refs.get(str(restored))
        return with_ref(restored, ref) if ref else restored

    try:
        # Placeholders outside JSON strings are quoted so the strict check accepts them.
        return located_value(pieces, path, line_offset=origin.line_offset if origin else 0,
                             relocate_span=relocate, string=string, quote_holes=True,
                             check=lambda text: _check_strict(text, span, origin),
                             marker="unknown")
    except LoadError as exc:
        where = span
        line = _error_line(str(exc))
        if origin and line is not None:
            where = Span(path, origin.line_offset + line, 1)
        raise PolicyTextError(f"the policy is not valid JSON: {exc}", where) from None
    except RecursionError:
        raise PolicyTextError("the policy JSON is nested too deeply", span) from None


def _check_strict(text: str, span: Span | None, origin: TextOrigin | None) -> None:
    """Strict JSON first: the located loader reads YAML too, which IAM would not accept."""
    if json_nesting(text) > MAX_NESTING:
        raise PolicyTextError("the policy JSON is nested too deeply", span)
    try:
        json.loads(text, parse_int=integer_literal)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        path = span.path if span is not None else ""
        where = Span(path, origin.line_offset + line, 1) if origin and line else span
        reason = getattr(exc, "msg", str(exc))
        message = (f"the policy is not valid JSON: line {line}: {reason}" if line
                   else f"the policy is not valid JSON: {reason}")
        raise PolicyTextError(message, where) from None


def _error_line(message: str) -> int | None:
    match = re.match(r"line (\d+)", message)
    return int(match.group(1)) if match else None


def trimmed_columns(origin: TextOrigin):
    """Columns of a ``<<-`` heredoc move right by what the trimming removed."""
    offset, trimmed = origin.line_offset, origin.trimmed

    def move(span: Span | None) -> Span | None:
        if span is None:
            return None
        def cut(line: int) -> int:
            index = line - offset - 1
            return trimmed[index] if 0 <= index < len(trimmed) else 0
        return Span(span.path, span.line, span.column + cut(span.line), span.end_line,
                    span.end_column + cut(span.end_line))
    return move
