"""Policies written as JSON text inside a template: a string, ``Fn::Sub`` or ``Fn::Join``.

``AssumeRolePolicyDocument: !Sub '{"Statement": [... "${Host}:sub": "repo:${Org}/*" ...]}'``
is a JSON string with CloudFormation substitutions; CDK writes ``CfnJson`` values as an
``Fn::Join`` of text and computed pieces. The text is parsed with the shared JSON-text reader
(``json_text.located_value``): each computed piece is a placeholder while parsing and is put
back afterwards, so a key or value that is one computed piece keeps its ``ref`` and a mix of
text and pieces becomes ``Partial``.

Spans point into the template: every character of the written text is traced to where it is
in the file (``scalar_positions``), and a placeholder to the ``${...}`` or intrinsic it stands
for. Where the text cannot be traced (a folded scalar, a value from a parameter default) a
span is the whole expression's.
``Fn::Sub``: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-sub.html
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from oidclint.readers.cloudformation.values import NO_VALUE, intrinsic_name, is_no_value, relocate, scalar_text
from oidclint.located.json_text import (
    Hole, Piece, located_value, placeholder, text_with_placeholders,
)
from oidclint.located.scalar_positions import Extent, scalar_positions
from oidclint.source import Choice, Partial, Span, Str, Unknown, span_of

if TYPE_CHECKING:
    from oidclint.readers.cloudformation.intrinsics import Resolver

_JSON_SYNTAX = re.compile(r'["\\\x00-\x1f]')


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a piece of JSON text is written: from ``offset`` in the string ``scalar``, one
    character of the piece per character written (``spread``), or all of it at the text up to
    ``end`` (a ``${...}`` substitution); for a computed piece of an ``Fn::Join``, ``span``."""

    scalar: Str | None = None
    offset: int = 0
    spread: bool = True
    end: int = 0
    span: Span | None = None


