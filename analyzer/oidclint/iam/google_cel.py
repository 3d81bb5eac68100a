"""Google Cloud workload identity: the CEL of attribute mappings and attribute conditions.

A workload identity pool provider maps the claims of an external token (``assertion``) to
Google attributes (``google.subject``, ``google.groups``, ``attribute.NAME``) with one Common
Expression Language (CEL) expression per attribute, and admits a token only when its
attribute condition, a CEL expression over ``assertion``, ``google`` and ``attribute``,
outputs true (docs/facts.md, "Google Cloud workload identity federation"):
https://cloud.google.com/iam/docs/reference/rest/v1/projects.locations.workloadIdentityPools.providers
https://github.com/google/cel-spec/blob/master/doc/langdef.md

This module reads the part of CEL those expressions use: ``assertion.x``, ``assertion['x']``,
nested fields, ``attribute.x``, ``google.subject``; string, integer, boolean and list
literals, map literals indexed by a claim (``{'id-1': 'workload1'}[assertion.oid]``);
``==``, ``!=``, ``&&``, ``||``, ``!``, ``in``, ``? :``, ``+`` on strings and integers;
``startsWith``, ``endsWith``, ``contains``, ``matches`` (RE2, read by ``iam.re2``: a pattern
Python would read differently is not understood, a search that could backtrack too long is
unknown), ``split`` (CEL's strings extension) and indexing. Anything else is
``NotUnderstood``, with the reason and the offset, never guessed.

Evaluation is three-valued over partly known claims, as IAM conditions are in
``iam.conditions``: a claim is text (``str``), text only partly known (``Partial``), not
known at all (``Unknown``), or absent. A verdict is ``True``/``False`` when the known part
decides it, ``None`` otherwise. A run-time error of CEL (a missing claim, a type mismatch)
is a ``CelError`` value; ``&&`` and ``||`` absorb errors and unknowns the way CEL does
(``false && error`` is false, ``true || unknown`` is true).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Mapping

from oidclint.iam.holes import HOLE, with_holes
from oidclint.iam.patterns import FIELD_SEPARATORS, Pattern, may_intersect
from oidclint.iam.re2 import InvalidPattern, RE2Pattern, TooSlow, Unsupported, compile_re2
from oidclint.source import Partial, Unknown, UnknownField, alternatives, concat

SUBJECT_BYTE_LIMIT = 127
"""``google.subject`` cannot exceed 127 bytes (docs/facts.md, Google Cloud section)."""
MAX_EXPRESSION_LENGTH = 4096
"""An attribute condition holds at most 4,096 characters (docs/facts.md, Google Cloud)."""
MAX_MAPPING_LENGTH = 2048
"""An attribute mapping expression holds at most 2,048 characters (docs/facts.md)."""
ROOTS = ("assertion", "attribute", "google")
MAX_NESTING = 40
"""Parentheses, ``!``, ``? :``, lists and arguments nested deeper than this are not read (the
parser and the evaluation recurse; a hostile expression must not exhaust Python's stack)."""
MAX_DEPTH = 200
"""The deepest expression tree read: a chain of 200 ``&&`` or ``+`` is far past any mapping
or condition written by hand."""


@dataclass(frozen=True, slots=True)
class NotUnderstood:
    """An expression, or a piece of one, outside the subset read: why, and where (a 0-based
    character offset into the expression's text)."""

    reason: str
    position: int

    def __str__(self) -> str:
        return f"{self.reason} (character {self.position + 1})"


@dataclass(frozen=True, slots=True)
class CelError:
    """What CEL raises at run time (a missing claim, a type mismatch), as a value."""

    reason: str


class _Reject(Exception):
    def __init__(self, reason: str, position: int) -> None:
        super().__init__(reason)
        self.found = NotUnderstood(reason, position)


# --- syntax ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Node:
    """One node of a parsed expression: ``kind`` is ``literal``, ``list``, ``map``, ``name``,
    ``field`` (``x.name``), ``index`` (``x[i]``), ``call`` (``x.f(args)``), ``not``,
    ``binary`` (``op``: ``==``, ``!=``, ``&&``, ``||``, ``in``, ``+``) or ``conditional``."""

    kind: str
    position: int
    value: Any = None
    """The literal, the name, the field or function name, or the operator."""
    children: tuple["Node", ...] = ()


@dataclass(frozen=True, slots=True)
class Expression:
    text: str
    root: Node

    def references(self) -> set[tuple[str, str]]:
        """The claims and attributes read by name: ``("assertion", "sub")``,
        ``("attribute", "repository")``, ``("google", "subject")``."""
        found: set[tuple[str, str]] = set()
        stack = [self.root]
        while stack:
            node = stack.pop()
            stack.extend(node.children)
            if node.kind in ("field", "index") and node.children[0].kind == "name":
                key = node.value if node.kind == "field" else _literal_key(node.children[1])
                if key is not None:
                    found.add((node.children[0].value, key))
        return found


def _literal_key(node: Node) -> str | None:
    return node.value if node.kind == "literal" and isinstance(node.value, str) else None


_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>\d+)(?![\w.])
  | (?P<other_number>\d[\w.]*)
  | (?P<quote>[rR]?(?:'|"))
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|&&|\|\||<=|>=|[!()\[\],.?:+\-<>*/%{}])
""", re.VERBOSE)
_SUPPORTED_OPS = {"==", "!=", "&&", "||", "!", "(", ")", "[", "]", "{", "}", ",", ".", "?", ":",
                  "+"}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "/": "/"}


def _tokens(text: str, holes: list[Unknown]) -> list[tuple[str, Any, int]]:
    tokens: list[tuple[str, Any, int]] = []
    pos, unknowns = 0, iter(holes)
    while pos < len(text):
        if text[pos] == HOLE:
            hole = next(unknowns, None)
            raise _Reject(f"{hole} stands where the expression's own text is" if hole
                          else "unexpected character '\\x00'", pos)
        found = _TOKEN.match(text, pos)
        if found is None:
            raise _Reject(f"unexpected character {text[pos]!r}", pos)
        kind = found.lastgroup
        if kind == "quote":
            value, end = _string(text, pos, found.group().lstrip("rR"),
                                 found.group()[0] in "rR", unknowns)
            tokens.append(("literal", value, pos))
            pos = end
            continue
        if kind == "other_number":
            raise _Reject(f"number {found.group()!r}: only decimal integers are read", pos)
        if kind == "number":
            tokens.append(("literal", int(found.group()), pos))
        elif kind == "name":
            word = found.group()
            literal = {"true": True, "false": False}.get(word)
            if word == "null":
                raise _Reject("null is not in the subset read", pos)
            tokens.append(("literal", literal, pos) if literal is not None
                          else ("op", "in", pos) if word == "in" else ("name", word, pos))
        elif kind == "op":
            if found.group() not in _SUPPORTED_OPS:
                raise _Reject(f"operator {found.group()} is not in the subset read", pos)
            tokens.append(("op", found.group(), pos))
        pos = found.end()
    tokens.append(("end", None, len(text)))
    return tokens


def _string(text: str, start: int, quote: str, raw: bool,
            unknowns: Iterable[Unknown]) -> tuple[Any, int]:
    """A quoted literal from ``start``: its value (``Partial`` when it holds an unknown
    piece) and the offset after it."""
    pos = start + (2 if raw else 1)
    if text.startswith(quote * 3, pos - 1):
        raise _Reject("triple-quoted strings are not in the subset read", start)
    pieces: list[Any] = []
    run: list[str] = []
    while pos < len(text):
        char = text[pos]
        if char == quote:
            pieces.append("".join(run))
            return concat([p for p in pieces if p != ""]), pos + 1
        if char == HOLE:
            hole = next(iter(unknowns), None)
            if hole is None:
                raise _Reject("unexpected character '\\x00'", pos)
            pieces += ["".join(run), hole]
            run = []
        elif char == "\n":
            break
        elif char == "\\" and not raw:
            escaped = text[pos + 1:pos + 2]
            if escaped not in _ESCAPES:
                raise _Reject(f"escape \\{escaped} is not in the subset read", pos)
            run.append(_ESCAPES[escaped])
            pos += 1
        else:
            run.append(char)
        pos += 1
    raise _Reject("unterminated string", start)


class _Parser:
    """Precedence climbing over CEL's grammar, lowest first: ``? :``, ``||``, ``&&``,
    relations (``==``, ``!=``, ``in``), ``+``, unary ``!``, member access."""

    def __init__(self, tokens: list[tuple[str, Any, int]]) -> None:
        self.tokens = tokens
        self.at = 0
        self.nesting = 0

    def enter(self) -> None:
        """One level deeper: parentheses, a list, arguments, an index, ``!``, ``? :``."""
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise _Reject(f"nested more than {MAX_NESTING} deep", self.tokens[self.at][2])

    def nested(self, parse: Any) -> Any:
        self.enter()
        found = parse()
        self.nesting -= 1
        return found

    def peek(self, value: Any = None) -> bool:
        kind, found, _ = self.tokens[self.at]
        return kind == "op" and found == value

    def take(self) -> tuple[str, Any, int]:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def expect(self, value: str) -> int:
        kind, found, pos = self.take()
        if kind != "op" or found != value:
            raise _Reject(f"expected {value!r}", pos)
        return pos

    def expression(self) -> Node:
        condition = self.binary(0)
        if self.peek("?"):
            pos = self.expect("?")
            then = self.binary(0)
            self.expect(":")
            return Node("conditional", pos, None,
                        (condition, then, self.nested(self.expression)))
        return condition

    _LEVELS = (("||",), ("&&",), ("==", "!=", "in"), ("+",))

    def binary(self, level: int) -> Node:
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while any(self.peek(op) for op in self._LEVELS[level]):
            _, op, pos = self.take()
            left = Node("binary", pos, op, (left, self.binary(level + 1)))
        return left

    def unary(self) -> Node:
        if self.peek("!"):
            _, _, pos = self.take()
            return Node("not", pos, None, (self.nested(self.unary),))
        return self.member(self.primary())

    def primary(self) -> Node:
        kind, value, pos = self.take()
        if kind == "literal":
            return Node("literal", pos, value)
        if kind == "name":
            if self.peek("("):
                raise _Reject(f"function {value}() is not in the subset read", pos)
            if value not in ROOTS:
                raise _Reject(f"unknown name {value!r} (a mapping or condition reads "
                              "assertion, attribute and google)", pos)
            return Node("name", pos, value)
        if kind == "op" and value == "(":
            inner = self.nested(self.expression)
            self.expect(")")
            return inner
        if kind == "op" and value == "[":
            return Node("list", pos, None, tuple(self.nested(lambda: self.arguments("]"))))
        if kind == "op" and value == "{":
            return Node("map", pos, None, tuple(self.nested(self.entries)))
        raise _Reject("unexpected end of expression" if kind == "end"
                      else f"unexpected {value!r}", pos)

    def arguments(self, closing: str) -> list[Node]:
        items: list[Node] = []
        while not self.peek(closing):
            items.append(self.expression())
            if not self.peek(closing):
                self.expect(",")
        self.take()
        return items

    def entries(self) -> list[Node]:
        """A map literal's keys and values, alternating (``{'a': 'x', 'b': 'y'}``)."""
        items: list[Node] = []
        while not self.peek("}"):
            items.append(self.expression())
            self.expect(":")
            items.append(self.expression())
            if not self.peek("}"):
                self.expect(",")
        self.take()
        return items

    def member(self, node: Node) -> Node:
        while True:
            if self.peek("."):
                self.take()
                kind, name, pos = self.take()
                if kind != "name":
                    raise _Reject("expected a field or function name after '.'", pos)
                if self.peek("("):
                    self.take()
                    args = self.nested(lambda: self.arguments(")"))
                    if name not in _FUNCTIONS:
                        raise _Reject(f"function {name}() is not in the subset read", pos)
                    if len(args) != 1:
                        raise _Reject(f"{name}() takes one argument here", pos)
                    node = Node("call", pos, name, (node, *args))
                else:
                    node = Node("field", pos, name, (node,))
            elif self.peek("["):
                _, _, pos = self.take()
                index = self.nested(self.expression)
                self.expect("]")
                node = Node("index", pos, None, (node, index))
            else:
                return node


@lru_cache(maxsize=1024)
def parse(text: str | Partial) -> Expression | NotUnderstood:
    """The expression, or why it is not read (kept: one condition is read for every token).
    A ``Partial`` text (an expression built with an input,
    ``"assertion.repository_owner == '${var.org}'"``) is read when its unknown pieces sit
    inside string literals; they make those literals partly known."""
    read = with_holes(text)
    if read is None:
        return NotUnderstood("unexpected character '\\x00'", str(text).index(HOLE)) \
            if isinstance(text, str) else NotUnderstood("the expression is not known", 0)
    source, holes = read
    if len(source) > MAX_EXPRESSION_LENGTH:
        return NotUnderstood(f"longer than {MAX_EXPRESSION_LENGTH} characters, the limit "
                             "Google sets for an attribute condition", MAX_EXPRESSION_LENGTH)
    try:
        parser = _Parser(_tokens(source, holes))
        root = parser.expression()
        kind, value, pos = parser.tokens[parser.at]
        if kind != "end":
            raise _Reject(f"unexpected {value!r}", pos)
        _check_tree(root)
    except _Reject as rejected:
        return rejected.found
    return Expression(source, root)


def _check_tree(root: Node) -> None:
    """Past ``MAX_DEPTH`` the tree is not read. A ``matches`` pattern written as a literal is
    checked when parsed: one that Python would read differently from RE2 is not understood,
    wherever it is used."""
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _Reject(f"more than {MAX_DEPTH} operations deep", node.position)
        stack.extend((child, depth + 1) for child in node.children)
        if node.kind == "call" and node.value == "matches":
            pattern = node.children[1]
            if pattern.kind == "literal" and isinstance(pattern.value, str):
                compiled = _pattern(pattern.value)
                if isinstance(compiled, str):
                    raise _Reject(compiled, pattern.position)


# --- RE2 ---------------------------------------------------------------------------------

@lru_cache(maxsize=256)
def _pattern(pattern: str) -> RE2Pattern | str:
    """The compiled RE2 pattern, or why it is not read: RE2 that Python cannot read the same
    way, or not RE2 at all (CEL refuses such a pattern)."""
    try:
        return compile_re2(pattern)
    except Unsupported as problem:
        return f"pattern {pattern!r} uses RE2 that is not read: {problem}"
    except InvalidPattern as problem:
        return f"pattern {pattern!r} is not valid RE2: {problem}"


def _matches(text: str, pattern: str) -> Any:
    """CEL's ``matches``: whether the RE2 pattern matches any part of the text. Unknown when
    Python's backtracking could take too long on it (``iam.re2``)."""
    compiled = _pattern(pattern)
    if isinstance(compiled, str):
        return Unknown(compiled)
    try:
        return compiled.search(text) is not None
    except TooSlow as slow:
        return Unknown(str(slow))


# --- evaluation --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Claims:
    """The claims of a token as CEL reads them under ``assertion``: text, partly known text,
    ``Unknown``, lists, nested mappings. ``closed``: a claim not listed is absent (reading
    it is an error); otherwise it is not known."""

    values: Mapping[str, Any]
    closed: bool = True


def _unknown(value: Any) -> bool:
    """Not known: an ``Unknown``, or ``None``, a test whose outcome is not known."""
    return value is None or isinstance(value, Unknown)


def _select(container: Any, key: Any) -> Any:
    if isinstance(container, CelError):
        return container
    if _unknown(container):
        return Unknown(f"{key} of a value not known")
    if isinstance(container, Claims):
        if key in container.values:
            return container.values[key]
        return CelError(f"no such key: {key}") if container.closed else Unknown(f"claim {key}")
    if isinstance(container, Mapping):
        return container[key] if key in container else CelError(f"no such key: {key}")
    return CelError(f"no field {key!r} on a {_type(container)}")


def _type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, (str, Partial)):
        return "string"
    if isinstance(value, (list, tuple, _SplitList)):
        return "list"
    return "map"


