"""YAML and JSON loading that keeps the span of every string, mapping and sequence.

CloudFormation short-form tags (``!Ref``, ``!Sub`` ...) are read with cfn-flip's loader, so
they arrive in their long form (``{"Fn::Sub": ...}``). JSON is read by the same loader: JSON
is YAML once tabs, which JSON only allows as white space, are made spaces. Aliases are shared,
not copied, and the total size they expand to is bounded, so an alias bomb is an error and
not an exhausted machine. Only what aliases and merge keys add counts: a large document
written out in full is bounded by the file size limit, not taken for a bomb.

Merge keys (``<<: *defaults``, ``<<: [*a, *b]``, https://yaml.org/type/merge.html) are applied
here for every caller, since cfn-flip's mapping constructor does not: keys written in the
mapping win over merged ones, and an earlier merged mapping over a later one. The merged keys
and values are the nodes where they were written, so they keep those spans. Each key is merged
once (a chain of merges naming the same mapping many times cannot grow exponentially), and
merged entries count against the same budget as aliases.

Which type a plain (unquoted) scalar has depends on who reads the file, so the caller names
its reader's schema (``SCHEMAS``); the same resolution runs in both loaders, libyaml's and
PyYAML's own, since both ask the resolver here.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

import yaml
from cfn_tools.yaml_loader import CfnYamlLoader

from oidclint.source import MAX_NUMBER_DIGITS, LDict, LList, Span, Str, integer_literal

MAX_EXPANDED_NODES = 500_000
"""How many nodes the aliases and merge keys of a file may add, counted at every use (the
nodes written in the file do not count)."""
MAX_FILE_NODES = 1_000_000
"""How many nodes (scalars, mappings, sequences) a file may hold: each takes some 450 bytes
while it is read, so a 5 MiB file of ``[a,a,a,...]`` stays well under a gigabyte."""

_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_CORE_INT_TAG = "tag:oidclint,2025:core-int"
"""A YAML 1.2 core integer: ``0755`` is decimal there, ``0o755`` octal (YAML 1.1, and so
PyYAML's own constructor, reads both otherwise)."""

YAML_1_1 = "yaml-1.1"
"""PyYAML's reading, YAML 1.1: ``yes``/``on`` are booleans, ``0755`` octal, ``1:30`` the
number 90, ``2012-10-17`` a date. Kubernetes (go-yaml) and GitLab (Ruby's Psych) read YAML
1.1 too."""
CLOUDFORMATION = "cloudformation"
"""YAML 1.1 without the timestamp type: CloudFormation "supports the YAML Version 1.1
specification" except "the binary, omap, pairs, set, and timestamp tags", so an unquoted
``Version: 2012-10-17`` is the string it passes to IAM; the other implicit types (booleans,
octal and sexagesimal integers, ``.inf``) are read as YAML 1.1 reads them.
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-formats.html
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/format-version-structure.html
(``AWSTemplateFormatVersion: 2010-09-09`` unquoted in AWS's own example)."""
YAML_1_2_CORE = "yaml-1.2-core"
"""The YAML 1.2 core schema: only ``true``/``false`` (three spellings), ``null``/``~``/empty,
decimal, ``0o`` and ``0x`` integers and decimal floats with ``.inf``/``.nan`` are not
strings; ``on``, ``yes``, ``2012-10-17`` and ``1:30`` are strings. GitHub Actions reads
workflows so (the runner's ``YamlObjectReader``: "determine type using YAML 1.2 core schema",
https://github.com/actions/runner/blob/main/src/Sdk/DTPipelines/Pipelines/ObjectTemplating/YamlObjectReader.cs)."""
SCHEMAS = (YAML_1_1, CLOUDFORMATION, YAML_1_2_CORE)

# https://yaml.org/spec/1.2.2/#1032-tag-resolution
_CORE_NULL = re.compile(r"(?:~|null|Null|NULL|)")
_CORE_BOOL = re.compile(r"(?:true|True|TRUE|false|False|FALSE)")
_CORE_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_CORE_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                         r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")


def _core_tag(value: str) -> str:
    """The tag the YAML 1.2 core schema gives a plain scalar."""
    if _CORE_NULL.fullmatch(value):
        return "tag:yaml.org,2002:null"
    if _CORE_BOOL.fullmatch(value):
        return "tag:yaml.org,2002:bool"
    if _CORE_INT.fullmatch(value):
        return _CORE_INT_TAG
    if _CORE_FLOAT.fullmatch(value):
        return "tag:yaml.org,2002:float"
    return _STR_TAG


def _core_int(loader: yaml.constructor.SafeConstructor, node: yaml.ScalarNode) -> int:
    text = loader.construct_scalar(node)
    if len(text) > MAX_NUMBER_DIGITS:
        raise yaml.constructor.ConstructorError(
            None, None, f"a number with more than {MAX_NUMBER_DIGITS:,} digits", node.start_mark)
    if text.startswith(("0o", "0x")):
        return int(text[2:], 8 if text[1] == "o" else 16)
    return int(text, 10)


class LoadError(ValueError):
    """A file that is not valid YAML/JSON; the message says where and why."""


class NodeLimitError(LoadError):
    """A file with more values than the scan reads (``MAX_FILE_NODES``)."""

    limit: int = MAX_FILE_NODES
    documents: list[Any]
    """The documents before the one the limit stopped, read in full."""
    truncated: Any = None
    """The document the limit stopped, cut where it was, when that was in a list that is the
    value of a top-level key (the ``items`` of a Kubernetes ``List``): the top-level entries
    before it and the list's items read in full, located. ``None`` otherwise."""


class _LocatedLoader(CfnYamlLoader):
    def __init__(self, stream: str, path: str, json_scalars: bool,
                 schema: str = YAML_1_1, lines: int = 0) -> None:
        super().__init__(stream)
        self._start(path, json_scalars, schema, lines)

    def _start(self, path: str, json_scalars: bool, schema: str = YAML_1_1,
               lines: int = 0) -> None:
        self._path = path
        self._lines = lines
        """Lines of the file before the text read (one document of several)."""
        self._json_scalars = json_scalars
        self._schema = schema
        self._located: dict[yaml.Node, Any] = {}
        self._sizes: dict[yaml.Node, int] = {}
        self._sizing: set[yaml.Node] = set()
        self._flattened: set[yaml.Node] = set()
        self._flattening: set[yaml.Node] = set()
        self._expanded = 0
        self._composed = 0
        self._parents: list[tuple[Any, Any]] = []

    # Called around every node as it is composed (by libyaml's composer too), with the node
    # it goes into and its index or key there: the count stops a file before its nodes fill
    # the memory, and the parents say where it stopped.
    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        self._composed += 1
        self._parents.append((current_node, current_index))
        if self._composed > MAX_FILE_NODES:
            error = NodeLimitError(f"more than {MAX_FILE_NODES:,} values (the limit of the "
                                   "scan); not read")
            error.limit = MAX_FILE_NODES
            raise error
        super().descend_resolver(current_node, current_index)

    def ascend_resolver(self) -> None:
        self._parents.pop()
        super().ascend_resolver()

    def truncated_document(self) -> Any:
        """``NodeLimitError.truncated``: the document composed so far, when the limit met it
        inside a list under a top-level key (libyaml fills a node's list of children as it
        composes them, so the nodes read in full are there)."""
        if len(self._parents) < 3 or self._parents[0][0] is not None:
            return None
        (root, key), (sequence, _) = self._parents[1], self._parents[2]
        if not isinstance(root, yaml.MappingNode) or key is None \
                or not isinstance(sequence, yaml.SequenceNode):
            return None
        end = sequence.value[-1].end_mark if sequence.value else sequence.start_mark
        try:
            document = self.construct_document(
                yaml.MappingNode(root.tag, list(root.value), root.start_mark, end))
            name = self.construct_object(key, deep=True)
        except (yaml.YAMLError, LoadError, RecursionError):
            return None
        items = LList(span=Span(self._path, sequence.start_mark.line + 1,
                                sequence.start_mark.column + 1, end.line + 1, end.column + 1))
        for node in sequence.value:  # as many as the other limits let through
            try:
                items.append(self.construct_object(node, deep=True))
            except (yaml.YAMLError, LoadError, RecursionError):
                break
        if not isinstance(document, dict) or not isinstance(name, str):
            return None
        document[name] = items
        return document

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        """The tag of a node without one: a plain scalar's by the reader's schema."""
        tag = super().resolve(kind, value, implicit)
        if kind is not yaml.ScalarNode or not implicit[0] or self._schema == YAML_1_1:
            return tag
        if self._schema == YAML_1_2_CORE:
            return _core_tag(value)
        return _STR_TAG if tag == _TIMESTAMP_TAG else tag

    def restart(self) -> None:
        """Ready for the next document after one that could not be built (the state
        PyYAML's constructor leaves behind when it raises)."""
        self.constructed_objects = {}
        self.recursive_objects = {}
        self.state_generators = []
        self.deep_construct = False
        self._flattening.clear()
        self._sizing.clear()

    def _spend(self, count: int) -> None:
        self._expanded += count
        if self._expanded > MAX_EXPANDED_NODES:
            raise LoadError(f"aliases and merge keys expand to more than "
                            f"{MAX_EXPANDED_NODES:,} nodes (an alias bomb?)")

    def _flatten(self, node: yaml.MappingNode) -> None:
        """Applies the merge keys of ``node`` in place: merged entries first, deduplicated
        (explicit keys win, then earlier sources), then the mapping's own entries."""
        if node in self._flattened:
            return
        if node in self._flattening:
            raise yaml.constructor.ConstructorError(
                None, None, "a merge key (<<) merges the mapping it is in", node.start_mark)
        self._flattening.add(node)
        own = [(key, value) for key, value in node.value if key.tag != _MERGE_TAG]
        _refuse_complex_keys(own)
        _refuse_duplicates(own)
        seen = {_identity(key) for key, _ in own}
        kept = []
        for key, value in node.value:
            if key.tag != _MERGE_TAG:
                continue
            for source in value.value if isinstance(value, yaml.SequenceNode) else [value]:
                if not isinstance(source, yaml.MappingNode):
                    raise yaml.constructor.ConstructorError(
                        "while applying a merge key (<<)", key.start_mark,
                        f"expected a mapping or a list of mappings, found {source.id}",
                        source.start_mark)
                self._flatten(source)
                # Every entry merged is paid for, kept or not (a mapping merged a million
                # times is work even when deduplicated); what a kept one holds is paid for
                # when it is built, as an alias is.
                self._spend(len(source.value))
                for entry in source.value:
                    if _identity(entry[0]) not in seen:
                        seen.add(_identity(entry[0]))
                        kept.append(entry)
        node.value = kept + own
        self._flattening.discard(node)
        self._flattened.add(node)

    def _size(self, node: yaml.Node) -> int:
        size = self._sizes.get(node)
        if size is None:
            if node in self._sizing:  # holds itself: no size, and nothing can be built
                raise yaml.constructor.ConstructorError(
                    None, None, "found unconstructable recursive node", node.start_mark)
            self._sizing.add(node)
            size = 1
            if isinstance(node, yaml.SequenceNode):
                size += sum(self._size(child) for child in node.value)
            elif isinstance(node, yaml.MappingNode):
                size += sum(self._size(k) + self._size(v) for k, v in node.value)
            self._sizing.discard(node)
            self._sizes[node] = size
        return size

    def _span(self, node: yaml.Node) -> Span:
        start, end = node.start_mark, node.end_mark
        return Span(self._path, start.line + 1 + self._lines, start.column + 1,
                    end.line + 1 + self._lines, end.column + 1)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node in self._located:  # an alias: the node again, with all it holds
            self._spend(self._size(node))
            return self._located[node]
        if isinstance(node, yaml.MappingNode):
            self._flatten(node)
        try:
            data = super().construct_object(node, deep=True)
        except LoadError:
            raise
        except (TypeError, ValueError, AttributeError):
            # A tag's constructor given a value of a shape it does not take (``!GetAtt`` with
            # a mapping): said where, in the user's terms.
            what = f"`{node.tag}` cannot take this value" if node.tag.startswith("!") \
                else "a value that cannot be read"
            raise yaml.constructor.ConstructorError(None, None, what, node.start_mark) from None
        data = self._locate(data, node)
        self._located[node] = data
        return data

    def _locate(self, data: Any, node: yaml.Node) -> Any:
        span = self._span(node)
        if node.tag.startswith("!") and isinstance(data, dict) and len(data) == 1:
            # A short-form intrinsic: cfn-flip built {"Fn::Sub": value} without our spans.
            (name, inner), = data.items()
            if isinstance(inner, list) and not isinstance(inner, LList):
                inner = LList([v if hasattr(v, "span") or not isinstance(v, str)
                               else Str(v, span) for v in inner], span=span)
            elif isinstance(inner, str) and not isinstance(inner, Str):
                inner = Str(inner, span)
            elif isinstance(inner, dict) and not isinstance(inner, LDict):
                inner = LDict(inner, span=span)
            return LDict({Str(name, span): inner}, span=span)
        if isinstance(data, str):
            if self._json_scalars and isinstance(node, yaml.ScalarNode) and node.style is None:
                return _json_scalar(data, span)
            return Str(data, span)
        if isinstance(data, dict):
            return LDict(data, span=span)
        if isinstance(data, list):
            return LList(data, span=span)
        return data


_LocatedLoader.add_constructor(_CORE_INT_TAG, _core_int)


def _construct_integer(loader: _LocatedLoader, node: yaml.ScalarNode) -> int:
    """YAML integers, a number too long to convert said as such (Python's own message
    names a function of its interpreter)."""
    if len(node.value) > MAX_NUMBER_DIGITS:
        raise yaml.constructor.ConstructorError(
            None, None, f"a number with more than {MAX_NUMBER_DIGITS:,} digits", node.start_mark)
    return yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)


