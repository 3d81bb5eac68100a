"""IAM string patterns and what they admit.

``StringLike`` values are globs: ``*`` matches any run of characters (``:`` and ``/``
included), ``?`` exactly one, anywhere in the value, case-sensitive. Under ``StringEquals`` both
are literal characters.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String

Matching is linear in the pattern times the value, whatever the pattern: a backtracking
regular expression would take exponential time on ``*a*a*a...`` against a long value, and the
patterns come from the scanned code. A value longer than ``MAX_PATTERN_LENGTH`` is not analysed
at all (``Pattern.of`` gives ``None``, as for a value not known); the scan reports it
(``oidclint.engine``).
"""

from __future__ import annotations

from dataclasses import dataclass

from oidclint.iam.catalog import Field, SubjectGrammar
from oidclint.source import Partial, Unknown

UNKNOWN = "\x00"
"""Stands, inside a pattern's text, for a piece that is not known statically."""

MAX_PATTERN_LENGTH = 8192
"""The longest condition value analysed: a role's trust policy holds 2,048 characters by
default (the IAM quota "Role trust policy length"), raised on request to at most 8,192
(docs/facts.md, section 2), so a longer value can never be part of a deployed trust.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"""

MAX_INTERSECTION_STATES = 1_000_000
"""Pairs of positions ``Pattern.intersects`` may visit (a second or so, some 100 MB)."""


def too_long(value: object) -> bool:
    """A condition value (text, or text with unknown parts) longer than oidclint analyses."""
    if isinstance(value, Partial):
        return sum(len(p) if isinstance(p, str) else 1 for p in value.parts) \
            > MAX_PATTERN_LENGTH
    return isinstance(value, str) and len(value) > MAX_PATTERN_LENGTH


@dataclass(frozen=True, slots=True)
class Pattern:
    """A condition value compared with ``StringLike`` (glob) or ``StringEquals`` (exact)."""

    text: str
    glob: bool = True

    @classmethod
    def of(cls, value: object, glob: bool = True) -> "Pattern | None":
        """The pattern of a condition value; ``None`` when nothing of it is known, or when it
        is too long to analyse (``too_long``)."""
        if too_long(value):
            return None
        if isinstance(value, Partial):
            text = "".join(UNKNOWN if isinstance(p, Unknown) else p for p in value.parts)
            return cls(text, glob)
        if isinstance(value, str):
            return cls(str(value), glob)
        return None

    @property
    def known(self) -> bool:
        return UNKNOWN not in self.text

    @property
    def has_wildcard(self) -> bool:
        return self.glob and ("*" in self.text or "?" in self.text)

    def __str__(self) -> str:
        return self.text.replace(UNKNOWN, "${...}")

    def matches(self, subject: str, ignore_case: bool = False) -> bool | None:
        """Whether a concrete value matches; ``None`` when the pattern is not known."""
        if not self.known:
            return None
        if not self.glob:
            return subject.casefold() == self.text.casefold() if ignore_case else subject == self.text
        return glob_matches(self.text, subject, ignore_case)

    def intersects(self, other: "Pattern") -> bool | None:
        """Whether some string matches both patterns; ``None`` when a pattern is not known,
        or when the two are too long to search together (more than
        ``MAX_INTERSECTION_STATES`` pairs of positions)."""
        if not (self.known and other.known):
            return None
        if (len(self.text) + 1) * (len(other.text) + 1) > MAX_INTERSECTION_STATES:
            return None
        return _globs_intersect(self._tokens(), other._tokens())

    def _tokens(self) -> tuple[str, ...]:
        if not self.glob:
            return tuple("\\" + c if c in "*?" else c for c in self.text)
        return tuple(self.text)

    def shape(self, grammar: SubjectGrammar) -> "Shape | None":
        """How the pattern fills each field of an issuer's subject grammar.

        ``None`` when the pattern cannot produce a subject of this grammar's form (another
        template, or a malformed pattern).
        """
        text = self.text if self.glob else self.text.replace("*", "\\*").replace("?", "\\?")
        shape = _shape(text, grammar)
        wild = _first_wildcard(text)
        if shape is None and wild is not None:
            # A wildcard also matches the separators: in `repo:*:ref:refs/heads/main` the star
            # stands for `acme/api` as well, and in `repo:acme?x` the `?` may be the `/`. Read
            # up to the first wildcard, as if everything from there were open.
            shape = _shape(text[:wild] + "*", grammar)
        return shape


@dataclass(frozen=True, slots=True)
class FieldFill:
    state: str
    """``exact``, ``wild`` (admits other values) or ``unknown``."""
    text: str
    starts_wild: bool = False