def _is_text(value: Any) -> bool:
    return isinstance(value, (str, Partial))


@dataclass(frozen=True, slots=True)
class _SplitList:
    """A list made by splitting partly known text: its first elements known, how many more
    not known."""

    head: tuple[Any, ...]


def _equal(left: Any, right: Any) -> Any:
    for side in (left, right):
        if isinstance(side, CelError):
            return side
    if left is None or right is None:
        return None
    choices = [alternatives(side) for side in (left, right)]
    if len(choices[0]) * len(choices[1]) > 1:
        # A value known to be one of several (``OneOf``): decided when all agree.
        verdicts = [_equal(a, b) for a in choices[0] for b in choices[1]]
        return verdicts[0] if all(v == verdicts[0] for v in verdicts) else None
    if isinstance(left, Unknown) or isinstance(right, Unknown):
        return None
    if _is_text(left) and _is_text(right):
        if isinstance(left, str) and isinstance(right, str):
            return str(left) == str(right)
        return False if may_intersect(Pattern.of(left, glob=False),
                                      Pattern.of(right, glob=False)) is False else None
    if _type(left) != _type(right):
        return None  # CEL's answer across types depends on its version: not decided here
    if isinstance(left, _SplitList) or isinstance(right, _SplitList):
        return None
    if isinstance(left, (list, tuple)):
        if len(left) != len(right):
            return False
        return _all([_equal(a, b) for a, b in zip(left, right)])
    return left == right