_LocatedLoader.add_constructor("tag:yaml.org,2002:int", _construct_integer)


if getattr(yaml, "__with_libyaml__", False):
    from yaml.cyaml import CParser

    class _FastLocatedLoader(CParser, _LocatedLoader):
        """The same loader with libyaml's scanner, parser and composer (PyYAML's C
        extension), several times faster than PyYAML's own: nodes carry the same marks, and
        libyaml refuses documents nested more than 1,000 levels deep."""

        def __init__(self, stream: str, path: str, json_scalars: bool,
                     schema: str = YAML_1_1, lines: int = 0) -> None:
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self._start(path, json_scalars, schema, lines)

    _LOADER: type[_LocatedLoader] = _FastLocatedLoader
else:  # a PyYAML built without libyaml
    _LOADER = _LocatedLoader


def _refuse_duplicates(entries: list[tuple[yaml.Node, yaml.Node]]) -> None:
    """A key written twice in one mapping is an error, not last-wins: a second ``Condition``
    would silently drop the first one's restrictions. GitHub Actions and CloudFormation reject
    such files too. (A key given again over a merged one, ``<<: *defaults``, is an override.)"""
    first: dict[object, yaml.Node] = {}
    for key, _ in entries:
        earlier = first.setdefault(_identity(key), key)
        if earlier is not key:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", earlier.start_mark,
                f"duplicate key `{key.value}` (first on line {earlier.start_mark.line + 1})",
                key.start_mark)


