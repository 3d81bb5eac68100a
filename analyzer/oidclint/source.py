"""Source files, spans and located values.

Every value a rule can point at knows where it came from. Parsers produce plain Python
containers whose leaves are located: ``Str`` for strings, ``Unknown`` for what cannot be
known statically and ``Partial`` for strings only partly known. Containers that came from the
source carry a span too (``LDict``, ``LList``).
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Iterable

from oidclint.limits import MAX_STRING_LENGTH, reserve_text


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A region of a file: 1-based lines and columns, the end column exclusive."""

    path: str
    line: int
    column: int = 1
    end_line: int = 0
    end_column: int = 0

    def __post_init__(self) -> None:
        if self.end_line < self.line:
            object.__setattr__(self, "end_line", self.line)
        if self.end_line == self.line and self.end_column < self.column:
            object.__setattr__(self, "end_column", self.column)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(slots=True)
class SourceFile:
    """A file of the scanned tree: its root-relative path and its decoded text."""

    path: str
    """Path relative to the scan root, with forward slashes."""
    absolute: Path
    text: str
    kind: str = ""
    _line_starts: list[int] = field(default_factory=list, repr=False)

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        if not self._line_starts:
            starts = [0]
            starts.extend(i + 1 for i, ch in enumerate(self.text) if ch == "\n")
            self._line_starts = starts
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def span(self, start: int, end: int) -> Span:
        line, column = self.position(start)
        end_line, end_column = self.position(end)
        return Span(self.path, line, column, end_line, end_column)

    @property
    def scan_root(self) -> Path | None:
        """The folder the scan's relative paths start from (``absolute`` without ``path``);
        ``None`` when the two do not line up."""
        try:
            parts = PurePosixPath(self.path).parts
            absolute = Path(self.absolute)
            if not absolute.is_absolute() or tuple(absolute.parts[-len(parts):]) != parts:
                return None
            return Path(*absolute.parts[: -len(parts)])
        except (TypeError, ValueError):
            return None


class Str(str):
    """A string that remembers its span and, when it names a resource, that resource."""

    __slots__ = ("span", "ref")

    def __new__(cls, value: str, span: Span | None = None, ref: str | None = None) -> "Str":
        obj = super().__new__(cls, value)
        obj.span = span
        obj.ref = ref
        return obj

    def __reduce__(self):
        return (Str, (str(self), self.span, self.ref))


