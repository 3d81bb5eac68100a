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
end. ``search`` gives the settled stretches as text: Terraform's own search through one of
them, on its own, finds exactly the matches it finds in the whole string.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from typing import NamedTuple

from oidclint.iam import re2 as regex
from oidclint.source import Partial, Unknown


class Found(NamedTuple):
    """A match: ``text[start:end]`` of one known stretch."""

    start: int
    end: int


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
    compiled: re.Pattern[str]

    def find(self, text: str, position: int, before: int) -> Found | None:
        """The first match in ``text`` from ``position`` that starts before ``before``."""
        match = self.compiled.search(text, position)
        if match is None or match.start() >= before:
            return None
        return Found(match.start(), match.end())

    def last_end(self, text: str, position: int, before: int) -> int:
        """Where the last match found from ``position`` that starts before ``before`` ends
        (``position`` when there is none). The search runs in ``re``; no more than
        ``width - 1`` matches, each a character or more, start at ``before`` or after."""
        last = deque(self.compiled.finditer(text, position), maxlen=self.width)
        return next((m.end() for m in reversed(last) if m.start() < before), position)

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
        self.compiled = re.compile(re.escape(search))

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
        self.compiled = pattern.compiled

    @classmethod
    def of(cls, pattern: regex.RE2Pattern) -> "Expression | None":
        """The matcher for ``pattern``, or ``None`` when its matches may be empty, have no
        bound, or depend on what is around them."""
        low, high = pattern.widths
        if low < 1 or high is None or pattern.anchored:
            return None
        return cls(pattern, high)


MAX_ADVANCES = 10_000
"""Matches the searches from each place a stretch may be taken up at are followed, waiting
for them to meet; past it (`aaaa...` searched for `aa`, after an unknown piece: every other
match, one way or the other) the stretch is unsettled."""


def search(value: Partial, matcher: Matcher) -> list[str | Unsettled]:
    """The value as settled stretches of known text, each to be searched on its own as
    Terraform searches text, and unsettled stretches, in order."""
    out: list[str | Unsettled] = []
    pending: list[str | Unknown] = []
    parts = _merged(value.parts)
    for index, part in enumerate(parts):
        if isinstance(part, Unknown):
            pending.append(part)
            continue
        if isinstance(matcher, Expression):
            matcher.pattern.check(part)
        edges = _edges(part, matcher, after_unknown=index > 0,
                       before_unknown=index + 1 < len(parts))
        if edges is None:
            pending.append(part)
            continue
        head, tail = edges
        if head:
            pending.append(part[:head])
        if pending:
            out.append(Unsettled(tuple(pending)))
            pending = []
        if tail > head:
            out.append(part[head:tail])
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


def _edges(text: str, matcher: Matcher, *, after_unknown: bool, before_unknown: bool
           ) -> tuple[int, int] | None:
    """Where the settled middle of a known stretch begins and ends; ``None`` when all of it
    is unsettled."""
    if after_unknown and before_unknown and matcher.may_hold(text):
        return None
    # A match starting before `zone` lies in the text whatever comes after it.
    zone = len(text) - matcher.width + 1 if before_unknown else len(text)
    # The search may take up the stretch at its start, or after a match that began in the
    # unknown piece before it and ends inside it: one run of the search from each.
    starts = [0]
    if after_unknown:
        starts += [j for j in range(1, min(matcher.width - 1, len(text)) + 1)
                   if matcher.may_end(text[:j])]
    runs = [[start, matcher.find(text, start, zone)] for start in starts]
    # Advance the run that is furthest behind until every run goes on to the same next
    # match (or to none): from there they are one. Each run's last match end is where the
    # text it leaves as it is begins.
    for _ in range(MAX_ADVANCES):
        if len({None if found is None else found.start for _, found in runs}) == 1:
            break
        run = min((r for r in runs if r[1] is not None), key=lambda r: r[1].start)
        run[0] = run[1].end
        run[1] = matcher.find(text, run[0], zone)
    else:
        return None
    head = max(last for last, _ in runs)
    following = runs[0][1]
    ends = {last for last, _ in runs} if following is None else {
        matcher.last_end(text, following.start, zone)}
    # What follows the last match (of each run, when they end apart) up to where a match
    # may begin that runs on into the unknown piece after it.
    tails = {next((start for start in range(max(end, zone), len(text))
                   if matcher.may_start(text[start:])), len(text)) for end in ends}
    if len(tails) > 1 or head > min(tails):
        return None
    return head, tails.pop()
