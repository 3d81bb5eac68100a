"""What the readers of CircleCI, Buildkite and Bitbucket Pipelines configurations share:
loading the file with its problems reported, notes on fields of the wrong type (the job is
read around them), ``$NAME`` references the file does not give a value, and the subjects
their tokens carry, built from known text and the pieces the file cannot tell.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from oidclint.located.documents import LoadError, load_documents
from oidclint.model import Diagnostic, Inventory, Level
from oidclint.source import LDict, Pieces, SourceFile, Span, Str, Text, Unknown, concat, span_of

_SYNTAX_POSITION = re.compile(r"^line (\d+), column (\d+): ")
_VARIABLE = re.compile(r"\$\$|\$\{(\w+)\}|\$(\w+)")
_SECONDS = re.compile(r"^\s*([0-9]{1,9})\s*$")


def load_mapping(file: SourceFile, inventory: Inventory, what: str,
                 lists: bool = False) -> Any:
    """The file's first YAML document when it is a mapping (or, with ``lists``, a list);
    otherwise ``None``, with a diagnostic naming the file (a syntax error, or a top level of
    another type)."""
    try:
        documents = load_documents(file.text, file.path)
    except LoadError as exc:
        position = _SYNTAX_POSITION.match(str(exc))
        span = Span(file.path, int(position[1]), int(position[2])) if position else None
        inventory.diagnostics.append(Diagnostic(file.path, f"YAML syntax error: {exc}",
                                                span=span))
        return None
    content = documents[0] if documents else None
    if content is None:
        return None
    if lists and isinstance(content, list):
        return content
    if not isinstance(content, dict):
        inventory.diagnostics.append(Diagnostic(
            file.path, f"the {what} is not a mapping{' or a list' if lists else ''}; not read",
            Level.WARNING, span_of(content)))
        return None
    return content if isinstance(content, LDict) else LDict(content)


_NOUNS = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean",
          int: "a number"}


class Notes:
    """Notes on values of the wrong type, each once, pointing at the value."""

    def __init__(self, path: str, inventory: Inventory) -> None:
        self.path = path
        self.inventory = inventory

    def add(self, span: Span | None, message: str, level: Level = Level.NOTE) -> None:
        diagnostic = Diagnostic(span.path if span else self.path, message, level, span)
        if diagnostic not in self.inventory.diagnostics:  # a step reached through two anchors
            self.inventory.diagnostics.append(diagnostic)

    def wrong(self, value: Any, expected: tuple[type, ...], field: str, within: Any) -> bool:
        """Whether ``value`` is present and none of ``expected`` (noted, with the field)."""
        if value is None or isinstance(value, expected) and not (
                isinstance(value, bool) and bool not in expected):
            return False
        self.add(span_of(value) or span_of(within),
                 f"{field} is not {' or '.join(_NOUNS[t] for t in expected)}; not read")
        return True


def expand(text: Str, variables: dict[str, Any], origin: Callable[[str], str]) -> Text:
    """``$NAME`` and ``${NAME}`` replaced by the values ``variables`` gives (located where
    they are written), the others ``Unknown`` with ``origin(NAME)``; ``$$`` is a ``$``."""
    whole = _VARIABLE.fullmatch(text.strip())
    name = whole and (whole[1] or whole[2])
    if name and isinstance(variables.get(name), str):
        return variables[name]
    pieces = Pieces("expanding variables")
    position = 0
    for match in _VARIABLE.finditer(text):
        pieces.add(text[position:match.start()])
        position = match.end()
        name = match[1] or match[2]
        value = variables.get(name) if name else None
        if match[0] == "$$":
            pieces.add("$")
        elif isinstance(value, str) and "$" not in value:
            pieces.add(value)
        else:
            pieces.add(Unknown(origin(name), text.span))
    pieces.add(text[position:])
    return concat([p for p in pieces if p != ""], text.span, what="expanding variables")


def seconds(value: Any, what: str) -> int | Unknown | None:
    """A session duration written as a whole number of seconds (or a string of one)."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = _SECONDS.match(value) if isinstance(value, str) else None
    return int(match[1]) if match else Unknown(f"{what} {value}", span_of(value))


def subject(*pieces: str | Unknown, span: Span | None = None) -> Text:
    """A subject from its known text and the pieces the configuration cannot tell."""
    return concat(pieces, span, what="building a subject")