class LDict(dict):
    """A mapping read from a file, with its span."""

    __slots__ = ("span",)

    def __init__(self, *args: Any, span: Span | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.span = span

    def __reduce__(self):
        return (_rebuild_ldict, (dict(self), self.span))


class LList(list):
    """A sequence read from a file, with its span."""

    __slots__ = ("span",)

    def __init__(self, items: Iterable[Any] = (), span: Span | None = None) -> None:
        super().__init__(items)
        self.span = span

    def __reduce__(self):
        return (_rebuild_llist, (list(self), self.span))


def _rebuild_ldict(items: dict, span: Span | None) -> LDict:
    return LDict(items, span=span)


def _rebuild_llist(items: list, span: Span | None) -> LList:
    return LList(items, span=span)


@dataclass(frozen=True, slots=True)
class Unknown:
    """A value that cannot be known statically, and why.

    ``origin`` says what it came from in the user's words: ``var.repo (no default)``,
    ``secrets.ROLE_ARN``, ``data.aws_caller_identity.current.account_id``.
    """

    origin: str
    span: Span | None = None
    ref: str | None = None

    def __str__(self) -> str:
        return "${" + self.origin + "}"


@dataclass(frozen=True, slots=True)
class UnknownField(Unknown):
    """An unknown value that is one field of a token subject (an organisation id, a slug, a
    uuid): whatever it is, it holds none of the separators ``:``, ``/``, ``{`` or ``}``, so
    the known text around it still says where the other fields are."""


@dataclass(frozen=True, slots=True)
class Partial:
    """A string made of known text and unknown pieces, e.g. ``repo:${var.org}/api:*``."""

    parts: tuple[str | Unknown, ...]
    span: Span | None = None
    ref: str | None = None

    def __str__(self) -> str:
        return "".join(str(p) for p in self.parts)

    @property
    def known_prefix(self) -> str:
        prefix = []
        for part in self.parts:
            if isinstance(part, Unknown):
                break
            prefix.append(part)
        return "".join(prefix)

    @property
    def known_suffix(self) -> str:
        suffix = []
        for part in reversed(self.parts):
            if isinstance(part, Unknown):
                break
            suffix.append(part)
        return "".join(reversed(suffix))

    @property
    def unknowns(self) -> list[Unknown]:
        return [p for p in self.parts if isinstance(p, Unknown)]


@dataclass(frozen=True, slots=True)
class UnknownElements(Unknown):
    """Any number of elements of a list, none included, that are not known statically:
    ``concat(["a"], var.more)`` is ``["a", UnknownElements("var.more ...")]``. List functions
    know the length is not known.

    ``element``, when not ``None``, is what each of them is known to be: the body of a
    ``for`` expression over a collection not known, evaluated once with its iteration
    variables unknown (``[for r in var.repos : "repo:acme/${r}:*"]`` is any number of
    ``repo:acme/${r}:*``). An element that may or may not be there (one a ``for`` filter
    may drop) is one of these too."""

    element: Any = field(default=None, compare=False)

    def each(self, element: Any) -> "UnknownElements":
        """The same elements, each now ``element`` (``None``: nothing known of them)."""
        return UnknownElements(self.origin, self.span, self.ref, element)


MAX_OPTIONS = 16
"""Alternatives a value keeps (``OneOf``). Nested conditionals multiply them; past this many,
the value is only unknown."""


@dataclass(frozen=True, slots=True)
class OneOf(Unknown):
    """A value that is one of ``options``, which one not known statically: a Terraform
    conditional whose condition is not known (``local.dev ? "ci-dev" : "ci"``). It is an
    ``Unknown``, so whatever does not look at the options takes it as not known; what does
    (a policy read from one of several documents, a role named one of several names) decides
    only what holds for every option. Options are distinct and each at least partly known
    (``hcl.values.one_of`` builds them)."""

    options: tuple[Any, ...] = field(default=(), compare=False)


def alternatives(value: Any) -> tuple[Any, ...]:
    """The values a value may be: the options of a ``OneOf``; each text a string may be
    whose unknown pieces are ``OneOf`` (``ci-${local.dev ? "dev" : "prod"}``), when there are
    at most ``MAX_OPTIONS``; else the value itself."""
    if isinstance(value, OneOf):
        return tuple(each for option in value.options for each in alternatives(option))
    if isinstance(value, Partial) and any(isinstance(p, OneOf) for p in value.parts):
        choices = [alternatives(p) if isinstance(p, OneOf) else (p,) for p in value.parts]
        if math.prod(len(c) for c in choices) <= MAX_OPTIONS:
            return tuple(concat(texts, value.span, value.ref)
                         for texts in itertools.product(*choices))
    return (value,)


@dataclass(frozen=True, slots=True)
class Choice:
    """A value that is one of several, chosen at deploy time (CloudFormation ``Fn::If``).

    Where a list is expected the options are all taken (both branches considered); where
    one value is expected a choice of different values is not known statically.
    """

    options: tuple[Any, ...]
    origin: str
    span: Span | None = None

    def __str__(self) -> str:
        return "${" + self.origin + "}"


MAX_NUMBER_DIGITS = 4300
"""Digits of an integer literal read (JSON, YAML, HCL): Python's own bound on converting text
to an integer (``sys.get_int_max_str_digits``), which keeps that from taking quadratic time."""


def integer_literal(text: str) -> int:
    """An integer literal; past ``MAX_NUMBER_DIGITS`` digits, ``ValueError`` in the user's
    words (Python's own message names a function of its interpreter)."""
    if len(text.lstrip("+-")) > MAX_NUMBER_DIGITS:
        raise ValueError(f"a number with more than {MAX_NUMBER_DIGITS:,} digits")
    return int(text)


def long_number_offset(text: str) -> int:
    """Where the first run of more than ``MAX_NUMBER_DIGITS`` digits starts (0 if none):
    to place the error ``integer_literal`` raised for a JSON document."""
    found = re.search(r"\d{%d,}" % (MAX_NUMBER_DIGITS + 1), text)
    return found.start() if found else 0


Text = str | Partial | Unknown
"""What a string-valued field of the model holds."""


def concat(pieces: Iterable[Any], span: Span | None = None, ref: str | None = None,
           what: str = "joining strings") -> Text:
    """Join string pieces; the result is ``Str`` when all are known, else ``Partial``.
    The length is checked before anything is joined (``oidclint.limits``)."""
    parts: list[str | Unknown] = []
    run: list[Any] = []  # known pieces since the last unknown one, joined once
    length = 0
    for piece in pieces:
        items = piece.parts if isinstance(piece, Partial) else (piece,)
        for item in items:
            if isinstance(item, Unknown):
                if run:
                    parts.append("".join(map(str, run)))
                    run = []
                parts.append(item)
                continue
            length += len(item)
            if length > MAX_STRING_LENGTH:
                reserve_text(length, what)  # raises, naming what was building it
            run.append(item)
    if run:
        parts.append("".join(map(str, run)))
    reserve_text(length, what)
    if not any(isinstance(p, Unknown) for p in parts):
        return Str("".join(parts), span, ref)
    if len(parts) == 1:
        return parts[0]
    return Partial(tuple(parts), span, ref)


def known_length(text: Any) -> int:
    """The characters of a string, or of the known parts of a ``Partial`` (0 otherwise)."""
    if isinstance(text, Partial):
        return sum(len(p) for p in text.parts if isinstance(p, str))
    return len(text) if isinstance(text, str) else 0


class Pieces(list):
    """String pieces gathered for one ``concat``, refused as soon as they pass the string
    limit: expanding a reference many times over stops there, not once all is built."""

    def __init__(self, what: str = "joining strings") -> None:
        super().__init__()
        self.what = what
        self.length = 0

    def add(self, piece: Any) -> None:
        self.length += known_length(piece)
        if self.length > MAX_STRING_LENGTH:
            reserve_text(self.length, self.what)  # raises
        self.append(piece)


def span_of(value: Any) -> Span | None:
    """The span a value carries, if any."""
    return getattr(value, "span", None)


def render(value: Any) -> str:
    """A value as a person reads it in a message: text as written, what is not known as
    ``${origin}``, anything else (a number, ``true``, a list or a mapping where text was
    expected) as JSON, the form policies and templates write it in."""
    if isinstance(value, (Unknown, Partial, Choice)):
        return str(value)
    if isinstance(value, str):
        return str(value)
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):  # a key JSON has no form for, a container holding itself
        return repr(value)