def _all(verdicts: list[Any]) -> Any:
    if any(v is False for v in verdicts):
        return False
    return None if any(v is None for v in verdicts) else True


def _member(item: Any, container: Any) -> Any:
    if isinstance(container, CelError) or isinstance(item, CelError):
        return container if isinstance(container, CelError) else item
    if _unknown(container):
        return None
    if isinstance(container, (Claims, Mapping)):
        return _has_key(container, item)
    if isinstance(container, _SplitList):
        return True if any(_equal(item, e) is True for e in container.head) else None
    if not isinstance(container, (list, tuple)):
        return CelError(f"'in' on a {_type(container)} is not read")
    verdicts = [_equal(item, element) for element in container]
    if any(v is True for v in verdicts):
        return True
    errors = [v for v in verdicts if isinstance(v, CelError)]
    if errors:
        return errors[0]
    return None if any(v is None for v in verdicts) else False


def _has_key(container: Any, key: Any) -> Any:
    """CEL's ``in`` on a map: whether the key is there."""
    if _unknown(key) or isinstance(key, Partial):
        return None
    if not isinstance(key, str):
        return CelError(f"'in' a map with a {_type(key)}")
    values = container.values if isinstance(container, Claims) else container
    if key in values:
        return True
    return None if isinstance(container, Claims) and not container.closed else False


