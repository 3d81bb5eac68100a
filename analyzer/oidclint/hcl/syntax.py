"""The raw python-hcl2 (Lark) tree, read as blocks and attributes with spans.

python-hcl2's grammar keeps every token (hcl2/hcl2.lark), and a subtree is placed by its
tokens. Nested blocks are read on demand, so a deeply nested file costs nothing until
something asks.
"""

from __future__ import annotations

import copy
import io
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Protocol

from hcl2.utils import HEREDOC_PATTERN, HEREDOC_TRIM_PATTERN, process_escape_sequences
from lark import Lark, Token, Tree
from lark.lark import LarkOptions

from oidclint.source import Span

_EXPRESSION_PREFIX = "x = ("
"""Interpolations in heredocs are parsed as the value of a dummy attribute."""


def span_of_node(path: str, node: Tree | Token) -> Span:
    """Where a token or subtree is: from its first token to its last meaningful one (see
    ``_last_token``); a subtree without tokens is placed at the start of the file. Computed
    from the tokens when asked, as Lark's ``propagate_positions`` would have placed the
    subtree, without that option's cost on every node of every tree."""
    if isinstance(node, Token):
        if node.type in ("HEREDOC_TEMPLATE", "HEREDOC_TEMPLATE_TRIM"):
            return heredoc_span(path, node)
        return Span(path, node.line, node.column, node.end_line, node.end_column)
    first = _edge_token(node, 0)
    if first is None:
        return Span(path, 1, 1)
    last = _last_token(node)
    if last is None:
        final = _edge_token(node, -1)
        return Span(path, first.line, first.column, final.end_line, final.end_column)
    end = span_of_node(path, last)
    return Span(path, first.line, first.column, end.end_line, end.end_column)


def _edge_token(node: Tree, edge: int) -> Token | None:
    """The first (``edge`` 0) or last (-1) token of a subtree, whatever it is."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Token):
            return current
        if isinstance(current, Tree):
            children = current.children
            stack.extend(reversed(children) if edge == 0 else children)
    return None


def _last_token(node: Tree) -> Token | None:
    """The last token that belongs to the node: Lark's end also covers trailing new lines
    (``a + b`` followed by a line break) and a heredoc's own final line break."""
    while True:
        meaningful = [c for c in node.children
                      if not (isinstance(c, Tree) and c.data == "new_line_or_comment")
                      and not (isinstance(c, Token) and c.type == "NL_OR_COMMENT")]
        if not meaningful:
            return None
        last = meaningful[-1]
        if isinstance(last, Token):
            return last
        node = last


def heredoc_span(path: str, token: Token) -> Span:
    """From ``<<EOF`` to the end of the closing marker (the token also holds the newline)."""
    lines = str(token).rstrip("\r\n").split("\n")
    end_line = token.line + len(lines) - 1
    end_column = len(lines[-1].rstrip("\r")) + 1
    return Span(path, token.line, token.column, end_line, end_column)


def is_tree(node: object, *names: str) -> bool:
    return isinstance(node, Tree) and (not names or node.data in names)


def subtrees(tree: Tree) -> list[Tree]:
    """Child trees that carry meaning (no new lines or comments)."""
    return [c for c in tree.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]


def name_of(node: Tree | Token) -> str:
    """The text of an identifier, keyword or literal used as a name or label."""
    if isinstance(node, Token):
        return str(node)
    if node.data == "string":
        return "".join(process_escape_sequences(str(part.children[0]))
                       for part in node.children if is_tree(part, "string_part")
                       and isinstance(part.children[0], Token))
    return "".join(str(t) for t in node.scan_values(lambda v: isinstance(v, Token)))


@dataclass
class Attribute:
    name: str
    value: Tree
    path: str
    span: Span

    @property
    def value_span(self) -> Span:
        return span_of_node(self.path, self.value)


@dataclass
class Block:
    """``type "label" "label" { body }``."""

    type: str
    labels: list[str]
    path: str
    span: Span
    body: Tree = field(repr=False)

    @cached_property
    def _contents(self) -> tuple[dict[str, Attribute], list["Block"]]:
        return read_body(self.body, self.path)

    @property
    def attributes(self) -> dict[str, Attribute]:
        return self._contents[0]

    @property
    def blocks(self) -> list["Block"]:
        return self._contents[1]

    def blocks_of(self, kind: str) -> list["Block"]:
        return [b for b in self.blocks if b.type == kind]

    @property
    def header_span(self) -> Span:
        return Span(self.path, self.span.line, self.span.column, self.span.line,
                    self.span.column + len(self.type))


def read_body(body: Tree, path: str) -> tuple[dict[str, Attribute], list[Block]]:
    attributes: dict[str, Attribute] = {}
    blocks: list[Block] = []
    for node in subtrees(body):
        if node.data == "attribute":
            name_node, value = node.children[0], node.children[-1]
            name = name_of(name_node)
            attributes.setdefault(name, Attribute(name, value, path, span_of_node(path, node)))
        elif node.data == "block":
            blocks.append(read_block(node, path))
    return attributes, blocks


def read_block(node: Tree, path: str) -> Block:
    kinds = ("identifier", "keyword", "literal_value", "string")
    names = [c for c in node.children if isinstance(c, Tree) and c.data in kinds]
    body = next(c for c in node.children if is_tree(c, "body"))
    return Block(
        type=name_of(names[0]),
        labels=[name_of(n) for n in names[1:]],
        path=path,
        span=span_of_node(path, node),
        body=body,
    )


_parser: Lark | None = None


class TableStore(Protocol):
    """Where the parser's tables may be kept between runs (a slot of the scan's cache)."""

    def get(self) -> bytes | None: ...

    def put(self, value: bytes) -> None: ...


