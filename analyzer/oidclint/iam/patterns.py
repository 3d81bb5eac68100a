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

import re
from dataclasses import dataclass, field

from oidclint.iam.catalog import Field, SubjectGrammar
from oidclint.source import Partial, Unknown, UnknownField

UNKNOWN = "\x00"
"""Stands, inside a pattern's text, for a piece that is not known statically."""
FIELD = "\x01"
"""Stands for an unknown piece that is one field of a token subject (``UnknownField``): any
text without the separators ``FIELD_SEPARATORS``."""
FIELD_SEPARATORS = frozenset(":/{}")

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
    origins: tuple[str, ...] = field(default=(), compare=False)
    """Where each unknown piece of ``text`` comes from, in order (``var.org (no default)``)."""

    @classmethod
    def of(cls, value: object, glob: bool = True) -> "Pattern | None":
        """The pattern of a condition value; ``None`` when nothing of it is known, or when it
        is too long to analyse (``too_long``)."""
        if too_long(value):
            return None
        if isinstance(value, Partial):
            text = "".join(FIELD if isinstance(p, UnknownField) else
                           UNKNOWN if isinstance(p, Unknown) else p for p in value.parts)
            return cls(text, glob, tuple(u.origin for u in value.unknowns))
        if isinstance(value, str):
            return cls(str(value), glob)
        return None

    @property
    def known(self) -> bool:
        return UNKNOWN not in self.text and FIELD not in self.text

    @property
    def has_wildcard(self) -> bool:
        return self.glob and ("*" in self.text or "?" in self.text)

    def __str__(self) -> str:
        return self.text.replace(UNKNOWN, "${...}").replace(FIELD, "${...}")

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
        if UNKNOWN in self.text or UNKNOWN in other.text:
            return None  # an unknown field (``FIELD``) is searched as what it can hold
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

        An unknown piece (a variable without a value) is read as text of the fields it sits
        in, never as a wildcard: in `repo:${var.org}/*:*` it is one owner, whatever its value,
        since the known `/` after it ends the owner. Where the known text shows that it spans
        a separator (`repo:${var.repo}:*` covers owner, `/` and repository), it covers as few
        parts as the known text allows, and the fields it covers are unknown.
        """
        tokens = _shape_tokens(self)
        reading = _Reader(tokens, grammar, self.origins).read(0, 0)
        wild = next((i for i, (kind, _) in enumerate(tokens) if kind in (_STAR, _ONE)), None)
        if reading is None and wild is not None:
            # A wildcard also matches the separators: in `repo:*:ref:refs/heads/main` the star
            # stands for `acme/api` as well, and in `repo:acme?x` the `?` may be the `/`. Read
            # up to the first wildcard, as if everything from there were open.
            tokens = tokens[:wild] + ((_STAR, "*"),)
            reading = _Reader(tokens, grammar, self.origins).read(0, 0)
        if reading is None:
            return None
        fills, concrete = reading
        return Shape(fills, grammar, Pattern(concrete, self.glob))

    def shown(self) -> str:
        """The pattern as the user wrote it, each unknown piece named by the input it comes
        from (`repo:${var.org}/*:*`)."""
        names = iter(self.origins)
        return re.sub(f"[{UNKNOWN}{FIELD}]",
                      lambda _: as_written(next(names, "...")), self.text)


def input_name(origin: str) -> str:
    """The input as the code writes it: `var.org` of `var.org (no default)`,
    `GitHubOrganization` of `parameter GitHubOrganization`."""
    name = origin.split(" (", 1)[0]
    return name.removeprefix("parameter ")


def as_written(origin: str) -> str:
    """An unknown piece of a pattern as the user wrote it: `${var.org}`; a placeholder a
    policy file wrote itself (`${GITHUB_USER}`) as it is."""
    name = input_name(origin)
    return name if name.startswith("${") and name.endswith("}") else "${" + name + "}"


def input_phrase(origin: str) -> str:
    """The input as a message names it: `` `var.org` ``, ``parameter `GitHubOrganization` ``."""
    kind = "parameter " if origin.startswith("parameter ") else ""
    return f"{kind}`{input_name(origin)}`"


@dataclass(frozen=True, slots=True)
class FieldFill:
    state: str
    """``exact``, ``wild`` (admits other values) or ``unknown``."""
    text: str
    starts_wild: bool = False
    pinned: str = ""
    """For a wild field, the text before its first wildcard (`sub/` of `sub/*`)."""
    bounded: bool = True
    """For an unknown field: known separators end it on both sides, so it is one value of
    this field (one owner), only not known which. False when an unknown piece also covers a
    separator (`repo:${var.repo}:*`) or the rest of the subject."""
    inputs: tuple[str, ...] = ()
    """Where the unknown pieces of the field come from (`var.org (no default)`)."""


@dataclass(frozen=True, slots=True)
class OpenScope:
    """A scope field left open: every ``field`` of the tenant, or of ``parent`` within it."""

    field: str
    parent: tuple[str, str] | None = None
    """(field, text) pinned above the open one: ``("project", "networking")`` in
    `...:project:networking:workspace:*`, ``("group", "acme/sub")`` in
    `project_path:acme/sub/*`; None when the open field is the first below the tenant."""


@dataclass(frozen=True, slots=True)
class Shape:
    fields: dict[str, FieldFill]
    grammar: SubjectGrammar
    concrete: "Pattern | None" = None
    """The pattern with each unknown piece replaced by made-up names, one per field it
    covers, its separators written out: it admits for the made-up names what the pattern
    admits for whatever the inputs hold."""

    @property
    def tenant(self) -> FieldFill:
        """The tenant field; when the issuer's URL names the tenant (the grammar has no
        tenant field), every subject is of that one tenant: written out, as far as the
        pattern goes."""
        field = self.grammar.tenant_field
        return self.fields[field.name] if field else ISSUER_TENANT

    @property
    def scopes(self) -> list[tuple[str, FieldFill]]:
        return [(f.name, self.fields[f.name]) for f in _fields(self.grammar) if f.scope]

    @property
    def admits_any_tenant(self) -> bool:
        return self.tenant.state == "wild"

    @property
    def one_tenant(self) -> bool:
        """The tenant is one owner, organisation, group or namespace: written out, or one
        unknown value between known separators."""
        tenant = self.tenant
        return tenant.state == "exact" or (tenant.state == "unknown" and tenant.bounded)

    @property
    def open_scope(self) -> OpenScope | None:
        """The scope field (repository, project ...) left open for one tenant."""
        if not self.one_tenant:
            return None
        tenant = self.grammar.tenant_field
        parent = None
        scopes = self.scopes
        for at, (name, fill) in enumerate(scopes):
            if fill.state == "unknown" and not fill.bounded:
                return None
            if fill.state == "wild":
                if any(_one(later) for later_name, later in scopes[at + 1:]
                       if _field(self.grammar, later_name).unique):
                    return None  # a scope below names one thing of the tenant by itself
                if fill.starts_wild:
                    return OpenScope(name, parent)
                if tenant is not None and fill.pinned.endswith("/"):
                    # A path below the tenant, open under it (a GitLab subgroup).
                    return OpenScope(name, (tenant.name,
                                            f"{self.tenant.text}/{fill.pinned[:-1]}"))
                return None
            parent = (name, fill.text)
        return None

    @property
    def broad_scope(self) -> str | None:
        """The scope field left open for every one of the tenant's: ``repository`` in
        `repo:acme/*`, ``project`` in `organization:acme:project:*:...`."""
        scope = self.open_scope
        return scope.field if scope is not None and scope.parent is None else None


ISSUER_TENANT = FieldFill("exact", "")
"""The tenant of a subject whose issuer's URL names the tenant (``Shape.tenant``)."""


