"""ARM template language expressions, read as far as the template alone tells.

A string value that starts with ``[`` and ends with ``]`` is an expression (``[[`` starts a
literal ``[``). Read here: string literals (``'it''s'``), ``parameters('x')`` (the default
value, else not known), ``variables('x')``, ``concat(...)`` of strings and ``format('{0}/{1}',
...)``; the properties of a resource of the template, ``reference(resourceId('<type>',
'<name>')).a.b`` or ``reference('<symbolic name>').a.b``, as far as the reader knows them
before deployment (``Template.properties``); any other function, and a property or index
taken of another call, is not known, named by its text. https://learn.microsoft.com/azure/azure-resource-manager/templates/template-expressions
https://learn.microsoft.com/azure/azure-resource-manager/templates/template-functions-string
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from oidclint.source import LDict, LList, Partial, Span, Str, Unknown, concat, span_of

MAX_DEPTH = 16
"""Variables and parameter defaults that refer to each other are followed this deep."""
MAX_NESTING = 64
"""Function calls nested in one expression are read this deep (far beyond real templates)."""

_TOKEN = re.compile(r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?[0-9]+)"
                    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<punct>[(),.\[\]]))")
_FORMAT_HOLE = re.compile(r"\{(\d+)(?::[^}]*)?\}|\{\{|\}\}")


@dataclass(frozen=True, slots=True)
class ResourceReference(Unknown):
    """A resource named by ``resourceId('<type>', '<name>', ...)`` (``target``: the type, then
    the names) or by its symbolic name (``target``: the name alone); its state is known only
    once deployed."""

    target: tuple[Any, ...] = field(default=(), compare=False)
    referenced: bool = field(default=False, compare=False)
    """``reference(...)`` of it: its runtime state, whose properties may follow."""


PropertyReader = Callable[[tuple[Any, ...], list[str], "Span | None"], Any]
"""What a property path of a referenced resource of the template is (``reader``)."""


class _Unread(Exception):
    """The expression is outside what is read (its text says what)."""


class Template:
    """The parameters and variables of one template, to evaluate its expressions with."""

    def __init__(self, parameters: Any, variables: Any) -> None:
        self.parameters = parameters if isinstance(parameters, dict) else {}
        self.variables = variables if isinstance(variables, dict) else {}
        self.properties: PropertyReader | None = None
        self._values: dict[tuple[str, str], Any] = {}
        """Each parameter and variable evaluated once: one that refers to another twice
        is not evaluated twice (nor exponentially often along a chain)."""

    def value(self, value: Any, depth: int = 0) -> Any:
        """A JSON value with its expressions evaluated (strings only; containers as they are,
        their strings evaluated)."""
        if isinstance(value, str) and not isinstance(value, Partial):
            return self._string(value, depth)
        if isinstance(value, dict):
            return LDict({k: self.value(v, depth) for k, v in value.items()},
                         span=span_of(value))
        if isinstance(value, list):
            return LList([self.value(v, depth) for v in value], span=span_of(value))
        return value

    def _string(self, text: str, depth: int) -> Any:
        span = span_of(text)
        if not (text.startswith("[") and text.endswith("]")) or text.startswith("[["):
            return Str(text[1:], span) if text.startswith("[[") else text
        source = text[1:-1]
        try:
            tokens = _tokens(source)
            value, rest = _Parser(tokens, self, depth, span).expression(0)
            if rest != len(tokens):
                raise _Unread("trailing text")
        except _Unread:
            return Unknown(f"[{source.strip()}]", span)
        if isinstance(value, str) and not isinstance(value, Str):
            value = Str(value, span)
        if isinstance(value, Str) and value.span is None:
            value = Str(str(value), span)
        if isinstance(value, Partial) and value.span is None:
            value = Partial(value.parts, span)
        return value

    def lookup(self, table: str, name: Any, depth: int, span: Span | None) -> Any:
        if not isinstance(name, str) or isinstance(name, Partial):
            raise _Unread("a name not known")
        if depth >= MAX_DEPTH:
            return Unknown(f"{table}('{name}') (nested too deeply)", span)
        key = (table, str(name).lower())
        if key not in self._values:
            self._values[key] = self._lookup(table, str(name), depth, span)
        return self._values[key]

    def _lookup(self, table: str, name: str, depth: int, span: Span | None) -> Any:
        if table == "parameters":
            declared = _named(self.parameters, name)
            if not isinstance(declared, dict) or "defaultValue" not in declared:
                return Unknown(f"parameters('{name}')", span)
            return self.value(declared["defaultValue"], depth + 1)
        if table == "variables":
            if _named(self.variables, name) is _MISSING:
                return Unknown(f"variables('{name}') (not declared)", span)
            return self.value(_named(self.variables, name), depth + 1)
        raise _Unread(table)


_MISSING = object()


def _named(table: dict, name: str) -> Any:
    """ARM names of parameters and variables are case-insensitive."""
    if name in table:
        return table[name]
    lower = name.lower()
    return next((v for k, v in table.items() if isinstance(k, str) and k.lower() == lower),
                _MISSING)


def _tokens(source: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(source):
        if source[pos:].strip() == "":
            break
        found = _TOKEN.match(source, pos)
        if found is None:
            raise _Unread("unexpected character")
        kind = found.lastgroup or "punct"
        tokens.append((kind, found[kind]))
        pos = found.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], template: Template, depth: int,
                 span: Span | None) -> None:
        self.tokens = tokens
        self.template = template
        self.depth = depth
        self.span = span

    def _at(self, index: int) -> tuple[str, str]:
        return self.tokens[index] if index < len(self.tokens) else ("end", "")

    def expression(self, index: int, nesting: int = 0) -> tuple[Any, int]:
        if nesting > MAX_NESTING:
            raise _Unread("nested too deeply")
        kind, text = self._at(index)
        if kind == "string":
            return Str(text[1:-1].replace("''", "'"), self.span), index + 1
        if kind == "number":
            return int(text), index + 1
        if kind != "name" or self._at(index + 1) != ("punct", "("):
            raise _Unread("expected a function call")
        args, index = self._arguments(index + 2, nesting)
        value = self._call(text, args)
        path: list[str] = []
        base = value
        while self._at(index) in (("punct", "."), ("punct", "[")):
            # A property or an element of a call's value: not known here, unless it is one
            # of a resource of the template the reader knows.
            value = Unknown(value.origin if isinstance(value, Unknown) else f"{text}(...)",
                            self.span)
            if self._at(index) == ("punct", "."):
                if self._at(index + 1)[0] != "name":
                    raise _Unread("expected a property name")
                path.append(self._at(index + 1)[1])
                index += 2
            else:
                _, index = self.expression(index + 1, nesting + 1)
                if self._at(index) != ("punct", "]"):
                    raise _Unread("expected ]")
                path.append("[]")
                index += 1
        if path and isinstance(base, ResourceReference) and base.referenced \
                and self.template.properties is not None:
            known = self.template.properties(base.target, path, self.span)
            if known is not None:
                value = known
        return value, index

    def _arguments(self, index: int, nesting: int) -> tuple[list[Any], int]:
        args: list[Any] = []
        if self._at(index) == ("punct", ")"):
            return args, index + 1
        while True:
            value, index = self.expression(index, nesting + 1)
            args.append(value)
            if self._at(index) == ("punct", ")"):
                return args, index + 1
            if self._at(index) != ("punct", ","):
                raise _Unread("expected , or )")
            index += 1

    def _call(self, name: str, args: list[Any]) -> Any:
        function = _FUNCTIONS.get(name.lower())
        if function is None:
            return Unknown(f"{name}(...)", self.span)
        return function(self, args)


def _text(value: Any) -> bool:
    return isinstance(value, (str, Partial, Unknown)) and not isinstance(value, bool)


def _parameters(parser: _Parser, args: list[Any]) -> Any:
    if len(args) != 1:
        raise _Unread("parameters() takes one name")
    return parser.template.lookup("parameters", args[0], parser.depth, parser.span)


def _variables(parser: _Parser, args: list[Any]) -> Any:
    if len(args) != 1:
        raise _Unread("variables() takes one name")
    return parser.template.lookup("variables", args[0], parser.depth, parser.span)


def _concat(parser: _Parser, args: list[Any]) -> Any:
    if not all(_text(a) for a in args):
        return Unknown("concat(...) of other than strings", parser.span)
    return concat(args, parser.span)


def _format(parser: _Parser, args: list[Any]) -> Any:
    if not args or not isinstance(args[0], str) or isinstance(args[0], Partial):
        return Unknown("format(...)", parser.span)
    values = args[1:]
    pieces: list[Any] = []
    position = 0
    template = str(args[0])
    for hole in _FORMAT_HOLE.finditer(template):
        pieces.append(template[position:hole.start()])
        if hole[0] in ("{{", "}}"):
            pieces.append(hole[0][0])
        else:
            index = int(hole[1])
            value = values[index] if index < len(values) else None
            if ":" in hole[0] or not _text(value):
                return Unknown("format(...)", parser.span)
            pieces.append(value)
        position = hole.end()
    pieces.append(template[position:])
    return concat([p for p in pieces if p != ""], parser.span)


def _resource_id(parser: _Parser, args: list[Any]) -> Any:
    """``resourceId([subscription, group,] type, name, ...)``: the type is the first argument
    with a ``/``."""
    kinds = [i for i, a in enumerate(args) if isinstance(a, str) and not isinstance(a, Partial)
             and "/" in a]
    if not kinds:
        return Unknown("resourceId(...)", parser.span)
    target = (str(args[kinds[0]]), *args[kinds[0] + 1:])
    return ResourceReference(f"resourceId({', '.join(map(str, target))})", parser.span,
                             target=target)


def _reference(parser: _Parser, args: list[Any]) -> Any:
    if not args:
        raise _Unread("reference() takes a resource")
    named = args[0]
    if isinstance(named, ResourceReference):
        target = named.target
    elif isinstance(named, str) and not isinstance(named, Partial) and "/" not in named:
        target = (str(named),)  # a symbolic name (language version 2.0)
    else:
        return Unknown("reference(...)", parser.span)
    return ResourceReference(f"reference({named})", parser.span, target=target,
                             referenced=True)


_FUNCTIONS: dict[str, Callable[[_Parser, list[Any]], Any]] = {
    "resourceid": _resource_id,
    "reference": _reference,
    "parameters": _parameters,
    "variables": _variables,
    "concat": _concat,
    "format": _format,
}