def _logical(op: str, left: Any, right: Any) -> Any:
    """CEL's commutative ``&&`` and ``||``: the deciding value wins over errors and
    unknowns on the other side; then an unknown; then an error."""
    decisive = op == "||"
    values = []
    for value in (left, right):
        if _unknown(value):
            values.append(None)
        elif isinstance(value, bool) or isinstance(value, CelError):
            values.append(value)
        else:
            values.append(CelError(f"{op} on a {_type(value)}"))
    if decisive in values:
        return decisive
    if None in values:
        return None
    errors = [v for v in values if isinstance(v, CelError)]
    return errors[0] if errors else not decisive


def _starts(text: Any, prefix: str) -> bool | None:
    known = text.known_prefix
    if known.startswith(prefix):
        return True
    return False if not prefix.startswith(known) else None


def _ends(text: Any, suffix: str) -> bool | None:
    known = text.known_suffix
    if known.endswith(suffix):
        return True
    return False if not suffix.endswith(known) else None


def _text_function(name: str, text: Any, argument: Any) -> Any:
    if not (_is_text(text) and _is_text(argument)):
        return CelError(f"{name}() on a {_type(text)} with a {_type(argument)}")
    if isinstance(argument, Partial):
        return Unknown(f"{name}() with an argument not known")
    if name == "split":
        return _split(text, str(argument))
    if isinstance(text, str):
        text = str(text)
        if name == "startsWith":
            return text.startswith(argument)
        if name == "endsWith":
            return text.endswith(argument)
        if name == "contains":
            return argument in text
        return _matches(text, argument)
    if name == "startsWith":
        return _starts(text, argument)
    if name == "endsWith":
        return _ends(text, argument)
    if name == "contains":
        return True if any(isinstance(p, str) and argument in p for p in text.parts) else None
    return None  # matches() on partly known text: not decided