def _one(fill: FieldFill) -> bool:
    """The field holds one value: written out, or one unknown value between separators."""
    return fill.state == "exact" or (fill.state == "unknown" and fill.bounded)


def _field(grammar: SubjectGrammar, name: str) -> Field:
    return next(f for f in _fields(grammar) if f.name == name)


_LIT, _STAR, _ONE, _HOLE = "lit", "star", "one", "hole"
MAX_HOLES = 16
"""Unknown pieces read one by one; the last stands for everything after it."""
MAX_STAR_SPANS = 2
"""Stars in the form's own text followed to where they may end (`*:stack:infra:*`); after
these, and in patterns longer than ``MAX_STAR_SPAN_LENGTH``, everything after such a star is
read as open: the widest reading, at the cost of the reader before stars were followed."""
MAX_STAR_SPAN_LENGTH = 512


def _shape_tokens(pattern: Pattern) -> tuple[tuple[str, str], ...]:
    """The pattern as tokens; an unknown piece carries its number. IAM globs have no escape
    character: `\\` is a character."""
    tokens: list[tuple[str, str]] = []
    holes = 0
    for char in pattern.text:
        if char == UNKNOWN:
            tokens.append((_HOLE, str(holes)))
            holes += 1
            if holes == MAX_HOLES:
                break
        elif pattern.glob and char in "*?":
            tokens.append((_STAR if char == "*" else _ONE, char))
        else:
            tokens.append((_LIT, char))
    return tuple(tokens)


