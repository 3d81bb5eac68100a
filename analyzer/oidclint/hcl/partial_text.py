"""Searching text known only in part (a ``Partial``) for a literal or a regular expression.

``replace`` and ``split`` find matches left to right, each search starting where the last
match ended (Go's ``strings.Replace`` and ``strings.Split``, ``Regexp.ReplaceAllString``:
https://pkg.go.dev/strings#Replace, https://pkg.go.dev/regexp#Regexp.ReplaceAllString). In
``https://${var.host}/x`` a match may lie in known text, inside an unknown piece, or across the
edge between them. A match that lies in known text, and that no text of the unknown pieces can
move, is certain. Known text next to an unknown piece, where a match could begin or end across
the edge, is not: it goes with the piece, and the two stay unknown together
(``api.example/${var.ws}/oidc`` without ``//`` is ``api.example${...}oidc``, since the
``/`` on each side could take part in a match whose rest is in the piece).

Matches are found with a ``Matcher`` whose matches are at most ``width`` characters long and
depend on nothing but the characters they span (no ``^``, ``$`` or ``\\b``): what a known
stretch holds then decides every match that starts ``width`` characters or more before its
end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from oidclint.hcl import regex
from oidclint.source import Partial, Unknown


@dataclass(frozen=True)
class Found:
    """A certain match: ``text[start:end]`` of one known stretch; ``match`` is the regular
    expression's match (for ``$1`` in a replacement), ``None`` for a literal."""

    start: int
    end: int
    match: re.Match[str] | None = None


@dataclass(frozen=True)
class Unsettled:
    """Unknown pieces and the known text next to them that a match may have taken part of:
    what they become is not known."""

    pieces: tuple[str | Unknown, ...]

    @property
    def origin(self) -> str:
        return next(p.origin for p in self.pieces if isinstance(p, Unknown))


class Matcher:
    """A search whose matches are 1 to ``width`` characters long."""

    width: int

    def find(self, text: str, position: int, before: int) -> Found | None:
        """The first match in ``text`` from ``position`` that starts before ``before``."""
        raise NotImplementedError

    def may_end(self, head: str) -> bool:
        """Whether a match begun before ``head`` (shorter than ``width``) can end at its end."""
        return True

    def may_start(self, tail: str) -> bool:
        """Whether a match can begin with ``tail`` (shorter than ``width``) and go on past it."""
        return True

    def may_hold(self, text: str) -> bool:
        """Whether a match can go on both before and after ``text``."""
        return len(text) <= self.width - 2


class Literal(Matcher):
    def __init__(self, search: str) -> None:
        assert search, "an empty search matches between characters, not in them"
        self.search = search
        self.width = len(search)

    def find(self, text: str, position: int, before: int) -> Found | None:
        start = text.find(self.search, position)
        return Found(start, start + self.width) if 0 <= start < before else None

    def may_end(self, head: str) -> bool:
        return self.search.endswith(head)

    def may_start(self, tail: str) -> bool:
        return self.search.startswith(tail)

    def may_hold(self, text: str) -> bool:
        return text in self.search[1:-1]


class Expression(Matcher):
    """A regular expression with matches of bounded length that test no position."""

    def __init__(self, pattern: regex.RE2Pattern, width: int) -> None:
        self.pattern = pattern
        self.width = width

    @classmethod
    def of(cls, pattern: regex.RE2Pattern) -> "Expression | None":
        """The matcher for ``pattern``, or ``None`` when its matches may be empty, have no
        bound, or depend on what is around them."""
        low, high = pattern.widths
        if low < 1 or high is None or pattern.anchored:
            return None
        return cls(pattern, high)

    def find(self, text: str, position: int, before: int) -> Found | None:
        match = self.pattern.compiled.search(text, position)
        if match is None or match.start() >= before:
            return None
        return Found(match.start(), match.end(), match)


Piece = str | Found | Unsettled


def search(value: Partial, matcher: Matcher) -> list[Piece]:
    """The value as known text, certain matches and unsettled stretches, in order."""
    out: list[Piece] = []
    pending: list[str | Unknown] = []
    parts = _merged(value.parts)
    for index, part in enumerate(parts):
        if isinstance(part, Unknown):
            pending.append(part)
            continue
        if isinstance(matcher, Expression):
            matcher.pattern.check(part)
        settled = _settle(part, matcher, after_unknown=index > 0,
                          before_unknown=index + 1 < len(parts))
        if settled is None:
            pending.append(part)
            continue
        head, pieces, tail = settled
        if head:
            pending.append(part[:head])
        if pending:
            out.append(Unsettled(tuple(pending)))
            pending = []
        out += pieces
        if tail < len(part):
            pending.append(part[tail:])
    if pending:
        out.append(Unsettled(tuple(pending)))
    return out


def _merged(parts: tuple[str | Unknown, ...]) -> list[str | Unknown]:
    merged: list[str | Unknown] = []
    for part in parts:
        if isinstance(part, str) and not part:
            continue
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    return merged


def _settle(text: str, matcher: Matcher, *, after_unknown: bool, before_unknown: bool
            ) -> tuple[int, list[Piece], int] | None:
    """The certain middle of a known stretch: how much of its head and from where its tail
    are unsettled, and the text and matches between; ``None`` when all of it is."""
    if after_unknown and before_unknown and matcher.may_hold(text):
        return None
    # Where the search may take up the stretch: at its start, or after a match that began in
    # the unknown piece before it and ends inside it.
    starts = [0]
    if after_unknown:
        starts += [j for j in range(1, min(matcher.width - 1, len(text)) + 1)
                   if matcher.may_end(text[:j])]
    runs = [_run(text, start, matcher, before_unknown) for start in starts]
    tails = {tail for _, tail in runs}
    all_found = [{(f.start, f.end) for f in found} for found, _ in runs]
    common = set.intersection(*all_found)
    # From where every run has found the same matches, none of them reaching back past it.
    head = max(starts + [end for found in all_found for _, end in found - common])
    moved = True
    while moved:
        moved = False
        for start, end in common:
            if start < head < end:
                head, moved = end, True
    tail = tails.pop()
    if tails or head > tail:
        return None
    found, _ = runs[0]
    pieces: list[Piece] = []
    position = head
    for match in found:
        if match.start < head:
            continue
        if match.start > position:
            pieces.append(text[position:match.start])
        pieces.append(match)
        position = match.end
    if tail > position:
        pieces.append(text[position:tail])
    return head, pieces, tail


def _run(text: str, position: int, matcher: Matcher, before_unknown: bool
         ) -> tuple[list[Found], int]:
    """The matches a search from ``position`` finds in ``text``, and where the text starts
    that a match running on into the unknown piece after it may take (its length when none
    can)."""
    # A match starting before `zone` lies in the text whatever comes after it.
    zone = len(text) - matcher.width + 1 if before_unknown else len(text)
    found: list[Found] = []
    while True:
        match = matcher.find(text, position, zone)
        if match is None:
            break
        found.append(match)
        position = match.end
    for start in range(max(position, zone), len(text)):
        if matcher.may_start(text[start:]):
            return found, start
    return found, len(text)