def _split(text: Any, separator: str) -> Any:
    if separator == "":
        return CelError("split() with an empty separator is not read")
    if isinstance(text, str):
        return str(text).split(separator)
    # Known elements end at the first unknown piece, unless that piece is one field of a
    # subject (``UnknownField``), which never holds the separator.
    head: list[Any] = []
    current: list[Any] = []
    for part in text.parts:
        if isinstance(part, Unknown):
            current.append(part)
            if not (isinstance(part, UnknownField) and separator in FIELD_SEPARATORS):
                # The element holding it starts with the known text before it.
                head.append(concat(current))
                return _SplitList(tuple(head))
            continue
        pieces = part.split(separator)
        current.append(pieces[0])
        for piece in pieces[1:]:
            head.append(concat(current))
            current = [piece]
    head.append(concat(current))
    return head


def _map(node: Node, items: list[Any]) -> Any:
    """A map literal with text keys: a key or value that raises makes it raise; a key not
    known leaves the whole map not known."""
    error = next((item for item in items if isinstance(item, CelError)), None)
    if error is not None:
        return error
    keys, values = items[0::2], items[1::2]
    if any(_unknown(key) or isinstance(key, Partial) for key in keys):
        return Unknown("a map with a key not known")
    if not all(isinstance(key, str) for key in keys):
        return Unknown("a map with keys other than text is not read")
    if len(set(map(str, keys))) != len(keys):
        return CelError("a map literal with a repeated key")
    return {str(key): value for key, value in zip(keys, values)}


