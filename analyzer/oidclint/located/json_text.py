"""JSON (and YAML) text with computed pieces, parsed to a located value with the pieces put
back.

A policy is often written as JSON text into which computed values are spliced: Terraform
interpolations in a heredoc, CloudFormation ``Fn::Sub`` / ``Fn::Join``. A computed piece may
be unknown, or known but naming the resource it came from (its ``ref``), so it cannot be
parsed as text. Each such piece (a ``Hole``) is swapped for a placeholder string, the text is
parsed with spans, and each string holding placeholders gets its pieces back: a string that
is exactly one placeholder becomes that piece, a mix of text and placeholders a ``Partial``.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable

from oidclint.located.documents import load_documents, load_json
from oidclint.source import LDict, LList, Span, Unknown, concat, span_of

HOLE = "hole"
"""The default word in a placeholder: ``__oidclint_hole_0__``."""


class Hole:
    """A computed piece of JSON text, kept aside so its value (and ``ref``) survives parsing."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


Piece = str | Hole
SpanMove = Callable[[Span | None], Span | None]
StringBuilder = Callable[[list[Piece], Span | None, bool], Any]
"""Builds the value of one parsed string from its pieces, its span and whether it is a key."""


def joined(pieces: list[Piece], span: Span | None) -> Any:
    """One hole alone is its value as it is; otherwise the pieces joined into a string."""
    if len(pieces) == 1 and isinstance(pieces[0], Hole):
        return pieces[0].value
    return concat([p.value if isinstance(p, Hole) else p for p in pieces], span)


def _joined_string(pieces: list[Piece], span: Span | None, _key: bool) -> Any:
    return joined(pieces, span)


def _as_is(span: Span | None) -> Span | None:
    return span


def located_value(pieces: Iterable[Piece], path: str, *, line_offset: int = 0,
                  relocate_span: SpanMove | None = None, string: StringBuilder | None = None,
                  quote_holes: bool = False, check: Callable[[str], None] | None = None,
                  marker: str = HOLE) -> Any:
    """The located value of JSON text given as pieces, with the holes put back.

    ``line_offset`` counts the file's lines before the text; ``relocate_span`` maps a span
    in the parsed text to where it is written. ``quote_holes`` quotes a placeholder that
    stands outside a JSON string (``"Statement": ${local.s}``), for text that must be strict
    JSON; ``check`` sees the text with placeholders before it is parsed and may raise. A
    placeholder is ``__oidclint_<marker>_<n>__``: its length moves the columns after it on
    the same line, so a caller keeps its marker to keep its spans. Errors of ``load_json``
    (``LoadError``, ``RecursionError`` ...) are the caller's to report.
    """
    text, holes = _with_placeholders(pieces, quote_holes, marker)
    if check is not None:
        check(text)
    parsed = load_json(text, path, line_offset)
    return _restore(parsed, _splitter(holes, marker), relocate_span or _as_is,
                    string or _joined_string)


def located_yaml(pieces: Iterable[Piece], path: str, *, line_offset: int = 0,
                 relocate_span: SpanMove | None = None, marker: str = HOLE) -> Any:
    """The located value of YAML text given as pieces (a Helm values file that Terraform
    renders with ``templatefile()``), with the holes put back as ``located_value`` does for
    JSON: its first document, ``None`` when it has none. Errors of ``load_documents``
    (``LoadError``) are the caller's to report."""
    text, holes = _with_placeholders(pieces, False, marker)
    documents = load_documents(text, path, lines=line_offset)
    if not documents:
        return None
    return _restore(documents[0], _splitter(holes, marker), relocate_span or _as_is,
                    _joined_string)


def _splitter(holes: list[Hole], marker: str) -> Callable[[str], list[Piece]]:
    pattern = re.compile(rf"__oidclint_{re.escape(marker)}_(\d+)__")

    def split(string_text: str) -> list[Piece]:
        """A parsed string cut at its placeholders; one that names no hole stays text."""
        parts: list[Piece] = []
        last = 0
        for match in pattern.finditer(string_text):
            index = int(match.group(1))
            if index < len(holes):
                parts.extend([string_text[last:match.start()], holes[index]])
                last = match.end()
        parts.append(string_text[last:])
        return [p for p in parts if not (isinstance(p, str) and p == "")]
    return split


def placeholder(index: int, marker: str = HOLE) -> str:
    """The text that stands for the hole numbered ``index`` while the text is parsed."""
    return f"__oidclint_{marker}_{index}__"


def text_with_placeholders(pieces: Iterable[Piece], marker: str = HOLE) -> str:
    """The text ``located_value`` parses (holes unquoted): to map its spans back."""
    return _with_placeholders(pieces, False, marker)[0]


def _with_placeholders(pieces: Iterable[Piece], quote: bool,
                       marker: str) -> tuple[str, list[Hole]]:
    """The text with each hole replaced by a numbered placeholder, and the holes in order."""
    out: list[str] = []
    holes: list[Hole] = []
    inside = escaped = False
    for piece in pieces:
        if isinstance(piece, Hole):
            placeholder_text = placeholder(len(holes), marker)
            holes.append(piece)
            out.append(placeholder_text if inside or not quote else f'"{placeholder_text}"')
            continue
        if quote:
            for ch in piece:
                if escaped:
                    escaped = False
                elif ch == "\\" and inside:
                    escaped = True
                elif ch == '"':
                    inside = not inside
        out.append(str(piece))
    return "".join(out), holes


def _restore(value: Any, split: Callable[[str], list[Piece]], relocate_span: SpanMove,
             build: StringBuilder, key: bool = False) -> Any:
    """Parsed JSON with spans moved and each string built from its text and holes."""
    if isinstance(value, str):
        return build(split(str(value)), relocate_span(span_of(value)), key)
    if isinstance(value, dict):
        restored = LDict(span=relocate_span(span_of(value)))
        for name, item in value.items():
            name = _restore(name, split, relocate_span, build, key=True)
            try:
                hash(name)
            except TypeError:  # a key that is a computed structure
                name = Unknown(str(name), span_of(name))
            restored[name] = _restore(item, split, relocate_span, build)
        return restored
    if isinstance(value, list):
        return LList([_restore(item, split, relocate_span, build) for item in value],
                     span=relocate_span(span_of(value)))
    return value


_BRACKET_OR_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def json_nesting(text: str) -> int:
    """How deep the brackets of JSON text nest, outside its strings: checked before a
    parser that recurses is given the text."""
    depth = deepest = 0
    for token in _BRACKET_OR_STRING.finditer(text):
        mark = token.group()
        if mark in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif mark in "]}":
            depth -= 1
    return deepest