def _fields(grammar: SubjectGrammar) -> list[Field]:
    return [p for p in grammar.parts if isinstance(p, Field)]


Reading = tuple[dict[str, FieldFill], str]
"""The fields filled from some part on, and the made-up text of the tokens read."""


class _Reader:
    """Reads tokens against a grammar's parts, each field running to its stop character.

    A state is (token position, part, offset in a literal part, what covers the start of the
    field: ``hole`` an unknown piece, ``star`` a wildcard, or nothing). Each is read once, so
    trying the places an unknown piece or a wildcard may end costs at most once per state.
    """

    def __init__(self, tokens: tuple[tuple[str, str], ...], grammar: SubjectGrammar,
                 origins: tuple[str, ...]) -> None:
        self.tokens = tokens
        self.parts = grammar.parts
        self.origins = origins
        self.memo: dict[tuple[int, int, int, str], Reading | None] = {}
        self.stars = {pos: n for n, pos in enumerate(
            i for i, (kind, _) in enumerate(tokens) if kind == _STAR)}
        stops = [p.stop if isinstance(p, Field) else "" for p in self.parts]
        self.later_stops = [frozenset(s for s in stops[i + 1:] if s) for i in range(len(stops))]

    def read(self, pos: int, index: int, offset: int = 0, entered: str = "") -> Reading | None:
        key = (pos, index, offset, entered)
        if key not in self.memo:
            self.memo[key] = None  # a state never leads back to itself: positions advance
            self.memo[key] = self._read(pos, index, offset, entered)
        return self.memo[key]

    def _read(self, pos: int, index: int, offset: int, entered: str) -> Reading | None:
        tokens, parts = self.tokens, self.parts
        fills: dict[str, FieldFill] = {}
        out: list[str] = []
        while index < len(parts):
            part = parts[index]
            if isinstance(part, str):
                while offset < len(part):
                    if pos >= len(tokens):
                        return None
                    kind, char = tokens[pos]
                    if kind == _STAR:
                        # Where the star ends decides the fields after it; when that cannot
                        # be told, everything after it is open.
                        rest = self._star_span(pos, index, offset)
                        if rest is None:
                            rest = self._rest(index, "wild"), self._text(pos)
                        return _joined(fills, out, rest)
                    if kind == _HOLE:
                        # Literal text of the form itself (`repo:`, `:project:`) is not known
                        # to be there: nothing after it is.
                        return (fills | self._rest(index, "unknown"), "".join(out)
                                + part[offset:] + self._made_up(f"rest{index}", index + 1,
                                                                len(parts)))
                    if kind == _LIT and char != part[offset]:
                        return None
                    out.append(char)
                    pos += 1
                    offset += 1
                index, offset = index + 1, 0
                continue
            start = pos
            while pos < len(tokens) and tokens[pos] != (_LIT, part.stop):
                pos += 1
            value = tokens[start:pos]
            at_end = pos >= len(tokens)
            hole = next((i for i, (kind, _) in enumerate(value) if kind == _HOLE), None)
            if hole is not None and (self._swallows(value, index) or (at_end and part.stop)):
                # The unknown piece runs past this field's separator: realign after it.
                spanned = self._span(start + hole, index, value[:hole], entered)
                return _joined(fills, out + [self._text(start, start + hole)], spanned)
            if entered and self._swallows(value, index):
                return None  # beside an unknown piece, a field keeps to its own separators
            fills[part.name] = self._fill(value, entered)
            if part.values and not _may_be_one_of(fills[part.name], part.values):
                return None
            out.append(self._text(start, pos))
            if at_end and index + 1 < len(parts):
                # The pattern ends inside the subject: only a trailing star or unknown piece
                # can stand for the rest.
                if value and value[-1][0] == _STAR:
                    return fills | self._rest(index + 1, "wild"), "".join(out)
                if entered == "star" and not value:
                    return fills | self._rest(index + 1, "wild"), "".join(out)
                if entered and not value:
                    return (fills | self._rest(index + 1, "unknown"),
                            "".join(out) + self._made_up(f"rest{index}", index + 1, len(parts)))
                return None
            index, entered = index + 1, ""
        if pos < len(tokens):
            return None
        return fills, "".join(out)

    def _span(self, hole: int, index: int, head: tuple[tuple[str, str], ...],
              entered: str) -> Reading | None:
        """Realign after the unknown piece at token ``hole``, which starts inside field
        ``index`` after the tokens ``head``: it covers the fewest parts after which the rest
        of the pattern reads, ending at a separator or inside a later field."""
        parts = self.parts
        name = self.tokens[hole][1]
        covered = {parts[index].name: self._fill(head, entered, spanning=name)}
        for j in range(index + 1, len(parts)):
            inside = isinstance(parts[j], Field)
            reading = self.read(hole + 1, j, entered="hole" if inside else "")
            if reading is None:
                continue
            fills, rest = reading
            for part in parts[index + 1:j]:
                if isinstance(part, Field):
                    covered[part.name] = FieldFill("unknown", "", bounded=False,
                                                   inputs=self._inputs(name))
            made_up = (f"oidclint-input-{name}-{index}" + self._made_up(name, index + 1, j)
                       + (f"oidclint-input-{name}-{j}" if inside else ""))
            return covered | fills, made_up + rest
        return None

    def _star_span(self, star: int, index: int, offset: int) -> Reading | None:
        """Read on after the star at token ``star``, which stands at ``offset`` of literal
        part ``index``: it may end at any later place (inside a field, which it then opens,
        or inside a literal), so each place the rest of the pattern reads from is taken,
        the fields the star covers open, and each field is read as the widest of those
        readings (`*:stack:infra:*` pins the stack whatever the star covers). None when the
        star is the last token, past the first ``MAX_STAR_SPANS`` stars or in a long pattern
        (``MAX_STAR_SPAN_LENGTH``), or when no place reads."""
        if star + 1 >= len(self.tokens) or self.stars[star] >= MAX_STAR_SPANS \
                or len(self.tokens) > MAX_STAR_SPAN_LENGTH:
            return None
        parts = self.parts
        found: Reading | None = None
        for j in range(index, len(parts)):
            part = parts[j]
            if isinstance(part, Field):
                starts = [(0, "star"), (0, "")]
            else:
                starts = [(k, "") for k in range(offset if j == index else 0, len(part))]
            for at, entered in starts:
                reading = self.read(star + 1, j, at, entered)
                if reading is None:
                    continue
                fills, rest = reading
                covered = {p.name: OPEN for p in parts[index + 1:j] if isinstance(p, Field)}
                found = ((covered | fills, "*" + rest) if found is None else
                         (_widest(found[0], covered | fills), found[1]))
        return found

    def _swallows(self, value: tuple[tuple[str, str], ...], index: int) -> bool:
        """The field's text holds a separator of a later field."""
        later = self.later_stops[index]
        return any(kind == _LIT and char in later for kind, char in value)

    def _fill(self, value: tuple[tuple[str, str], ...], entered: str,
              spanning: str | None = None) -> FieldFill:
        """A field from its tokens; ``entered``: an unknown piece (``hole``) or a wildcard
        (``star``) covers its start; ``spanning``: the unknown piece of that name starts
        after ``value`` and runs on past the field's end."""
        text = self._shown(value)
        holes = [c for k, c in value if k == _HOLE] + ([spanning] if spanning else [])
        inputs = self._inputs(*holes)
        wild = next((i for i, (kind, _) in enumerate(value) if kind in (_STAR, _ONE)), None)
        if entered == "star":
            return FieldFill("wild", "*" + text, starts_wild=True, inputs=inputs)
        if entered or (spanning is not None and wild is None):
            return FieldFill("unknown", text, bounded=False, inputs=inputs)
        if wild is not None:
            return FieldFill("wild", text, starts_wild=wild == 0,
                             pinned=self._shown(value[:wild]), inputs=inputs)
        if inputs:
            return FieldFill("unknown", text, inputs=inputs)
        return FieldFill("exact", text)

    def _rest(self, index: int, state: str) -> dict[str, FieldFill]:
        return {p.name: FieldFill(state, "", starts_wild=state == "wild", bounded=False)
                for p in self.parts[index:] if isinstance(p, Field)}

    def _inputs(self, *names: str) -> tuple[str, ...]:
        return tuple(self.origins[int(n)] for n in names if int(n) < len(self.origins))

    def _shown(self, value: tuple[tuple[str, str], ...]) -> str:
        """Tokens as the user wrote them, an unknown piece as `${<input>}`."""
        return "".join(char if kind != _HOLE else
                       as_written(next(iter(self._inputs(char)), "..."))
                       for kind, char in value)

    def _text(self, start: int, end: int | None = None) -> str:
        """Tokens as the made-up text: each unknown piece a made-up name."""
        return "".join(f"oidclint-input-{char}" if kind == _HOLE else char
                       for kind, char in self.tokens[start:end])

    def _made_up(self, name: str, start: int, end: int) -> str:
        """Parts ``start`` to ``end`` written out, a made-up name in each field."""
        return "".join(p if isinstance(p, str) else f"oidclint-input-{name}-{i}"
                       for i, p in enumerate(self.parts[start:end], start))


