"""GitHub Actions expressions (``${{ ... }}``): their syntax, and what ``env.X`` and
``inputs.X`` refer to where a value is written (their values in conditions:
``github_expression_values``).

Expressions: https://docs.github.com/en/actions/reference/workflows-and-actions/expressions
Literals are ``true``, ``false``, ``null``, JSON numbers (and ``0x`` hexadecimal) and strings in
single quotes (``''`` for a quote). Operators, from the loosest: ``||``, ``&&``, ``==`` ``!=``,
``<`` ``<=`` ``>`` ``>=``, ``!``, then ``.`` and ``[ ]`` (property and index); functions are
called by name, whatever its case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from oidclint.source import Choice, Partial, Pieces, Span, Str, Unknown, concat, span_of

EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
REFERENCE = re.compile(r"^([A-Za-z_][\w-]*)\.([A-Za-z_][\w-]*)$")
QUOTED = re.compile(r"^'((?:[^']|'')*)'$")

MAX_LENGTH = 20_000
"""Characters of one expression read; a longer one is not understood."""
MAX_TOKENS = 400
"""Tokens of one expression read (a chain of ``||`` is evaluated as deep as it is long)."""
MAX_DEPTH = 200
"""Nesting (parentheses, operators, calls) read before an expression is not understood."""


@dataclass(frozen=True, slots=True)
class Scope:
    """What ``${{ env.X }}`` and ``${{ inputs.X }}`` mean where a value is written.

    Expressions: https://docs.github.com/en/actions/reference/workflows-and-actions/expressions
    Context names are case-insensitive there, as are input names.
    """

    env: tuple[Any, ...]
    """``env`` blocks from the innermost (step) to the outermost (workflow)."""
    inputs: dict[str, Any] | None
    """Inputs passed by a caller; ``None`` for a workflow that runs on its own."""
    matrix: dict[str, Any] | None = None
    """The matrix combination the job runs with, when it is known."""

    def resolve(self, value: Any) -> Any:
        """The value with its expressions resolved: a literal, ``Unknown`` or ``Partial``."""
        if not isinstance(value, str) or "${{" not in value:
            return value
        span = span_of(value)
        matches = list(EXPRESSION.finditer(value))
        if not matches:
            return value
        if len(matches) == 1 and matches[0].span() == (0, len(value)):
            return self._expression(matches[0][1], span)
        pieces = Pieces("an expression")
        end = 0
        for match in matches:
            pieces.add(value[end:match.start()])
            piece = self._expression(match[1], span)
            if isinstance(piece, (str, Partial, Unknown)):
                pieces.add(piece)
            elif isinstance(piece, (bool, int, float)) or piece is None:
                pieces.add(text_of(piece))
            else:
                pieces.add(Unknown(origin(match[1]), span))
            end = match.end()
        pieces.add(value[end:])
        return concat(pieces, span, what="an expression")

    def _expression(self, text: str, span: Span | None) -> Any:
        written = origin(text)
        try:
            node = parse(written)
        except ExpressionError:
            return Unknown(written, span)
        if isinstance(node, Literal) and isinstance(node.value, str):
            return Str(node.value, span)
        path = reference(node)
        if path is None or len(path) != 2:
            return Unknown(written, span)
        context, name = path[0].lower(), path[1]
        if context == "env":
            return self._env(name, written, span)
        if context == "matrix" and self.matrix is not None:
            key = lookup(self.matrix, name)
            value = self.matrix.get(key) if key is not None else None
            if isinstance(value, str):
                return value
            if isinstance(value, (bool, int, float)):
                return Str(text_of(value), span)
            return Unknown(written, span)
        if context == "inputs" and self.inputs is not None:
            value = self.inputs.get(name.lower())
            # A Choice (one of a dispatch input's options) is one value not known here.
            if value is not None and not isinstance(value, (dict, list, Choice)):
                return value
        return Unknown(written, span)

    def _env(self, name: str, written: str, span: Span | None) -> Any:
        for depth, block in enumerate(self.env):
            if not isinstance(block, dict):
                continue
            key = lookup(block, name)
            if key is None:
                continue
            value = block[key]
            if value is None or isinstance(value, (dict, list)):
                break
            # An env value can refer to the levels outside its own.
            return Scope(self.env[depth + 1:], self.inputs, self.matrix).resolve(value)
        return Unknown(written, span)


def origin(expression: str) -> str:
    return " ".join(expression.split())


def lookup(block: dict, name: str) -> Any:
    if name in block:
        return name
    folded = name.casefold()
    return next((k for k in block if isinstance(k, str) and k.casefold() == folded), None)


# -- syntax --------------------------------------------------------------------------------

class ExpressionError(ValueError):
    """Text that is not an expression, or one too long or too deep to read."""


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any
    """``None``, a bool, an int, a float or a str."""
    text: str


@dataclass(frozen=True, slots=True)
class Name:
    """A context (``github``, ``inputs`` ...) or a name no context has."""

    name: str
    text: str


@dataclass(frozen=True, slots=True)
class Member:
    """``target.key``, ``target['key']``, ``target[expression]`` or ``target.*``."""

    target: Any
    key: Any
    """A str for ``.key``, a node for ``[ ]``, ``None`` for ``.*``."""
    text: str


@dataclass(frozen=True, slots=True)
class Call:
    function: str
    """Lower case: function names are case-insensitive."""
    args: tuple[Any, ...]
    text: str


@dataclass(frozen=True, slots=True)
class Not:
    operand: Any
    text: str


@dataclass(frozen=True, slots=True)
class Binary:
    operator: str
    left: Any
    right: Any
    text: str


NUMBER = r"[-+]?(?:0x[0-9a-fA-F]+|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)"
_TOKEN = re.compile(rf"""(?:
    (?P<string>'(?:[^']|'')*')
  | (?P<number>{NUMBER})
  | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
  | (?P<operator>==|!=|<=|>=|&&|\|\||[!<>()\[\],.*])
)""", re.VERBOSE)
_SPACE = re.compile(r"\s*")
_KEYWORDS = {"true": True, "false": False, "null": None}
_LEVELS = (("||",), ("&&",), ("==", "!="), ("<", "<=", ">", ">="))
FUNCTIONS = {
    # name: (fewest, most) arguments
    "contains": (2, 2), "startswith": (2, 2), "endswith": (2, 2), "format": (1, None),
    "join": (1, 2), "tojson": (1, 1), "fromjson": (1, 1), "hashfiles": (1, None),
    "success": (0, 0), "always": (0, 0), "cancelled": (0, 0), "failure": (0, 0),
}


def parse(text: str) -> Any:
    """The syntax tree of one expression (without ``${{ }}``)."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"longer than {MAX_LENGTH} characters")
    return _Parser(text).read()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str, int, int]] = []  # kind, text, start, end
        position = _SPACE.match(text).end()
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None:
                raise ExpressionError(f"unexpected {text[position:position + 20]!r}")
            kind = match.lastgroup
            self.tokens.append((kind, match[kind], match.start(), match.end()))
            if len(self.tokens) > MAX_TOKENS:
                raise ExpressionError(f"more than {MAX_TOKENS} tokens")
            position = _SPACE.match(text, match.end()).end()
        self.index = 0
        self.depth = 0

    def read(self) -> Any:
        if not self.tokens:
            raise ExpressionError("empty")
        node = self._level(0)
        if self.index < len(self.tokens):
            raise ExpressionError(f"unexpected {self.tokens[self.index][1]!r}")
        return node

    def _peek(self) -> str | None:
        return self.tokens[self.index][1] if self.index < len(self.tokens) else None

    def _take(self, expected: str | None = None) -> tuple[str, str, int, int]:
        if self.index >= len(self.tokens):
            raise ExpressionError("unexpected end")
        token = self.tokens[self.index]
        if expected is not None and (token[0] != "operator" or token[1] != expected):
            raise ExpressionError(f"expected {expected!r}, found {token[1]!r}")
        self.index += 1
        return token

    def _span(self, start_token: int) -> str:
        return self.text[self.tokens[start_token][2]:self.tokens[self.index - 1][3]].strip()

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError("nested too deeply")

    def _level(self, level: int) -> Any:
        if level == len(_LEVELS):
            return self._unary()
        self._enter()
        first = self.index
        node = self._level(level + 1)
        while self._is_operator(_LEVELS[level]):
            operator = self._take()[1]
            right = self._level(level + 1)
            node = Binary(operator, node, right, self._span(first))
        self.depth -= 1
        return node

    def _is_operator(self, operators: tuple[str, ...]) -> bool:
        return self.index < len(self.tokens) and self.tokens[self.index][0] == "operator" \
            and self.tokens[self.index][1] in operators

    def _unary(self) -> Any:
        if self._is_operator(("!",)):
            first = self.index
            self._take()
            self._enter()
            operand = self._unary()
            self.depth -= 1
            return Not(operand, self._span(first))
        return self._postfix()

    def _postfix(self) -> Any:
        first = self.index
        node = self._primary()
        while self._is_operator((".", "[")):
            if self._take()[1] == ".":
                kind, text, _, _ = self._take()
                if kind == "name":
                    node = Member(node, text, self._span(first))
                elif text == "*":
                    node = Member(node, None, self._span(first))
                else:
                    raise ExpressionError(f"unexpected {text!r} after '.'")
            else:
                self._enter()
                key = self._level(0)
                self.depth -= 1
                self._take("]")
                node = Member(node, None if _is_star(key) else key, self._span(first))
        return node

    def _primary(self) -> Any:
        first = self.index
        if self._is_operator(("*",)):  # only as an index: `a[*]`
            self._take()
            return Name("*", "*")
        kind, text, _, _ = self._take()
        if kind == "string":
            return Literal(text[1:-1].replace("''", "'"), text)
        if kind == "number":
            return Literal(number(text), text)
        if kind == "operator":
            if text != "(":
                raise ExpressionError(f"unexpected {text!r}")
            self._enter()
            node = self._level(0)
            self.depth -= 1
            self._take(")")
            return node
        if self._is_operator(("(",)):
            return self._call(text, first)
        if text in _KEYWORDS:
            return Literal(_KEYWORDS[text], text)
        return Name(text, text)

    def _call(self, name: str, first: int) -> Call:
        function = name.lower()
        if function not in FUNCTIONS:
            raise ExpressionError(f"unknown function {name}")
        self._take("(")
        args = []
        self._enter()
        if not self._is_operator((")",)):
            args.append(self._level(0))
            while self._is_operator((",",)):
                self._take()
                args.append(self._level(0))
        self.depth -= 1
        self._take(")")
        fewest, most = FUNCTIONS[function]
        if len(args) < fewest or (most is not None and len(args) > most):
            raise ExpressionError(f"{name} takes {fewest} to {most} arguments")
        return Call(function, tuple(args), self._span(first))


