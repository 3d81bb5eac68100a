"""Text edits to trust policies where they are written, for the fixes ``scan --fix`` makes.

A policy is written as an ``aws_iam_policy_document``, a ``jsonencode`` map, heredoc JSON,
CloudFormation YAML or JSON, or a policy file; the model says where each value is, and the
caller passes what the file holds there (``TrustGraph.written`` and ``line``). Each helper
gives an edit that keeps how the text is written (its quotes, the lines' indentation), or
``None`` when it is written in a way the helper does not know: the fix is then a person's.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Iterable

from oidclint.model import Condition, Statement, TextEdit
from oidclint.source import Span, span_of

_QUOTES = ('"', "'")
_MAP_KEY_END = re.compile(r'\s*[:=]')
"""What follows a key of a mapping: `:` in JSON and YAML, `=` in an HCL object."""
_PLAIN_YAML = re.compile(r"[A-Za-z][A-Za-z0-9._/:-]*")
"""Text YAML reads as the same plain string in a block mapping, as a key or a value (no
`: `, `#`, quotes; not a number)."""


def unquoted(written: str) -> tuple[str, str]:
    """The quote a string is written with (``""`` for none) and its text inside."""
    if len(written) >= 2 and written[0] in _QUOTES and written[-1] == written[0]:
        return written[0], written[1:-1]
    return "", written


def renamed(span: Span, written: str | None, old: str, new: str) -> TextEdit | None:
    """``old``, written at ``span`` plain or quoted with no escape in it, becomes ``new``
    written the same way."""
    if written is None:
        return None
    quote, inner = unquoted(written)
    if inner != old:
        return None
    return TextEdit(span, written, f"{quote}{new}{quote}")


def within(span: Span | None, outer: Span | None) -> bool:
    """``span`` lies inside ``outer`` (in the same file)."""
    if span is None or outer is None or span.path != outer.path:
        return False
    return (outer.line, outer.column) <= (span.line, span.column) \
        and (span.end_line, span.end_column) <= (outer.end_line, outer.end_column)


def written_in_statement(value: object, statement: Statement) -> bool:
    """The value is written inside the statement's own text: an edit to it changes that
    statement only (not a local, a variable's default or a map other statements share)."""
    return within(span_of(value), statement.span)


def is_hcl_block(statement: Span | None, lines: Lines) -> bool:
    """The statement is a ``statement { ... }`` block of an ``aws_iam_policy_document``."""
    line = lines(statement.line) if statement is not None else None
    return line is not None and re.match(r"statement\s*\{", line[statement.column - 1:]) is not None


def is_map_key(line: str | None, span: Span) -> bool:
    """The text at ``span`` on ``line`` is a key of a mapping (JSON, YAML, an HCL object),
    not the value of an attribute (``test = "StringLike"`` of a policy document's block)."""
    if line is None:
        return False
    return _MAP_KEY_END.match(line, span.end_column - 1) is not None


def operators_of(statement: Statement) -> set[str]:
    """The condition operators the statement is written with, lower-cased."""
    return {str(c.operator).lower() for c in statement.conditions if isinstance(c.operator, str)}


def has_wildcard(value: str) -> bool:
    return "*" in value or "?" in value


def literal_values(condition: Condition) -> list[str] | None:
    """The condition's values when every one is a known string; ``None`` otherwise."""
    values = condition.values
    if not values or not all(isinstance(v, str) for v in values):
        return None
    return [str(v) for v in values]


def string_literal(text: str, syntax: str) -> str | None:
    """``text`` as a string literal of ``syntax`` (``json``, ``hcl``, ``yaml``); ``None``
    for text a literal there would not keep as it is (an HCL template sequence)."""
    if syntax == "hcl" and ("${" in text or "%{" in text):
        return None
    if syntax == "yaml" and _PLAIN_YAML.fullmatch(text) and text.lower() not in (
            "yes", "no", "true", "false", "on", "off", "null", "y", "n"):
        return text
    return json.dumps(text)


Lines = Callable[[int], "str | None"]
"""A line of the file being edited, by its 1-based number (``TrustGraph.line``)."""


def syntax_of(path: str, line: str | None, key: Span) -> str | None:
    """How the mapping whose key is at ``key`` is written: ``json`` (a policy file, a
    CloudFormation template, heredoc JSON), ``hcl`` (a ``jsonencode`` object) or ``yaml``."""
    if line is None:
        return None
    follows = _MAP_KEY_END.match(line, key.end_column - 1)
    if follows is None:
        return None
    colon = follows.group().strip() == ":"
    name = path.lower()
    if name.endswith(".tf"):
        return "json" if colon else "hcl"
    if name.endswith(".json") and colon:
        return "json"
    if name.endswith((".yaml", ".yml")) and colon:
        return "yaml"
    return None


def entry_before(key: Span, written: str | None, lines: Lines, syntax: str,
                 entry: Callable[[str], str]) -> TextEdit | None:
    """An entry written before the mapping's first key (at ``key``, reading ``written``),
    in the mapping's style: on its own line at the key's indentation, or inline after the
    ``{``. ``entry`` gives its text for an indentation (a YAML value on lines of its own
    needs one). The edit replaces the text before the key (its indentation, or the brace)
    with itself and the entry: it finds the file unchanged or is not made, and leaves the
    key to another fix (an operator renamed)."""
    line = lines(key.line)
    if written is None or line is None or line[key.column - 1:key.end_column - 1] != written:
        return None
    before = line[:key.column - 1]
    if before.strip():  # inline: `{"a": "b"}` or `StringEquals: {a: b}`
        brace = before.rstrip().rfind("{")
        if brace < 0 or before[brace + 1:].strip():
            return None
        anchor = before[brace:]
        return TextEdit(Span(key.path, key.line, brace + 1, key.line, key.column), anchor,
                        f"{anchor}{entry('')}, ")
    if before.strip(" ") != "" or not before:
        return None  # tabs: the indentation to repeat is not certain
    newline = "\r\n" if line.endswith("\r") else "\n"
    comma = "," if syntax == "json" else ""
    return TextEdit(Span(key.path, key.line, 1, key.line, key.column), before,
                    f"{before}{entry(newline + before)}{comma}{newline}{before}")


def key_literal(text: str, syntax: str, like: str) -> str | None:
    """``text`` as a key of ``syntax``, quoted or not like the key ``like`` beside it."""
    if syntax == "yaml" and not like.startswith(_QUOTES):
        return string_literal(text, "yaml")
    if syntax == "hcl" and not like.startswith('"') and re.fullmatch(r"[A-Za-z_][\w-]*", text):
        return text
    return string_literal(text, "hcl" if syntax == "hcl" else "json")


def block_before_end(statement: Span, lines: Lines,
                     body: list[tuple[int, str]]) -> TextEdit | None:
    """The lines ``body`` (each with its depth) added as the last thing in an HCL block (a
    policy document's ``statement``), indented one step (the block's own) further than its
    closing brace for each level; a blank line before them when the block separates its
    nested blocks with one."""
    closing = lines(statement.end_line)
    if closing is None:
        return None
    end = closing[:statement.end_column - 1]
    indent = end[:-1]
    if not end.endswith("}") or indent.strip(" "):
        return None  # the block does not end on a line of its own
    inner = [lines(n) for n in range(statement.line + 1, statement.end_line)]
    if any(text is None for text in inner):
        return None
    filled = [text for text in inner if text.strip()]
    if not filled:
        return None
    step = len(filled[0]) - len(filled[0].lstrip(" ")) - len(indent)
    if step <= 0 or filled[0][:len(indent) + step].strip(" "):
        return None
    newline = "\r\n" if closing.endswith("\r") else "\n"
    blank = newline if any(not text.strip() for text in inner) else ""
    text = blank + "".join(f"{indent}{' ' * step * (1 + depth)}{row}{newline}"
                           for depth, row in body)
    return TextEdit(Span(statement.path, statement.end_line, 1, statement.end_line,
                         statement.end_column), end, text + end)


_BLOCK_OPEN = re.compile(r"\s*condition\s*\{\s*(#.*|//.*)?\r?$")
_BLOCK_CLOSE = re.compile(r"\s*\}\s*(#.*|//.*)?\r?$")
_TEST = re.compile(r"(\s*test\s*=\s*)(\S+?)\s*(#.*|//.*)?\r?$")


def operator_place(condition: Condition, statement: Statement,
                   line: Callable[[str, int], "str | None"]) -> Span | None:
    """Where the condition's own operator is written, to be renamed: the key of its map
    (JSON, YAML, ``jsonencode``), or the ``test`` of its ``condition`` block in a policy
    document. (The policy document reader keys the blocks of one test by the first block's
    ``test``, so the block is found from the condition's ``variable``, and its values must be
    written in it: blocks of one test and one variable merge, and renaming one would split
    them.) ``None`` when the place is not certain or not in the statement."""
    span = span_of(condition.operator)
    if span is None or not written_in_statement(condition.operator, statement):
        return None
    if is_map_key(line(span.path, span.line), span):
        return span
    key, block = span_of(condition.key), statement.span
    if key is None or block is None or not written_in_statement(condition.key, statement):
        return None
    first = key.line
    while first > block.line and not _BLOCK_OPEN.match(line(key.path, first) or "}"):
        if _BLOCK_CLOSE.match(line(key.path, first) or "}"):
            return None
        first -= 1
    last = key.line
    while last < block.end_line and not _BLOCK_CLOSE.match(line(key.path, last) or "{"):
        last += 1
    if not _BLOCK_OPEN.match(line(key.path, first) or "") or last >= block.end_line:
        return None
    tests = [(n, m) for n in range(first + 1, last)
             if (m := _TEST.match(line(key.path, n) or "")) is not None]
    if len(tests) != 1 or not all(
            (s := span_of(v)) is not None and s.path == key.path and first < s.line < last
            for v in condition.values):
        return None
    number, match = tests[0]
    return Span(key.path, number, match.start(2) + 1, number, match.end(2) + 1)


class Places:
    """Where the conditions of a scan's trusts are written, found once per rule run: a fix
    at one place changes every condition written there (the other claims of a map, the
    statement read again for each instance of a module), so it is judged on all of them."""

    def __init__(self, trusts: Iterable[Any], line: Callable[[str, int], "str | None"]) -> None:
        self._trusts = list(trusts)
        self._line = line
        self._operators: dict[Span, list[tuple[Any, Condition]]] | None = None
        self._keys: dict[Span, list[tuple[Any, Condition]]] | None = None
        self._statements: dict[Span, list[Any]] | None = None
        self.fixes: dict[Any, Any] = {}
        """A rule's fix by the place it edits, made once."""

    def operator(self, trust: Any, condition: Condition) -> Span | None:
        return operator_place(condition, trust.statement, self._line)

    def under_operator(self, place: Span) -> list[tuple[Any, Condition]]:
        """Every condition whose operator is written at ``place``."""
        if self._operators is None:
            self._operators = {}
            for trust in self._trusts:
                for condition in trust.statement.conditions:
                    found = self.operator(trust, condition)
                    if found is not None:
                        self._operators.setdefault(found, []).append((trust, condition))
        return self._operators.get(place, [])

    def with_key(self, place: Span) -> list[tuple[Any, Condition]]:
        """Every condition whose key is written at ``place``."""
        if self._keys is None:
            self._keys = {}
            for trust in self._trusts:
                for condition in trust.statement.conditions:
                    if (span := span_of(condition.key)) is not None:
                        self._keys.setdefault(span, []).append((trust, condition))
        return self._keys.get(place, [])

    def statements(self, place: Span) -> list[Any]:
        """Every trust whose statement is written at ``place``."""
        if self._statements is None:
            self._statements = {}
            for trust in self._trusts:
                if trust.statement.span is not None:
                    self._statements.setdefault(trust.statement.span, []).append(trust)
        return self._statements.get(place, [])