class TemplateJsonText:
    """Reads JSON text written in one template."""

    def __init__(self, resolver: "Resolver") -> None:
        self.resolver = resolver
        self._positions: dict[int, list[Extent] | None] = {}

    def value(self, expr: Any) -> Any:
        """A value that may be written as JSON text, as a structure; invalid JSON is a
        problem and ``Unknown``."""
        span = span_of(expr)
        if intrinsic_name(expr) == "Fn::If":
            arg = expr[next(iter(expr))]
            branches = self.resolver.taken_branches(arg)
            if branches is not None:
                values = tuple(None if is_no_value(b) else self.value(b) for b in branches)
                return values[0] if len(values) == 1 else Choice(values, f"Fn::If {arg[0]}", span)
        written = self._text(expr)
        if written is not None:
            return self._parse(*written, span)
        return self.decode(self.resolver.evaluate(expr), span)

    def decode(self, value: Any, span: Span | None) -> Any:
        """A resolved value: strings are parsed as JSON text, structures returned as they are."""
        if value is NO_VALUE or value is None:
            return None
        if isinstance(value, Choice):
            return Choice(tuple(self.decode(o, span) for o in value.options), value.origin, span)
        if isinstance(value, str):
            return self._parse([str(value)], [Origin(value)], span_of(value) or span)
        if isinstance(value, Partial):
            pieces = [p if isinstance(p, str) else Hole(p) for p in value.parts]
            return self._parse(pieces, [Origin()] * len(pieces), value.span or span)
        return value

    # -- the written text ---------------------------------------------------------------

    def _text(self, expr: Any) -> tuple[list[Piece], list[Origin]] | None:
        """The pieces of JSON text written as a string, ``Fn::Sub`` or ``Fn::Join``, and
        where each is written."""
        if isinstance(expr, str):
            return [str(expr)], [Origin(expr if isinstance(expr, Str) else None)]
        name = intrinsic_name(expr)
        arg = expr[next(iter(expr))] if name else None
        if name == "Fn::Sub":
            arguments = self.resolver.sub_arguments(arg)
            if arguments is None:
                return None
            template, variables = arguments
            parts = self.resolver.sub_parts(template, variables, span_of(expr))
            scalar = template if isinstance(template, Str) else None
            return ([piece for piece, _, _ in parts],
                    [Origin(scalar, start, isinstance(piece, str), end) for piece, start, end in parts])
        if (name == "Fn::Join" and isinstance(arg, list) and len(arg) == 2
                and isinstance(arg[0], str) and isinstance(arg[1], list)):
            return self._join(arg[0], arg[1])
        return None

    def _join(self, delimiter: str, items: list[Any]) -> tuple[list[Piece], list[Origin]]:
        written: list[tuple[list[Piece], list[Origin]]] = []
        for item in items:
            if isinstance(item, str) or intrinsic_name(item) in ("Fn::Sub", "Fn::Join"):
                text = self._text(item)
                if text is not None:
                    written.append(text)
                    continue
            value = self.resolver.evaluate(item)
            if value is not NO_VALUE:
                written.append(([Hole(value)], [Origin(span=span_of(item))]))
        pieces: list[Piece] = []
        origins: list[Origin] = []
        for index, (item_pieces, item_origins) in enumerate(written):
            if index:
                pieces.append(str(delimiter))
                origins.append(Origin(delimiter if isinstance(delimiter, Str) else None))
            pieces.extend(item_pieces)
            origins.extend(item_origins)
        return pieces, origins

    # -- parsing ------------------------------------------------------------------------

    def _parse(self, pieces: list[Piece], origins: list[Origin], span: Span | None) -> Any:
        # Numbers, and strings carrying JSON syntax, are spliced in as CloudFormation does.
        spliced = [scalar_text(p.value) if isinstance(p, Hole) and _spliced(p.value) else p
                   for p in pieces]
        try:
            return located_value(spliced, self.resolver.path,
                                 relocate_span=self._span_mover(spliced, origins, span),
                                 string=self._string)
        except Exception as exc:  # noqa: BLE001 - cfn-flip's constructors raise more than LoadError
            self.resolver.problem(span, f"the JSON text is not valid JSON: {exc}")
            return Unknown("invalid JSON text", span)

    def _string(self, pieces: list[Piece], span: Span | None, _key: bool) -> Any:
        """A string of parsed JSON text: one computed piece alone keeps its ``ref`` and moves
        to the string's span; a mix is joined, ``Fn::If`` pieces giving a ``Choice``."""
        if len(pieces) == 1 and isinstance(pieces[0], Hole):
            return relocate(pieces[0].value, span)
        return self.resolver.concat([p.value if isinstance(p, Hole) else p for p in pieces],
                                    span, what="JSON text")

    def _span_mover(self, pieces: list[Piece], origins: list[Origin],
                    fallback: Span | None) -> Callable[[Span | None], Span | None]:
        """Maps a span of the parsed text to the file, ``fallback`` where it cannot."""
        text = text_with_placeholders(pieces)
        where: list[Extent | None] = []
        holes = 0
        for piece, origin in zip(pieces, origins):
            if isinstance(piece, Hole):
                length, holes = len(placeholder(holes)), holes + 1
            else:
                length = len(piece)
            where.extend(self._place(origin, index if origin.spread else 0)
                         for index in range(length))
        starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        path = self.resolver.path

        def at(line: int, column: int) -> Extent | None:
            offset = starts[line - 1] + column - 1 if 0 < line <= len(starts) else -1
            return where[offset] if 0 <= offset < len(where) else None

        def move(span: Span | None) -> Span | None:
            if span is None:
                return fallback
            first = at(span.line, span.column)
            last = at(span.end_line, span.end_column - 1)
            if first is None or last is None or last[1] < first[0]:
                return fallback
            (line, column), (end_line, end_column) = first[0], last[1]
            return Span(path, line, column, end_line, end_column)
        return move

    def _place(self, origin: Origin, index: int) -> Extent | None:
        if origin.scalar is None:
            span = origin.span
            if span is None or span.path != self.resolver.path:
                return None
            return (span.line, span.column), (span.end_line, span.end_column)
        key = id(origin.scalar)
        if key not in self._positions:
            self._positions[key] = scalar_positions(self.resolver.file, origin.scalar)
        positions = self._positions[key]
        first = origin.offset + index
        last = first if origin.spread else max(first, origin.end - 1)
        if positions is None or last >= len(positions):
            return None
        return positions[first][0], positions[last][1]


def _spliced(value: Any) -> bool:
    """Whether a computed piece goes into JSON text as text rather than a placeholder."""
    return isinstance(value, (int, float)) or (
        isinstance(value, str) and _JSON_SYNTAX.search(value) is not None)