OPEN = FieldFill("wild", "", starts_wild=True, bounded=False)
"""A field a wildcard covers whole."""


def _widest(a: dict[str, FieldFill], b: dict[str, FieldFill]) -> dict[str, FieldFill]:
    """Each field as the wider of two readings: open where either opens it or where they
    disagree, unknown where either leaves it unknown."""
    widest = {}
    for name in [*a, *(n for n in b if n not in a)]:
        x, y = a.get(name, OPEN), b.get(name, OPEN)
        if x == y:
            widest[name] = x
        elif "wild" in (x.state, y.state) or x.state == y.state == "exact":
            widest[name] = x if x.state == "wild" and x.starts_wild else \
                y if y.state == "wild" and y.starts_wild else OPEN
        else:  # unknown and exact, or two unknowns
            unknown = x if x.state == "unknown" else y
            widest[name] = FieldFill("unknown", unknown.text,
                                     bounded=x.bounded and y.bounded,
                                     inputs=tuple(dict.fromkeys(x.inputs + y.inputs)))
    return widest


def _may_be_one_of(fill: FieldFill, values: tuple[str, ...]) -> bool:
    """Whether a field's reading can be one of the only values the issuer writes there."""
    if fill.state == "exact":
        return fill.text in values
    if fill.state == "wild" and not fill.inputs:
        return any(glob_matches(fill.text, v) for v in values)
    return True