def _index(container: Any, index: Any) -> Any:
    if isinstance(container, CelError) or isinstance(index, CelError):
        return container if isinstance(container, CelError) else index
    if _unknown(container) or _unknown(index) or isinstance(index, Partial):
        return Unknown("an element not known")
    if isinstance(container, (Claims, Mapping)):
        if not isinstance(index, str):
            return CelError(f"a map indexed with a {_type(index)}")
        return _select(container, str(index))
    if isinstance(container, (list, tuple, _SplitList)):
        if isinstance(index, bool) or not isinstance(index, int):
            return CelError(f"a list indexed with a {_type(index)}")
        items = container.head if isinstance(container, _SplitList) else container
        if 0 <= index < len(items):
            return items[index]
        if isinstance(container, _SplitList) and index >= 0:
            return Unknown(f"element {index} of text only partly known")
        return CelError(f"index {index} out of range")
    return CelError(f"a {_type(container)} indexed")


def _plus(left: Any, right: Any) -> Any:
    for side in (left, right):
        if isinstance(side, CelError):
            return side
    if _is_text(left) or _is_text(right):
        if all(_is_text(s) or isinstance(s, Unknown) for s in (left, right)):
            return concat([left, right])
        if not any(_unknown(s) for s in (left, right)):
            return CelError(f"+ on a {_type(left)} and a {_type(right)}")
    if _unknown(left) or _unknown(right):
        return Unknown("a sum not known")
    if _type(left) == _type(right) == "int":
        return left + right
    return CelError(f"+ on a {_type(left)} and a {_type(right)}")