@dataclass(frozen=True, slots=True)
class Shape:
    fields: dict[str, FieldFill]
    grammar: SubjectGrammar

    @property
    def tenant(self) -> FieldFill:
        return next(self.fields[f.name] for f in _fields(self.grammar) if f.tenant)

    @property
    def scopes(self) -> list[tuple[str, FieldFill]]:
        return [(f.name, self.fields[f.name]) for f in _fields(self.grammar) if f.scope]

    @property
    def admits_any_tenant(self) -> bool:
        return self.tenant.state == "wild"

    @property
    def broad_scope(self) -> str | None:
        """The scope field (repository, project ...) left open for a fixed tenant."""
        if self.tenant.state != "exact":
            return None
        for name, fill in self.scopes:
            if fill.state == "unknown":
                return None
            if fill.state == "wild" and fill.starts_wild:
                return name
        return None


def _first_wildcard(text: str) -> int | None:
    """Position of the first unescaped ``*`` or ``?``."""
    pos = 0
    while pos < len(text):
        if text[pos] == "\\":
            pos += 2
            continue
        if text[pos] in "*?":
            return pos
        pos += 1
    return None


def _fields(grammar: SubjectGrammar) -> list[Field]:
    return [p for p in grammar.parts if isinstance(p, Field)]


def _shape(text: str, grammar: SubjectGrammar) -> Shape | None:
    fills: dict[str, FieldFill] = {}
    pos = 0
    rest_state: str | None = None  # set once a star or unknown swallows the remainder
    parts = grammar.parts
    for index, part in enumerate(parts):
        if rest_state:
            if isinstance(part, Field):
                fills[part.name] = FieldFill(rest_state, "", starts_wild=rest_state == "wild")
            continue
        if isinstance(part, str):
            for expected in part:
                if pos >= len(text):
                    return None
                char = text[pos]
                if char == "*":
                    rest_state = "wild"
                    break
                if char == UNKNOWN:
                    rest_state = "unknown"
                    break
                if char == "\\" and pos + 1 < len(text):  # an escaped (literal) wildcard
                    pos += 1
                    char = text[pos]
                    if char != expected:
                        return None
                elif char != "?" and char != expected:
                    return None
                pos += 1
            continue
        # A field runs to its stop character (or the end of the subject).
        start = pos
        while pos < len(text) and (not part.stop or text[pos] != part.stop):
            pos += 2 if text[pos] == "\\" else 1
        value = text[start:pos]
        raw = value.replace("\\*", "").replace("\\?", "")
        if UNKNOWN in raw:
            state = "unknown"
        elif "*" in raw or "?" in raw:
            state = "wild"
        else:
            state = "exact"
        fills[part.name] = FieldFill(state, value, starts_wild=raw.startswith(("*", "?")))
        if pos >= len(text) and index + 1 < len(parts):
            # The pattern ended inside the subject: only a trailing star can stand for the rest.
            if raw.endswith("*"):
                rest_state = "wild"
            elif raw.endswith(UNKNOWN):
                rest_state = "unknown"
            else:
                return None
    if not rest_state and pos < len(text):
        return None
    return Shape(fills, grammar)


def glob_matches(glob: str, text: str, ignore_case: bool = False) -> bool:
    """Whether ``text`` matches the glob (``*`` any run of characters, ``?`` one).

    Two positions walk the glob and the text; on a mismatch the last ``*`` seen takes one
    more character and the walk resumes after it. Only the last star is ever revisited (what
    an earlier star took can be left as it is: the later star can take the difference), so
    the time is at most ``len(glob) * len(text)`` steps.
    """
    g = t = 0
    star = -1  # position of the last star in the glob
    resume = 0  # where the text resumes when the star takes one more character
    while t < len(text):
        if g < len(glob) and glob[g] == "*":
            star, resume = g, t
            g += 1
        elif g < len(glob) and (glob[g] == "?" or glob[g] == text[t] or (
                ignore_case and glob[g].casefold() == text[t].casefold())):
            g += 1
            t += 1
        elif star >= 0:
            resume += 1
            g, t = star + 1, resume
        else:
            return False
    while g < len(glob) and glob[g] == "*":
        g += 1
    return g == len(glob)


def _globs_intersect(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Is there a string both globs match? A search over pairs of positions."""
    seen: set[tuple[int, int]] = set()
    stack = [(0, 0)]
    while stack:
        i, j = stack.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(a) and j == len(b):
            return True
        ca = a[i] if i < len(a) else None
        cb = b[j] if j < len(b) else None
        if ca == "*":
            stack.append((i + 1, j))
            if cb is not None:
                stack.append((i, j + 1) if cb != "*" else (i + 1, j))
        if cb == "*":
            stack.append((i, j + 1))
            if ca is not None and ca != "*":
                stack.append((i + 1, j))
        if ca is not None and cb is not None and ca != "*" and cb != "*":
            if ca == "?" or cb == "?" or ca.lstrip("\\") == cb.lstrip("\\"):
                stack.append((i + 1, j + 1))
    return False
