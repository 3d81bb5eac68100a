"""Policy JSON written as text (heredoc, quoted string, file) to a located JSON value.

A heredoc or file keeps its lines, so values inside get spans where they are written; text
computed otherwise (a quoted string with escapes, ``replace(...)``) is located at the
expression that produced it. Unknown interpolations are swapped for placeholders before
parsing and swapped back after, so ``"${var.org}"`` inside the JSON stays ``Unknown``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from oidclint.hcl.values import Encoded, TextOrigin, with_ref
from oidclint.parsers.located import LoadError, load_json
from oidclint.source import LDict, LList, Partial, Span, Str, Unknown, concat

MAX_NESTING = 100
"""Policies nest a handful of levels; deeper JSON is refused before the loader recurses."""

_PLACEHOLDER = "__oidclint_unknown_{}__"
_PLACEHOLDER_PATTERN = re.compile(r"__oidclint_unknown_(\d+)__")


class PolicyTextError(ValueError):
    """The text is not JSON; the message says where."""

    def __init__(self, message: str, span: Span | None) -> None:
        super().__init__(message)
        self.span = span


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
    text, unknowns = _with_placeholders(value)
    origin = text_origins.get(span) if span is not None else None
    path = span.path if span is not None else ""
    if _nesting(text) > MAX_NESTING:
        raise PolicyTextError("the policy JSON is nested too deeply", span)
    try:
        # Strict JSON first: the located loader reads YAML too, which IAM would not accept.
        json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        where = Span(path, origin.line_offset + line, 1) if origin and line else span
        reason = getattr(exc, "msg", str(exc))
        raise PolicyTextError(f"the policy is not valid JSON: line {line}: {reason}"
                              if line else f"the policy is not valid JSON: {reason}", where) from None
    try:
        parsed = load_json(text, path, origin.line_offset if origin else 0)
    except LoadError as exc:
        where = span
        line = _error_line(str(exc))
        if origin and line is not None:
            where = Span(path, origin.line_offset + line, 1)
        raise PolicyTextError(f"the policy is not valid JSON: {exc}", where) from None
    except RecursionError:
        raise PolicyTextError("the policy JSON is nested too deeply", span) from None
    if origin:
        relocate = _trimmed_columns(origin) if any(origin.trimmed) else None
    else:
        relocate = (lambda _s: span)  # noqa: E731 - the text is not laid out as written
    try:
        return _restore(parsed, unknowns, relocate, origin.refs if origin else {})
    except RecursionError:
        raise PolicyTextError("the policy JSON is nested too deeply", span) from None


def _nesting(text: str) -> int:
    """How deep brackets nest outside JSON strings."""
    depth = deepest = 0
    inside = escaped = False
    for ch in text:
        if inside:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                inside = False
        elif ch == '"':
            inside = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _error_line(message: str) -> int | None:
    match = re.match(r"line (\d+)", message)
    return int(match.group(1)) if match else None


def _with_placeholders(value: Str | Partial) -> tuple[str, list[Unknown]]:
    """The text with each unknown part replaced by a placeholder string.

    Inside a JSON string the placeholder is bare; outside (``"Statement": ${local.s}``) it is
    quoted, and the whole JSON value becomes the unknown again.
    """
    if not isinstance(value, Partial):
        return str(value), []
    out: list[str] = []
    unknowns: list[Unknown] = []
    inside, escaped = False, False
    for part in value.parts:
        if isinstance(part, Unknown):
            placeholder = _PLACEHOLDER.format(len(unknowns))
            unknowns.append(part)
            out.append(placeholder if inside else f'"{placeholder}"')
            continue
        for ch in part:
            if escaped:
                escaped = False
            elif ch == "\\" and inside:
                escaped = True
            elif ch == '"':
                inside = not inside
        out.append(part)
    return "".join(out), unknowns


def _trimmed_columns(origin: TextOrigin):
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


def _restore(value: Any, unknowns: list[Unknown], relocate, refs: dict[str, str]) -> Any:
    """Spans moved, placeholders back to unknowns, and a string that is exactly an
    interpolated reference (``"${aws_iam_openid_connect_provider.gh.arn}"``) names it again."""
    if isinstance(value, Str):
        span = relocate(value.span) if relocate else value.span
        text = str(value)
        restored = (_unplaceholder(text, unknowns, span)
                    if unknowns and _PLACEHOLDER_PATTERN.search(text) else Str(text, span))
        ref = refs.get(str(restored))
        return with_ref(restored, ref) if ref else restored
    if isinstance(value, dict):
        span = relocate(value.span) if relocate else value.span
        return LDict({_restore(k, unknowns, relocate, {}): _restore(v, unknowns, relocate, refs)
                      for k, v in value.items()}, span=span)
    if isinstance(value, list):
        span = relocate(value.span) if relocate else value.span
        return LList([_restore(v, unknowns, relocate, refs) for v in value], span=span)
    return value


def _unplaceholder(text: str, unknowns: list[Unknown], span: Span | None) -> Any:
    pieces: list[Any] = []
    last = 0
    for match in _PLACEHOLDER_PATTERN.finditer(text):
        index = int(match.group(1))
        if index >= len(unknowns):
            continue
        pieces.append(text[last:match.start()])
        pieces.append(unknowns[index])
        last = match.end()
    pieces.append(text[last:])
    pieces = [p for p in pieces if not (isinstance(p, str) and p == "")]
    if len(pieces) == 1 and isinstance(pieces[0], Unknown):
        return pieces[0]
    return concat(pieces, span)