def _is_star(node: Any) -> bool:
    return isinstance(node, Name) and node.name == "*"


def number(text: str) -> int | float:
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    if digits.lower().startswith("0x"):
        return sign * int(digits, 16)
    if re.fullmatch(r"[0-9]+", digits):
        return sign * int(digits)
    return sign * float(digits)


def reference(node: Any) -> tuple[str, ...] | None:
    """``github.event.inputs.x`` (or ``github['event'].inputs['x']``) as its names, as
    written; ``None`` for anything else (a computed index, ``*``, a call)."""
    names: list[str] = []
    while isinstance(node, Member):
        if isinstance(node.key, str):
            names.append(node.key)
        elif isinstance(node.key, Literal) and isinstance(node.key.value, str):
            names.append(node.key.value)
        else:
            return None
        node = node.target
    if not isinstance(node, Name) or node.name == "*":
        return None
    return (node.name, *reversed(names))


def alternatives(node: Any) -> list[Any]:
    """The operands of ``a || b || c`` (the node itself when it is no ``||``)."""
    if isinstance(node, Binary) and node.operator == "||":
        return alternatives(node.left) + alternatives(node.right)
    return [node]


def text_of(value: Any) -> str | None:
    """A known scalar as GitHub writes it into a string; None for anything else."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.15g}"
    if isinstance(value, str):
        return str(value)
    return None
