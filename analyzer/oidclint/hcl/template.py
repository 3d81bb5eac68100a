"""String templates: quoted strings, heredocs and template files, as a flat list of pieces.

A quoted string arrives from the grammar already split; a heredoc (and a ``templatefile``)
is one token, so its ``${...}`` and ``%{...}`` are found here and their expressions parsed
where they are written (https://developer.hashicorp.com/terraform/language/expressions/strings).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from hcl2.utils import process_escape_sequences
from lark import Token, Tree

from oidclint.hcl.syntax import is_tree, parse_expression, span_of_node
from oidclint.hcl.values import EvalError, LimitError
from oidclint.source import Span

_DIRECTIVE = re.compile(
    r"\s*(?:(?P<if>if)\s+(?P<cond>.*\S)|(?P<else>else)|(?P<endif>endif)|(?P<endfor>endfor)"
    r"|(?P<for>for)\s+(?P<key>[A-Za-z_][\w-]*)(?:\s*,\s*(?P<value>[A-Za-z_][\w-]*))?\s+in\s+"
    r"(?P<coll>.*\S))\s*\Z",
    re.S,
)


@dataclass
class Piece:
    """Literal ``text``, or an ``interp``/``if``/``else``/``endif``/``for``/``endfor``."""

    kind: str
    span: Span
    text: str = ""
    expr: Tree | None = None
    names: tuple[str, ...] = ()
    strip_before: bool = False
    strip_after: bool = False


def pieces_of_string(tree: Tree, path: str) -> list[Piece]:
    """The pieces of a quoted ``string`` tree."""
    pieces: list[Piece] = []
    for part in tree.children:
        if not is_tree(part, "string_part"):
            continue
        content = part.children[0]
        span = span_of_node(path, part)
        if isinstance(content, Token):
            text = str(content)
            if content.type in ("ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE"):
                text = text[1:]  # $${ is a literal ${, %%{ a literal %{
            else:
                text = process_escape_sequences(text)
            pieces.append(Piece("text", span, text))
        else:
            pieces.append(_piece_of_tree(content, span))
    return pieces


def _piece_of_tree(tree: Tree, span: Span) -> Piece:
    tokens = [c for c in tree.children if isinstance(c, Token)]
    strips = [t for t in tokens if t.type == "STRIP_MARKER"]
    exprs = [c for c in tree.children if isinstance(c, Tree) and c.data not in ("identifier",)]
    names = tuple(str(c.children[0]) for c in tree.children if is_tree(c, "identifier"))
    kind = {"interpolation": "interp", "template_if_start": "if", "template_else": "else",
            "template_endif": "endif", "template_for_start": "for",
            "template_endfor": "endfor"}[tree.data]
    start = tokens[0] if tokens else None
    strip_before = bool(strips) and start is not None and strips[0].column == start.end_column
    strip_after = bool(strips) and (not strip_before or len(strips) == 2)
    return Piece(kind, span, expr=exprs[-1] if exprs else None, names=names,
                 strip_before=strip_before, strip_after=strip_after)


def pieces_of_text(text: str, path: str, line: int,
                   trimmed: list[int] | None = None) -> list[Piece]:
    """The pieces of template text whose first character is at column 1 of ``line``.

    ``trimmed[i]`` is how many columns were removed from line ``i`` (``<<-`` heredocs).
    Raises ``EvalError`` for an unterminated or malformed ``${`` or ``%{``.
    """
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    trimmed = trimmed or []

    def where(offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(starts, offset) - 1
        cut = trimmed[index] if index < len(trimmed) else 0
        return line + index, offset - starts[index] + cut + 1

    def span(start: int, end: int) -> Span:
        return Span(path, *where(start), *where(end))

    pieces: list[Piece] = []
    literal: list[str] = []
    literal_start = 0
    i, n = 0, len(text)
    while i < n:
        if text.startswith(("$${", "%%{"), i):
            literal.append(text[i + 1:i + 3])
            i += 3
            continue
        if not text.startswith(("${", "%{"), i):
            literal.append(text[i])
            i += 1
            continue
        end = closing_brace(text, i + 2)
        if end is None:
            raise EvalError(f"unterminated template sequence at line {where(i)[0]}")
        if literal:
            pieces.append(Piece("text", span(literal_start, i), "".join(literal)))
            literal = []
        inner_start, inner_end = i + 2, end
        strip_before = text.startswith("~", inner_start)
        strip_after = inner_end > inner_start + strip_before and text[inner_end - 1] == "~"
        inner_start += strip_before
        inner_end -= strip_after
        inner = text[inner_start:inner_end]
        piece_span = span(i, end + 1)
        if text[i] == "$":
            pieces.append(Piece("interp", piece_span, expr=_parse(inner, *where(inner_start)),
                                strip_before=strip_before, strip_after=strip_after))
        else:
            pieces.append(_directive(inner, inner_start, where, piece_span, strip_before,
                                     strip_after))
        i = literal_start = end + 1
    if literal:
        pieces.append(Piece("text", span(literal_start, n), "".join(literal)))
    return pieces


def _parse(text: str, line: int, column: int) -> Tree:
    try:
        return parse_expression(text, line, column)
    except RecursionError:
        raise LimitError("a template expression nested too deeply to read") from None
    except Exception:  # Lark reports its own exception kinds
        raise EvalError(f"invalid template expression `{text.strip()}` at line {line}") from None


def _directive(inner: str, offset: int, where, span: Span, strip_before: bool,
               strip_after: bool) -> Piece:
    match = _DIRECTIVE.match(inner)
    if not match:
        raise EvalError(f"unknown template directive %{{{inner.strip()}}}")
    common = dict(span=span, strip_before=strip_before, strip_after=strip_after)
    if match.group("if"):
        return Piece("if", expr=_parse(match.group("cond"), *where(offset + match.start("cond"))),
                     **common)
    if match.group("for"):
        names = tuple(n for n in (match.group("key"), match.group("value")) if n)
        return Piece("for", expr=_parse(match.group("coll"), *where(offset + match.start("coll"))),
                     names=names, **common)
    kind = next(k for k in ("else", "endif", "endfor") if match.group(k))
    return Piece(kind, **common)


def closing_brace(text: str, start: int) -> int | None:
    """The offset of the ``}`` closing a ``${`` or ``%{`` opened just before ``start``.

    Braces of objects and strings (with their own templates) inside the expression are
    skipped; a stack instead of recursion keeps deep input harmless.
    """
    stack: list[list] = [["expr", 0]]
    i, n = start, len(text)
    while i < n:
        ch = text[i]
        mode = stack[-1]
        if mode[0] == "string":
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                stack.pop()
            elif text.startswith(("${", "%{"), i) and not text.startswith(("$${", "%%{"), i - 1):
                stack.append(["expr", 0])
                i += 2
                continue
            i += 1
            continue
        if ch == '"':
            stack.append(["string"])
        elif ch == "{":
            mode[1] += 1
        elif ch == "}":
            if mode[1]:
                mode[1] -= 1
            else:
                stack.pop()
                if not stack:
                    return i
        i += 1
    return None