_SNAKE_WORDS = ("ACCOUNT|ACCOUNTID|ORG|ORGANIZATION|ORGANISATION|OWNER|REPO|REPOSITORY|USER|"
                "USERNAME|NAME|ID|PROJECT|GROUP|NAMESPACE|CLUSTER|REGION|BRANCH|WORKSPACE")
FILL_IN = re.compile(
    r"<[A-Za-z][A-Za-z0-9_.-]*(?:/[A-Za-z][A-Za-z0-9_.-]*)*>"
    r"|(?<![A-Za-z0-9_.-])\$?(?:"
    r"(?:YOUR|[Yy]our)[_-][A-Za-z0-9_-]*[A-Za-z0-9]"
    r"|(?=[A-Z0-9_]*_|ACCOUNT)(?:[A-Z0-9]+_)*(?:" + _SNAKE_WORDS + r")(?:_[A-Z0-9]+)*"
    r")(?![A-Za-z0-9_.-])")
"""A fill-in placeholder as examples and templates leave them for the user:
- a name in angle brackets, ``<VALUE>``, ``<ACCOUNT_ID>``, ``<your-org>``, or names joined by
  ``/`` (``<orgName/repoName>``): an angle bracket is never valid in an IAM ARN, a provider
  URL, a role name or a token subject, so a real value never has that shape;
- a word that asks for the user's own value, ``YOUR_ACCOUNT_ID``, ``your-org``;
- a name in capitals joined by ``_`` that names what to put there (``ACCOUNT_ID``,
  ``GITHUB_ORG``, ``REPO_NAME``, ``AWS_ACCOUNT_ID``, ``$CLUSTER_ID`` for ``envsubst``), or
  ``ACCOUNT`` alone: an account id is digits, a GitHub owner never holds ``_``, and hosts
  are lower case.
Each stands alone between separators (``:``, ``/``, ``.``...); nothing else is taken for one."""


def _may_fill_in(value: str) -> bool:
    """Whether a string can hold a placeholder at all (most do not; this is cheaper than
    ``FILL_IN``)."""
    return "<" in value or "_" in value or "our" in value or "OUR" in value


def fill_ins(value: Any) -> Any:
    """A literal string with its fill-in placeholders (``FILL_IN``) as unknown pieces: the
    user has not filled them in yet, so they decide nothing. ``Unknown`` when the whole value
    is one, ``Partial`` when it holds some, the value itself otherwise (other types too)."""
    if isinstance(value, Partial):
        filled = concat([fill_ins(p) for p in value.parts], value.span, value.ref)
        return filled if filled != value else value
    if isinstance(value, (list, dict)):
        return _filled_container(value)
    # Exactly a string: text that also carries a structure (encoded JSON) is left whole.
    if type(value) not in (str, Str) or not _may_fill_in(value) or not FILL_IN.search(value):
        return value
    span = getattr(value, "span", None)
    pieces: list[Any] = []
    end = 0
    for match in FILL_IN.finditer(value):
        pieces += [value[end:match.start()], Unknown(f"placeholder {match[0]}", span)]
        end = match.end()
    pieces.append(value[end:])
    return concat([p for p in pieces if p != ""], span, getattr(value, "ref", None))


def _filled_container(value: list | dict) -> Any:
    """A list or mapping with ``fill_ins`` applied to its strings; the same object when none
    holds a placeholder (most do not, and identity is what caches key on)."""
    if isinstance(value, dict):
        items = {k: fill_ins(v) for k, v in value.items()}
        if all(items[k] is v for k, v in value.items()):
            return value
        return LDict(items, span=getattr(value, "span", None))
    elements = [fill_ins(v) for v in value]
    if all(a is b for a, b in zip(elements, value)):
        return value
    return LList(elements, span=getattr(value, "span", None))