def _refuse_complex_keys(entries: list[tuple[yaml.Node, yaml.Node]]) -> None:
    """A key that is a list, a mapping or a tagged value (``? [a] : b``, ``!Ref x: y``):
    YAML allows it, no file oidclint reads uses it, and it cannot be a key of a value."""
    for key, _ in entries:
        if not isinstance(key, yaml.ScalarNode) or key.tag.startswith("!"):
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", None,
                "a key that is a list, a mapping or a tagged value is not supported",
                key.start_mark)


def _identity(key: yaml.Node) -> object:
    """What makes two keys the same key: a scalar's tag and text, any other node itself."""
    return (key.tag, key.value) if isinstance(key, yaml.ScalarNode) else key


def _json_scalar(text: str, span: Span) -> Any:
    """A plain (unquoted) JSON scalar: a number, true, false or null."""
    try:
        return json.loads(text, parse_int=integer_literal)
    except ValueError:
        return Str(text, span)


def load_documents(text: str, path: str, *, json_mode: bool = False,
                   schema: str = YAML_1_1,
                   errors: list[LoadError] | None = None,
                   wanted: Callable[[yaml.Node], bool] | None = None,
                   lines: int = 0) -> list[Any]:
    """Every document of a YAML (or JSON) text, located, its plain scalars typed as the
    ``schema`` (one of ``SCHEMAS``) says. Raises ``LoadError``; with an ``errors`` list, a
    document that parses but cannot be built (an alias bomb, a duplicate key) is left out and
    its error added there, and the documents after it are still read. A document whose parsed
    node ``wanted`` refuses is not built at all (building is most of the work: a ConfigMap of
    260,000 keys next to the one ServiceAccount a reader wants). ``lines``: the lines of the
    file before ``text`` (one of its ``documents``)."""
    if schema not in SCHEMAS:
        raise ValueError(f"unknown YAML schema {schema!r}")
    if json_mode:
        text = text.replace("\t", " ")
    # A control character is refused before any parsing, as PyYAML's reader does (libyaml
    # would say where in bytes, not characters).
    if (bad := yaml.reader.Reader.NON_PRINTABLE.search(text)) is not None:
        line = text.count("\n", 0, bad.start()) + 1 + lines
        column = bad.start() - text.rfind("\n", 0, bad.start())
        raise LoadError(f"line {line}, column {column}: character #x{ord(bad.group()[0]):04x} "
                        "is not allowed in YAML")
    loader = _LOADER(text, path, json_mode, schema, lines)
    try:
        documents = []
        while loader.check_node():
            node = loader.get_node()
            if wanted is not None and not wanted(node):
                continue
            try:
                documents.append(loader.construct_document(node))
            except Exception as exc:  # noqa: BLE001 - what cannot be built is a LoadError
                if errors is None:
                    raise
                errors.append(_load_error(exc, lines))
                loader.restart()
        return documents
    except NodeLimitError as exc:
        exc.documents = documents
        exc.truncated = loader.truncated_document()
        raise
    except Exception as exc:  # noqa: BLE001 - what cannot be read is a LoadError
        raise _load_error(exc, lines) from None
    finally:
        loader.dispose()