def _truth(value: Any) -> Any:
    """A value where a boolean is expected: True/False, None when not known, or an error."""
    if _unknown(value):
        return None
    if isinstance(value, (bool, CelError)):
        return value
    return CelError(f"a {_type(value)} where a bool is expected")


_FUNCTIONS = {"startsWith", "endsWith", "contains", "matches", "split"}


def _evaluate(node: Node, scope: Mapping[str, Any]) -> Any:
    kind = node.kind
    if kind == "literal":
        return node.value
    if kind == "list":
        items = [_evaluate(child, scope) for child in node.children]
        # An element that raises makes the whole list raise, as in CEL.
        return next((item for item in items if isinstance(item, CelError)), items)
    if kind == "map":
        return _map(node, [_evaluate(child, scope) for child in node.children])
    if kind == "name":
        return scope[node.value]
    if kind == "field":
        return _select(_evaluate(node.children[0], scope), node.value)
    if kind == "index":
        return _index(_evaluate(node.children[0], scope), _evaluate(node.children[1], scope))
    if kind == "not":
        value = _truth(_evaluate(node.children[0], scope))
        return not value if isinstance(value, bool) else value
    if kind == "conditional":
        test = _truth(_evaluate(node.children[0], scope))
        if isinstance(test, (bool, CelError)):
            return test if isinstance(test, CelError) else \
                _evaluate(node.children[1 if test else 2], scope)
        then, other = (_evaluate(c, scope) for c in node.children[1:])
        return then if _equal(then, other) is True else Unknown("a choice not known")
    if kind == "call":
        target, argument = (_evaluate(c, scope) for c in node.children)
        for side in (target, argument):
            if isinstance(side, CelError):
                return side
        if _unknown(target) or _unknown(argument):
            return Unknown(f"{node.value}() of a value not known")
        return _text_function(node.value, target, argument)
    left, right = (_evaluate(c, scope) for c in node.children)
    op = node.value
    if op in ("&&", "||"):
        return _logical(op, _truth(left), _truth(right))
    if op == "+":
        return _plus(left, right)
    if op == "in":
        return _member(left, right)
    verdict = _equal(left, right)
    return (not verdict if isinstance(verdict, bool) else verdict) if op == "!=" else verdict


def evaluate(expression: Expression, assertion: Claims,
             attributes: Mapping[str, Any] | None = None,
             google: Mapping[str, Any] | None = None) -> Any:
    """The value of an expression: text (``str``/``Partial``), ``int``, ``bool``, a list,
    ``None`` for a boolean not known, ``Unknown`` for any other value not known, or a
    ``CelError``. ``attributes`` and ``google`` are the mapped ``attribute.NAME`` and
    ``google.NAME`` (without their prefix); reading one not mapped is an error."""
    scope = {"assertion": assertion, "attribute": dict(attributes or {}),
             "google": dict(google or {})}
    return _evaluate(expression.root, scope)


# --- mappings and conditions -------------------------------------------------------------

ATTRIBUTE_KEY = re.compile(r"attribute\.[a-z0-9_]{1,100}")
GOOGLE_KEYS = frozenset({"google.subject", "google.groups"})
"""The Google attributes of a workload identity pool provider (workforce pools have more)."""


def key_problem(key: str) -> str | None:
    """Why a mapping key is not one Google takes, or ``None``: ``google.subject``,
    ``google.groups``, or ``attribute.NAME`` with NAME of ``[a-z0-9_]``, at most 100."""
    if key in GOOGLE_KEYS or ATTRIBUTE_KEY.fullmatch(key):
        return None
    if key.startswith("attribute."):
        return f"{key!r}: a custom attribute's name is 1 to 100 of a-z, 0-9 and _"
    return f"{key!r} is not google.subject, google.groups or attribute.NAME"


