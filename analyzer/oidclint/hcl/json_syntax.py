"""Terraform's JSON syntax (``.tf.json``) read as the blocks and attributes of ``syntax``.

The mapping follows https://developer.hashicorp.com/terraform/language/syntax/json and HCL's
JSON specification (https://github.com/hashicorp/hcl/blob/main/json/spec.md):

- the root object's properties are top-level block types; each label is one more level of
  nested object (or array of objects), then the body is an object, or an array of objects for
  several blocks with the same labels;
- a body's properties are arguments or nested block types; which is which depends on the
  schema, so nested blocks are recognised by name (``_RESOURCE_BLOCKS``) when their value is
  an object or an array of objects;
- ``"//"`` properties of bodies are comments;
- a string is a template (``"${var.x}"``, and a lone interpolation keeps its type), except
  where Terraform takes it literally (``variable`` ``default``, ``module`` ``source`` ...) or
  as a reference (``depends_on``, ``provider``, a dynamic block's ``iterator``).

Each argument's JSON value is written out as the equivalent HCL expression and parsed with
``syntax.parse_expression``; every position of that tree is then moved to the JSON character
it came from, so the evaluator sees an ordinary expression whose spans point into the JSON
file. Positions come from PyYAML's composer (JSON is YAML), after Python's strict JSON parser
has accepted the text, so a file Terraform rejects is never read half-way.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterator

import yaml
from lark import Token, Tree

from oidclint.hcl.syntax import Attribute, Block, parse_expression
from oidclint.hcl.template import closing_brace
from oidclint.located.json_text import json_nesting
from oidclint.source import Span, integer_literal, long_number_offset

MAX_NESTING = 200
"""JSON nested deeper than this is refused before anything recursive reads it."""

_LABELS = {"resource": 2, "data": 2, "module": 1, "variable": 1, "output": 1, "provider": 1,
           "check": 1, "locals": 0, "terraform": 0, "moved": 0, "import": 0, "removed": 0}
"""Top-level block types and how many labels each takes."""

_RESOURCE_BLOCKS = {"statement": 0, "condition": 0, "principals": 0, "not_principals": 0,
                    "inline_policy": 0, "metadata": 0, "identity": 0, "oidc": 0,
                    "dynamic": 1, "content": 0, "lifecycle": 0}
"""Nested block types of the resources and data sources oidclint reads (everything else in
their bodies is an argument), with their label counts."""

_NESTED = {"resource": _RESOURCE_BLOCKS, "data": _RESOURCE_BLOCKS, "variable": {"validation": 0}}

_LITERAL = {"variable": {"default", "description"}, "output": {"description"},
            "module": {"source", "version", "providers"}, "provider": {"alias", "version"}}
"""Arguments whose strings are not templates ("Block-type-specific Exceptions")."""

_REFERENCE = {"variable": {"type"}, "resource": {"provider", "depends_on"},
              "data": {"provider", "depends_on"}, "module": {"depends_on"},
              "output": {"depends_on"}, "dynamic": {"iterator"},
              "lifecycle": {"ignore_changes", "replace_triggered_by"}}
"""Arguments whose strings hold an expression (a reference, a type), not a template."""

_JSON_CHARACTER = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}|\\.|.",
    re.S)
_HCL_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


class JsonSyntaxError(ValueError):
    """The file is not JSON, or not Terraform's JSON structure; ``line``/``column`` say where."""

    def __init__(self, reason: str, line: int, column: int) -> None:
        super().__init__(f"line {line}, column {column}: {reason}")
        self.reason = reason
        self.line = line
        self.column = column


def decoded_characters(token: str) -> list[tuple[str, int, int]]:
    """The characters of a JSON string token (quotes included), each with the offsets of the
    text that wrote it (``\\u00e9`` is one character written with six)."""
    found = []
    for match in _JSON_CHARACTER.finditer(token, 1, len(token) - 1):
        text = match.group()
        character = json.loads(f'"{text}"') if text.startswith("\\") else text
        found.append((character, match.start(), match.end()))
    return found


class JsonText:
    """A JSON file's text: offsets to and from 1-based lines and columns."""

    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.line_starts, offset) - 1
        return line + 1, offset - self.line_starts[line] + 1

    def offset(self, line: int, column: int) -> int:
        return self.line_starts[min(line, len(self.line_starts)) - 1] + column - 1

    def span(self, start: int, end: int) -> Span:
        return Span(self.path, *self.position(start), *self.position(end))

    def error(self, reason: str, offset: int) -> JsonSyntaxError:
        return JsonSyntaxError(reason, *self.position(offset))


def parse_json_file(text: str, path: str) -> list[Block]:
    """The top-level blocks of a ``.tf.json`` file; raises ``JsonSyntaxError``."""
    source = JsonText(text, path)
    root = compose_json(source)
    if not isinstance(root, yaml.MappingNode):
        raise source.error("the root of a Terraform JSON file must be an object",
                           root.start_mark.index if root is not None else 0)
    blocks: list[Block] = []
    for key, value in root.value:
        kind = _name(source, key)
        if kind in _LABELS:
            blocks.extend(_blocks(source, kind, key, value, _LABELS[kind], [], kind))
    pending = list(blocks)
    while pending:  # every string parsed now: a bad one is an error of the file, not later
        pending.extend(pending.pop().blocks)
    return blocks