PARSER_TABLES = "hcl2 parser tables"
"""The name the tables are kept under."""


def load_parser(tables: TableStore | None = None) -> None:
    """Builds the parser now, so that processes forked afterwards share it instead of each
    building its own.

    The parser is python-hcl2's (same grammar, post-lexer, lexer and tables) without Lark's
    ``propagate_positions``, which took about a third of the parsing time: subtrees are
    placed by their tokens when asked (``span_of_node``). python-hcl2 keeps its tables in its
    own folder; where it cannot (a read-only installation, 3 s to build them again on every
    run), they are kept in ``tables``."""
    global _parser
    if _parser is not None:
        return
    if tables is not None and (kept_tables := tables.get()) is not None:
        try:
            _parser = Lark.load(io.BytesIO(kept_tables))
            return
        except Exception:  # noqa: BLE001 - damaged tables: built again below
            pass
    from hcl2 import parser as hcl2_parser

    try:
        _parser = _without_positions(hcl2_parser.parser())
    except AttributeError:  # a Lark whose insides differ: the slower way through its API
        buffer = io.BytesIO()
        hcl2_parser.parser().save(buffer, exclude_options=("propagate_positions",))
        buffer.seek(0)
        _parser = Lark.load(buffer)
    kept = getattr(hcl2_parser, "PARSER_FILE", None)
    if tables is not None and not (kept is not None and Path(kept).is_file()):
        buffer = io.BytesIO()
        _parser.save(buffer)
        tables.put(buffer.getvalue())


def _without_positions(built: Lark) -> Lark:
    """A copy of ``built`` that shares its lexer and parse table but builds trees without
    ``propagate_positions``. Lark has no public way to turn an option off in a built parser:
    ``Lark.save`` and ``Lark.load`` do it in 0.2 s, a third of a cold scan's start; this
    rebuilds only the tree callbacks, as ``Lark._load`` does (Lark 1.x; tested in
    ``tests/test_tree_positions.py``)."""
    parser = copy.copy(built)
    parser.options = LarkOptions({**built.options.options, "propagate_positions": False})
    parser._prepare_callbacks()
    frontend = parser.parser = copy.copy(built.parser)
    frontend.options = parser.options
    lalr = frontend.parser = copy.copy(frontend.parser)
    lalr.parser = copy.copy(lalr.parser)
    lalr.parser.callbacks = parser._callbacks
    return parser


def parse_tree(text: str) -> Tree:
    """The Lark tree of a Terraform file (or snippet), its tokens positioned; raises what
    the parser raises. The added new line is python-hcl2's: its grammar ends statements with
    one."""
    load_parser()
    assert _parser is not None
    return _parser.parse(text + "\n")


def parse_file(text: str, path: str, at: Span | None = None) -> list[Block]:
    """The top-level blocks of a Terraform file; raises what the Lark parser raises.

    With ``at``, every position in the file is placed at that span instead: the built-in
    models of registry modules are written by oidclint, so what they produce is shown where
    the user's ``module`` block calls them.
    """
    tree = parse_tree(text)
    if at is not None:
        _pin(tree, at)
    body = next(c for c in tree.children if is_tree(c, "body"))
    return read_body(body, path)[1]


def _pin(tree: Tree, span: Span) -> None:
    end_line = span.end_line or span.line
    end_column = span.end_column or span.column
    for sub in tree.iter_subtrees():
        for child in sub.children:
            if isinstance(child, Token) and child.line is not None:
                child.line, child.column = span.line, span.column
                child.end_line, child.end_column = end_line, end_column


def heredoc_body(token: Token) -> tuple[str, list[int]]:
    """A heredoc's value and, per line of it, how many columns ``<<-`` trimmed.

    The value keeps the newline before the closing marker, as Terraform does; ``<<-``
    removes the smallest indentation of the non-blank lines
    (https://developer.hashicorp.com/terraform/language/expressions/strings#heredoc-strings).
    """
    text = str(token)
    trim = text.startswith("<<-")
    match = (HEREDOC_TRIM_PATTERN if trim else HEREDOC_PATTERN).match(text)
    body = match.group(2) if match else ""
    body = re.sub(r"[ \t]*\Z", "", body)
    lines = body.split("\n")
    if not trim:
        return body, [0] * len(lines)
    widths = [len(line) - len(line.lstrip(" ")) for line in lines if line.strip()]
    indent = min(widths, default=0)
    removed = [min(indent, len(line) - len(line.lstrip(" "))) for line in lines]
    return "\n".join(line[cut:] for line, cut in zip(lines, removed)), removed


def parse_expression(text: str, line: int, column: int) -> Tree:
    """An expression written inside a template (``${ ... }``), positioned where it is written."""
    tree = parse_tree(_EXPRESSION_PREFIX + text + ")")
    attribute = next(n for n in tree.iter_subtrees_topdown() if n.data == "attribute")
    term = attribute.children[-1]
    inner = subtrees(term)[0]
    _move(inner, line, column - len(_EXPRESSION_PREFIX) - 1)
    return inner


def _move(tree: Tree, line: int, column_shift: int) -> None:
    """Positions of a sub-parse (line 1 = ``line``; line 1 columns shifted)."""
    def line_col(ln: int, col: int) -> tuple[int, int]:
        return (line, col + column_shift) if ln == 1 else (line + ln - 1, col)

    for sub in tree.iter_subtrees():
        for child in sub.children:
            if isinstance(child, Token) and child.line is not None:
                child.line, child.column = line_col(child.line, child.column)
                child.end_line, child.end_column = line_col(child.end_line, child.end_column)
