"""What the readers of CI configurations share (CircleCI, Buildkite and Bitbucket Pipelines;
GitLab CI for the shell): loading the file with its problems reported, notes on fields of the
wrong type (the job is read around them), ``$NAME`` references the file does not give a
value, the options of an ``aws sts assume-role-with-web-identity`` command, and the subjects
their tokens carry, built from known text and the pieces the file cannot tell.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterator

from oidclint.located.documents import LoadError, load_documents
from oidclint.model import Diagnostic, Inventory, Level
from oidclint.source import LDict, Pieces, SourceFile, Span, Str, Text, Unknown, concat, span_of

_SYNTAX_POSITION = re.compile(r"^line (\d+), column (\d+): ")
VARIABLE = re.compile(r"\$\$|\$\{(\w+)\}|\$(\w+)")
"""``$NAME``, ``${NAME}`` and the ``$$`` that writes a ``$``."""
ASSUME_ROLE_WITH_WEB_IDENTITY = "assume-role-with-web-identity"
_ASSUME_OPTION = re.compile(
    r"--(role-arn|web-identity-token|role-session-name|duration-seconds)(?:=|\s+)"
    r"(\"[^\"]*\"|'[^']*'|[^\s\"';|&`]+)")
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
    """``$NAME`` and ``${NAME}`` replaced by the literal values ``variables`` gives (located
    where they are written), the others ``Unknown`` with ``origin(NAME)``; ``$$`` is a ``$``."""
    def literal(name: str) -> Text | None:
        value = variables.get(name)
        return value if isinstance(value, str) and "$" not in value else None
    return substitute(text, literal, origin)


def substitute(text: Str, value_of: Callable[[str], Text | None], origin: Callable[[str], str],
               pattern: re.Pattern[str] = VARIABLE) -> Text:
    """Each reference ``pattern`` finds in ``text`` (by default ``$NAME`` and ``${NAME}``; the
    name is its first group that matched) replaced by ``value_of(name)``, or ``Unknown`` with
    ``origin(name)`` when that is ``None``; ``$$`` is a ``$``. A text that is one reference is
    the value itself, located where it is set."""
    whole = pattern.fullmatch(text.strip())
    if whole and whole[0] != "$$":
        value = value_of(_name(whole))
        if value is not None:
            return value
    pieces = Pieces("expanding variables")
    position = 0
    for match in pattern.finditer(text):
        pieces.add(text[position:match.start()])
        position = match.end()
        if match[0] == "$$":
            pieces.add("$")
            continue
        name = _name(match)
        value = value_of(name)
        pieces.add(value if value is not None else Unknown(origin(name), text.span))
    pieces.add(text[position:])
    return concat([p for p in pieces if p != ""], text.span, what="expanding variables")


def _name(reference: re.Match[str]) -> str:
    return next(group for group in reference.groups() if group is not None)


def unquoted(word: str) -> str:
    """A shell word without the quotes around it."""
    return word[1:-1] if word[:1] in "\"'" and len(word) > 1 and word[-1] == word[0] else word


def assume_role_options(line: str) -> Iterator[tuple[str, str, int]]:
    """The options of an ``aws sts assume-role-with-web-identity`` command on ``line``: each
    option's name (``role-arn``...), its value without quotes, and where the value starts."""
    start = line.find(ASSUME_ROLE_WITH_WEB_IDENTITY)
    if start < 0:
        return
    for match in _ASSUME_OPTION.finditer(line, start):
        raw = match[2]
        value = unquoted(raw)
        yield match[1], value, match.start(2) + (1 if value != raw else 0)


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