def compose_json(source: JsonText) -> yaml.Node | None:
    """The located node tree of strict JSON (duplicate property names kept, in order)."""
    try:
        json.loads(source.text, parse_constant=_reject_constant, parse_int=integer_literal)
    except json.JSONDecodeError as exc:
        raise JsonSyntaxError(exc.msg, exc.lineno, exc.colno) from None
    except ValueError as exc:
        offset = long_number_offset(source.text) if "digits" in str(exc) else 0
        line = source.text.count("\n", 0, offset) + 1
        raise JsonSyntaxError(str(exc), line, offset - source.text.rfind("\n", 0, offset)) \
            from None
    except RecursionError:
        raise JsonSyntaxError("nested too deeply to read", 1, 1) from None
    if json_nesting(source.text) > MAX_NESTING:
        raise JsonSyntaxError(f"nested more than {MAX_NESTING} levels deep", 1, 1)
    try:
        # Tabs are JSON white space but not always YAML's; the offsets stay the same.
        return yaml.compose(source.text.replace("\t", " "), Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:  # valid JSON PyYAML cannot place (a key over 1024 chars)
        mark = exc.problem_mark or exc.context_mark
        raise JsonSyntaxError(f"cannot locate the JSON: {exc.problem or exc.context}",
                              mark.line + 1 if mark else 1, mark.column + 1 if mark else 1
                              ) from None


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _name(source: JsonText, key: yaml.Node) -> str:
    return "".join(c for c, _, _ in decoded_characters(_raw(source, key)))


def _raw(source: JsonText, node: yaml.Node) -> str:
    return source.text[node.start_mark.index:node.end_mark.index]


# --- blocks -------------------------------------------------------------------------------


def _blocks(source: JsonText, kind: str, key: yaml.Node, value: yaml.Node, labels: int,
            found: list[str], schema: str) -> Iterator[Block]:
    """The blocks one property defines: ``labels`` more levels of label objects, then bodies."""
    for element in _objects(source, value, kind):
        if labels == len(found):
            # A single body spans from its (last) label; one of an array, from its brace.
            start = key.start_mark.index if element is value else element.start_mark.index
            yield JsonBlock(type=kind, labels=list(found), path=source.path,
                            span=source.span(start, element.end_mark.index),
                            body=None, source=source, node=element,
                            header=source.span(key.start_mark.index, key.end_mark.index),
                            schema=schema)
            continue
        for label_key, inner in element.value:
            label = _name(source, label_key)
            if label != "//":
                yield from _blocks(source, kind, label_key, inner, labels, [*found, label],
                                   schema)


def _objects(source: JsonText, value: yaml.Node, kind: str) -> list[yaml.MappingNode]:
    """A body or label level: one object, or an array of objects."""
    items = value.value if isinstance(value, yaml.SequenceNode) else [value]
    for item in items:
        if not isinstance(item, yaml.MappingNode):
            raise source.error(f"a {kind} block must be given as an object or an array of "
                               "objects", item.start_mark.index)
    return items


def _is_block_value(value: yaml.Node) -> bool:
    return isinstance(value, yaml.MappingNode) or (
        isinstance(value, yaml.SequenceNode)
        and all(isinstance(v, yaml.MappingNode) for v in value.value))


@dataclass(eq=False)
class JsonBlock(Block):
    """A block written in JSON; ``parse_json_file`` reads the contents of every one."""

    source: JsonText | None = field(default=None, repr=False)
    node: yaml.MappingNode | None = field(default=None, repr=False)
    header: Span | None = None
    schema: str = ""
    """The top-level block type whose nested block names apply in this body."""

    @cached_property
    def _contents(self) -> tuple[dict[str, Attribute], list[Block]]:
        attributes: dict[str, Attribute] = {}
        blocks: list[Block] = []
        nested = _NESTED.get(self.schema, {})
        for key, value in self.node.value:
            name = _name(self.source, key)
            if name == "//":
                continue
            labels = nested.get(name)
            if labels is not None and _is_block_value(value):
                # Resources nest their blocks freely; a variable's validation nests none.
                schema = self.schema if self.schema in ("resource", "data") else name
                blocks.extend(_blocks(self.source, name, key, value, labels, [], schema))
            elif name not in attributes:
                attributes[name] = _attribute(self.source, name, key, value,
                                              _mode(self.type, name))
        return attributes, blocks

    @property
    def header_span(self) -> Span:
        return self.header or self.span


def _mode(block_type: str, name: str) -> str:
    if block_type == "terraform" or name in _LITERAL.get(block_type, ()):
        return "literal"
    if name in _REFERENCE.get(block_type, ()):
        return "reference"
    return "template"


# --- expressions --------------------------------------------------------------------------


def _attribute(source: JsonText, name: str, key: yaml.Node, value: yaml.Node,
               mode: str) -> Attribute:
    return Attribute(name, json_expression(source, value, mode), source.path,
                     source.span(key.start_mark.index, value.end_mark.index))


def json_expression(source: JsonText, node: yaml.Node, mode: str = "template") -> Tree:
    """The HCL expression tree a JSON value stands for, positioned in the JSON file.

    ``mode`` says how strings read: ``template`` (the default), ``literal`` or ``reference``
    (the string's content is an expression).
    """
    writer = _HclWriter(source)
    writer.value(node, mode)
    try:
        tree = parse_expression(writer.text(), 1, 1)
    except Exception as exc:  # noqa: BLE001 - Lark reports its own exception kinds
        raise source.error(f"invalid expression in a string ({type(exc).__name__})",
                           node.start_mark.index) from None
    writer.relocate(tree)
    return tree


class _HclWriter:
    """HCL expression text, each character remembering the JSON text that wrote it."""

    def __init__(self, source: JsonText) -> None:
        self.source = source
        self.characters: list[str] = []
        self.starts: list[int] = []
        self.ends: list[int] = []

    def write(self, text: str, start: int, end: int) -> None:
        for character in text:
            self.characters.append(character)
            self.starts.append(start)
            self.ends.append(end)

    def copy(self, start: int, end: int) -> None:
        """JSON text that is HCL as it is (numbers, ``true``, ``null``)."""
        for offset in range(start, end):
            self.write(self.source.text[offset], offset, offset + 1)

    def text(self) -> str:
        return "".join(self.characters)

    def value(self, node: yaml.Node, mode: str) -> None:
        start, end = node.start_mark.index, node.end_mark.index
        if isinstance(node, yaml.MappingNode):
            self.write("{", start, start + 1)
            for index, (key, item) in enumerate(node.value):
                if index:
                    self.write(", ", key.start_mark.index, key.start_mark.index)
                # Property names are templates too (HCL JSON spec, "Objects").
                self.string(key, "literal" if mode == "literal" else "template")
                self.write(" = ", item.start_mark.index, item.start_mark.index)
                self.value(item, mode)
            self.write("}", end - 1, end)
        elif isinstance(node, yaml.SequenceNode):
            self.write("[", start, start + 1)
            for index, item in enumerate(node.value):
                if index:
                    self.write(", ", item.start_mark.index, item.start_mark.index)
                self.value(item, mode)
            self.write("]", end - 1, end)
        elif node.style == '"':
            self.string(node, mode)
        else:
            self.copy(start, end)

    def string(self, node: yaml.Node, mode: str) -> None:
        base = node.start_mark.index
        characters = [(c, base + s, base + e) for c, s, e in
                      decoded_characters(_raw(self.source, node))]
        if mode == "reference":
            for character, start, end in characters:
                self.write(character, start, end)
            return
        decoded = "".join(c for c, _, _ in characters)
        self.write('"', base, base + 1)
        index = 0
        while index < len(characters):
            character, start, end = characters[index]
            opening = decoded.startswith(("${", "%{"), index)
            if mode == "template" and decoded.startswith(("$${", "%%{"), index):
                stop = index + 3
            elif mode == "template" and opening:
                close = closing_brace(decoded, index + 2)
                if close is None:
                    raise self.source.error("unterminated template sequence", start)
                stop = close + 1
            else:
                # A literal ${ is written $${ (and %{ as %%{) so HCL keeps it as text.
                escaped = character * 2 if opening else _HCL_ESCAPES.get(character) or (
                    f"\\u{ord(character):04x}" if ord(character) < 0x20 else character)
                self.write(escaped, start, end)
                index += 1
                continue
            for piece, piece_start, piece_end in characters[index:stop]:
                self.write(piece, piece_start, piece_end)
            index = stop
        end = node.end_mark.index
        self.write('"', end - 1, end)

    def relocate(self, tree: Tree) -> None:
        """Every position of a tree parsed from ``text()`` moved to the JSON it came from."""
        line_starts = [0] + [i + 1 for i, c in enumerate(self.characters) if c == "\n"]

        def moved(line: int, column: int, is_end: bool) -> tuple[int, int]:
            offset = line_starts[min(line, len(line_starts)) - 1] + column - 1
            offset = max(0, min(offset, len(self.characters)))
            if is_end:
                source = self.ends[offset - 1] if offset else self.starts[0]
            else:
                source = self.starts[offset] if offset < len(self.starts) else self.ends[-1]
            return self.source.position(source)

        for subtree in tree.iter_subtrees():  # subtrees are placed by their tokens
            for child in subtree.children:
                if isinstance(child, Token) and child.line is not None:
                    child.line, child.column = moved(child.line, child.column, False)
                    child.end_line, child.end_column = moved(child.end_line, child.end_column,
                                                             True)
