"""Where each character of a string read from a YAML or JSON file is written.

A policy given as JSON text inside a template (``!Sub '{"Statement": ...}'``) is parsed a
second time, and the spans that parse gives are positions in the string's value. To point a
finding at the file, each character of the value is traced back to where it is written: a
literal block scalar (``|``) keeps its lines minus their indentation, a quoted scalar on one
line has its escapes undone (``\\"`` and ``\\u0041`` in double quotes, ``''`` in single
quotes), a plain scalar is as written. A folded (``>``) or multi-line quoted scalar cannot be
traced character by character; for those, and whenever the traced text is not the value that
was read, there are no positions and the caller points at the whole expression.
YAML 1.2 scalar styles: https://yaml.org/spec/1.2.2/#chapter-7-flow-style-productions
"""

from __future__ import annotations

import bisect
import re
from functools import lru_cache

from oidclint.source import SourceFile, Str

Position = tuple[int, int]
"""1-based line and column."""
Extent = tuple[Position, Position]
"""Where a character is written: its first position and the one just past it (an escape
such as ``\\"`` takes two)."""

_ESCAPE_LENGTH = {"x": 4, "u": 6, "U": 10}
_BLOCK_HEADER = re.compile(r"\|([1-9])?[+-]?([1-9])?\s*(#.*)?$")


@lru_cache(maxsize=64)
def _line_starts(text: str) -> tuple[int, ...]:
    return (0, *(i + 1 for i, ch in enumerate(text) if ch == "\n"))


def _offset(text: str, line: int, column: int) -> int | None:
    starts = _line_starts(text)
    if not 0 < line <= len(starts):
        return None
    return starts[line - 1] + column - 1


def _position(text: str, offset: int) -> Position:
    starts = _line_starts(text)
    line = bisect.bisect_right(starts, offset)
    return line, offset - starts[line - 1] + 1


def scalar_positions(file: SourceFile | None, value: str) -> list[Extent] | None:
    """Where every character of ``value`` (a ``Str`` read from ``file``) is written; ``None``
    when that cannot be traced."""
    span = getattr(value, "span", None)
    if file is None or span is None or not isinstance(value, Str) or span.path != file.path:
        return None
    text = file.text
    start = _offset(text, span.line, span.column)
    end = _offset(text, span.end_line, span.end_column)
    if start is None or end is None or not start < end <= len(text):
        return None
    start = _skip_tag(text, start, end)
    opener = text[start] if start < end else ""
    if opener == '"':
        traced = _double_quoted(text, start + 1, end)
    elif opener == "'":
        traced = _single_quoted(text, start + 1, end)
    elif opener == "|":
        traced = _literal_block(text, start, end)
    elif opener in (">", ""):
        traced = None
    else:
        traced = _plain(text, start, end)
    if traced is None:
        return None
    chars, offsets = traced
    if not "".join(chars).startswith(str(value)):
        return None
    return [(_position(text, first), _position(text, after)) for first, after in offsets[:len(value)]]


def _skip_tag(text: str, start: int, end: int) -> int:
    """Past a short-form tag (``!Sub``) and the blanks after it."""
    if text.startswith("!", start):
        while start < end and text[start] not in " \t\n":
            start += 1
        while start < end and text[start] in " \t":
            start += 1
    return start


def _double_quoted(text: str, index: int, end: int) -> tuple[list[str], list[tuple[int, int]]] | None:
    chars: list[str] = []
    offsets: list[tuple[int, int]] = []
    while index < end:
        ch = text[index]
        if ch == "\n":
            return None
        if ch == '"':
            return chars, offsets
        if ch == "\\" and index + 1 < end:
            length = _ESCAPE_LENGTH.get(text[index + 1], 2)
            decoded = _unescape(text[index:index + length])
            if decoded is None:
                return None
            chars.append(decoded)
            offsets.append((index, index + length))
            index += length
            continue
        chars.append(ch)
        offsets.append((index, index + 1))
        index += 1
    return None


def _unescape(escape: str) -> str | None:
    simple = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "/": "/", "\\": "\\",
              '"': '"', "0": "\0", " ": " ", "a": "\a", "e": "\x1b", "v": "\v", "_": "\xa0",
              "N": "\x85", "L": "\u2028", "P": "\u2029", "\t": "\t"}
    kind = escape[1:2]
    if kind in simple:
        return simple[kind]
    try:
        return chr(int(escape[2:], 16)) if kind in _ESCAPE_LENGTH else None
    except ValueError:
        return None


def _single_quoted(text: str, index: int, end: int) -> tuple[list[str], list[tuple[int, int]]] | None:
    chars: list[str] = []
    offsets: list[tuple[int, int]] = []
    while index < end:
        ch = text[index]
        if ch == "\n":
            return None
        if ch == "'":
            if text.startswith("''", index):
                chars.append("'")
                offsets.append((index, index + 2))
                index += 2
                continue
            return chars, offsets
        chars.append(ch)
        offsets.append((index, index + 1))
        index += 1
    return None


def _plain(text: str, start: int, end: int) -> tuple[list[str], list[tuple[int, int]]] | None:
    written = text[start:end].rstrip()
    if "\n" in written:
        return None
    return list(written), [(o, o + 1) for o in range(start, start + len(written))]


def _literal_block(text: str, start: int, end: int) -> tuple[list[str], list[tuple[int, int]]] | None:
    """A ``|`` block: each line after the header without the block's indentation."""
    header_end = text.find("\n", start)
    if header_end < 0 or header_end >= end:
        return None
    header = _BLOCK_HEADER.match(text[start:header_end].rstrip("\r"))
    if header is None:
        return None
    lines = text[header_end + 1:end].split("\n")
    explicit = header.group(1) or header.group(2)
    indent = int(explicit) + _line_indent(text, start) if explicit else next(
        (len(line) - len(line.lstrip(" ")) for line in lines if line.strip()), None)
    if indent is None:
        return None
    chars: list[str] = []
    offsets: list[tuple[int, int]] = []
    offset = header_end + 1
    for line in lines:
        body = line[indent:] if len(line) >= indent else ""
        body_start = offset + min(indent, len(line))
        chars.extend(body)
        offsets.extend((o, o + 1) for o in range(body_start, body_start + len(body)))
        chars.append("\n")
        offsets.append((offset + len(line), offset + len(line) + 1))
        offset += len(line) + 1
    return chars, offsets


def _line_indent(text: str, offset: int) -> int:
    """The indentation of the line holding ``offset`` (the parent node's, for a block
    header with an explicit indentation indicator)."""
    line_start = text.rfind("\n", 0, offset) + 1
    line = text[line_start:offset]
    return len(line) - len(line.lstrip(" "))