def _joined(fills: dict[str, FieldFill], out: list[str], rest: Reading | None) -> Reading | None:
    if rest is None:
        return None
    more, text = rest
    return fills | more, "".join(out) + text


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


def glob_covers(outer: str, inner: str) -> bool:
    """Whether every text the glob ``inner`` matches, ``outer`` matches too (a sufficient
    test: true only when each piece of ``inner`` is taken by a piece of ``outer`` that takes
    whatever it stands for: a character by itself, ``?`` or ``*``; ``?`` by ``?`` or ``*``;
    ``*`` by ``*`` only). A search over pairs of positions."""
    seen: set[tuple[int, int]] = set()
    stack = [(0, 0)]
    while stack:
        i, j = stack.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(outer):
            if j == len(inner):
                return True
            continue
        if outer[i] == "*":
            stack.append((i + 1, j))
            if j < len(inner):
                stack.append((i, j + 1))
        elif j < len(inner) and inner[j] != "*" and (outer[i] == "?" or outer[i] == inner[j]):
            stack.append((i + 1, j + 1))
    return False


def _globs_intersect(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Is there a string both globs match? A search over pairs of positions. ``FIELD``
    matches any run of characters but the field separators."""
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
        for field_side, other, done, more in ((ca, cb, (i + 1, j), (i, j + 1)),
                                              (cb, ca, (i, j + 1), (i + 1, j))):
            if field_side == FIELD:
                stack.append(done)
                # It takes the other side's character, or its `?`, when no separator.
                if other is not None and other not in ("*", FIELD) and (
                        other == "?" or other.lstrip("\\") not in FIELD_SEPARATORS):
                    stack.append(more)
        if FIELD in (ca, cb):
            if FIELD == ca and cb == "*":
                stack.append((i, j + 1))
            if FIELD == cb and ca == "*":
                stack.append((i + 1, j))
            continue
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


def may_intersect(a: Pattern, b: Pattern, ignore_case: bool = False) -> bool | None:
    """Whether some string matches both patterns, either of which may hold unknown pieces.

    An unknown piece is widened to ``*`` (a glob admitting anything in its place), so
    ``False`` means no value of the unknown pieces can make the two meet: the known parts
    already disagree (``system:serviceaccount:${ns}:api`` against ``...:worker``). ``None``
    when some value might; ``intersects`` when both are known.
    """
    if a.known and b.known and not ignore_case:
        return a.intersects(b)
    wide_a, wide_b = _widened(a, ignore_case), _widened(b, ignore_case)
    if wide_a is None or wide_b is None:
        return None
    if wide_a.intersects(wide_b):
        return True if a.known and b.known else None
    return False


def _widened(pattern: Pattern, ignore_case: bool) -> Pattern | None:
    """The glob admitting every string the pattern can stand for; ``None`` when a literal
    ``*`` or ``?`` of an exact value cannot be written as a glob."""
    text = pattern.text.casefold() if ignore_case else pattern.text
    if not pattern.glob and ("*" in text or "?" in text):
        return None if UNKNOWN in text or FIELD in text else Pattern(text, glob=False)
    return Pattern(text.replace(UNKNOWN, "*"), glob=True)