_DOCUMENT_START = re.compile(r"^---(?=[ \t\r\n]|$)", re.M)


def documents(text: str) -> list[tuple[int, str]]:
    """The documents of a YAML stream as texts, each with the lines before it, split where a
    line starts with ``---``. A line that starts so always starts a document, inside a block
    or quoted scalar too (https://yaml.org/spec/1.2.2/#912-document-markers), so each piece
    parses as the stream would; the directives just above a marker go with it."""
    starts = [0]
    for match in _DOCUMENT_START.finditer(text):
        start = line = match.start()
        while line > 0:  # directives (%YAML, %TAG) just above, comments among them
            line = text.rfind("\n", 0, line - 1) + 1
            if text.startswith("%", line):
                start = line
            elif not text.startswith("#", line):
                break
        if start > starts[-1]:
            starts.append(start)
    pieces, lines, counted = [], 0, 0
    for begin, end in zip(starts, starts[1:] + [len(text)]):
        lines += text.count("\n", counted, begin)
        counted = begin
        pieces.append((lines, text[begin:end]))
    return pieces


def _load_error(exc: Exception, lines: int = 0) -> LoadError:
    if isinstance(exc, LoadError):
        return exc
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1 + lines}, column {mark.column + 1}: " if mark else ""
        return LoadError(f"{where}{exc.problem or exc.context}")
    if isinstance(exc, yaml.YAMLError):
        return LoadError(str(exc))
    if isinstance(exc, RecursionError):
        return LoadError("nested too deeply to read")
    return LoadError(f"cannot read the document: {exc}")  # unhashable keys, odd tag values


def load_json(text: str, path: str, line_offset: int = 0) -> Any:
    """One JSON document, located; ``line_offset`` shifts lines (JSON inside a heredoc)."""
    docs = load_documents(text, path, json_mode=True)
    if len(docs) != 1:
        raise LoadError("expected one JSON document")
    value = docs[0]
    return shift_lines(value, line_offset) if line_offset else value


def shift_lines(value: Any, offset: int) -> Any:
    """The same value with every span moved down by ``offset`` lines."""
    def move(span: Span | None) -> Span | None:
        if span is None:
            return None
        return Span(span.path, span.line + offset, span.column, span.end_line + offset,
                    span.end_column)

    if isinstance(value, Str):
        return Str(str(value), move(value.span), value.ref)
    if isinstance(value, dict):
        return LDict({shift_lines(k, offset): shift_lines(v, offset) for k, v in value.items()},
                     span=move(getattr(value, "span", None)))
    if isinstance(value, list):
        return LList([shift_lines(v, offset) for v in value], span=move(getattr(value, "span", None)))
    return value