@dataclass(slots=True)
class MappedAttributes:
    """What an attribute mapping gives one token: each key's value (text, partly known text,
    ``Unknown``, a list for ``google.groups``), or the ``CelError`` it raised, or why its
    expression is not read."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, CelError] = field(default_factory=dict)
    not_understood: dict[str, NotUnderstood] = field(default_factory=dict)

    def scope(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(attribute, google)`` for ``evaluate``; a key not read is not known, one that
        raised is an error."""
        attribute: dict[str, Any] = {}
        google: dict[str, Any] = {}
        for key in (*self.values, *self.errors, *self.not_understood):
            root, _, name = key.partition(".")
            value = self.values.get(key, self.errors.get(key))
            target = attribute if root == "attribute" else google
            target[name] = value if value is not None else Unknown(f"{key} (not read)")
        return attribute, google


def map_attributes(mapping: Mapping[str, Any], assertion: Claims) -> MappedAttributes:
    """Each mapping expression evaluated over the token's claims."""
    result = MappedAttributes()
    for key, text in mapping.items():
        if not isinstance(text, (str, Partial)):
            result.not_understood[key] = NotUnderstood("the expression is not known", 0)
            continue
        if len(str(text)) > MAX_MAPPING_LENGTH:
            result.not_understood[key] = NotUnderstood(
                f"longer than {MAX_MAPPING_LENGTH} characters, the limit Google sets for an "
                "attribute mapping expression", MAX_MAPPING_LENGTH)
            continue
        expression = parse(text)
        if isinstance(expression, NotUnderstood):
            result.not_understood[key] = expression
            continue
        value = evaluate(expression, assertion)
        if isinstance(value, CelError):
            result.errors[key] = value
        else:
            result.values[key] = value
    return result


@dataclass(frozen=True, slots=True)
class Admission:
    """Whether an attribute condition admits a token: ``verdict`` True, False, or None when
    the known claims do not decide; ``error`` the CEL error that made it false;
    ``not_understood`` why it was not read (``verdict`` is then None)."""

    verdict: bool | None
    error: CelError | None = None
    not_understood: NotUnderstood | None = None


def condition_admits(condition: str | Partial, assertion: Claims,
                     mapped: MappedAttributes | None = None) -> Admission:
    """The attribute condition over the token's claims and mapped attributes. It admits
    only when it outputs true: an error or a value that is not a bool admits no token
    (Google: the expression "must output a boolean representing whether to allow the
    federation"; docs/facts.md)."""
    expression = parse(condition)
    if isinstance(expression, NotUnderstood):
        return Admission(None, not_understood=expression)
    attribute, google = (mapped or MappedAttributes()).scope()
    value = _truth(evaluate(expression, assertion, attribute, google))
    if isinstance(value, CelError):
        return Admission(False, error=value)
    return Admission(value)


@dataclass(frozen=True, slots=True)
class ByteLength:
    """Bounds of a text's length in UTF-8 bytes: ``high`` None when not bounded."""

    low: int
    high: int | None

    @property
    def exceeds(self) -> bool | None:
        """Over Google's 127-byte limit for ``google.subject``: True, False, or None."""
        if self.low > SUBJECT_BYTE_LIMIT:
            return True
        return False if self.high is not None and self.high <= SUBJECT_BYTE_LIMIT else None


def subject_length(mapping: Mapping[str, Any], assertion: Claims
                   ) -> ByteLength | CelError | NotUnderstood | None:
    """The byte length of ``google.subject`` for a token; ``None`` when the mapping has no
    ``google.subject`` (which Google requires)."""
    if "google.subject" not in mapping:
        return None
    mapped = map_attributes({"google.subject": mapping["google.subject"]}, assertion)
    if mapped.not_understood:
        return mapped.not_understood["google.subject"]
    if mapped.errors:
        return mapped.errors["google.subject"]
    value = mapped.values["google.subject"]
    if isinstance(value, str):
        size = len(str(value).encode("utf-8"))
        return ByteLength(size, size)
    if isinstance(value, Partial):
        return ByteLength(sum(len(p.encode("utf-8")) for p in value.parts
                              if isinstance(p, str)), None)
    return ByteLength(0, None)
