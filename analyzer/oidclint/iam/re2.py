"""Regular expressions in RE2 syntax as Python ``re`` patterns.

Terraform's ``replace``, ``regex`` and ``regexall`` use Go's RE2 syntax
(https://developer.hashicorp.com/terraform/language/functions/regex,
https://github.com/google/re2/wiki/Syntax), and so does CEL's ``matches()`` in Google Cloud
attribute conditions (``iam.google_cel``;
https://github.com/google/cel-spec/blob/master/doc/langdef.md). Most of it means the same in
Python; the differences handled here: ``$`` is end of text unless ``(?m)``, ``\\z``,
``\\Q...\\E``, ``\\x{...}``, POSIX classes ``[[:alpha:]]``, ``(?<name>...)``, a ``{`` that
does not start a repetition is literal, the Perl classes are ASCII, and ``\\s`` holds no
vertical tab. What RE2 has and Python has not (``\\pL``, ungreedy ``(?U)``, flags in
mid-pattern) raises ``Unsupported``: the caller then treats the result as unknown instead of
guessing. Python-only syntax (lookaround, backreferences) is invalid RE2 and raises
``InvalidPattern``.

RE2 matches in linear time; Python's ``re`` backtracks, and a pattern such as ``(a+)+$`` takes
exponential time. So the translator also reads the pattern's structure (``_Shape``: atoms,
sequences, alternations, repetitions; ``re``'s own parser is private) and, before each use,
bounds the steps a backtracking match can take on the text at hand (``RE2Pattern.steps``). Past
``MAX_STEPS`` the match is not run: ``TooSlow``, so the value is unknown, never a hang.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from typing import Iterator

_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\x00-\\x7f", "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f", "digit": "0-9", "graph": "!-~", "lower": "a-z",
    "print": " -~", "punct": "!-/:-@\\[-`{-~", "space": "\\t\\n\\v\\f\\r ", "upper": "A-Z",
    "word": "0-9A-Za-z_", "xdigit": "0-9A-Fa-f",
}
_REPETITION = re.compile(r"\{\d+(?:,\d*)?\}")
_GROUP_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TEMPLATE_NAME = re.compile(r"[A-Za-z0-9_]+")


class Unsupported(ValueError):
    """Valid RE2 that Python cannot express exactly."""


class InvalidPattern(ValueError):
    """Not a valid RE2 pattern (Terraform would reject it)."""


class TooSlow(Exception):
    """A search Python's backtracking could not finish in bounded time on this text (RE2,
    linear, would): the result is unknown, and the evaluation says so."""


MAX_STEPS = 20_000_000
"""Backtracking steps a match may take, by ``RE2Pattern.steps``: a second or two in ``re``."""

RE2_SPACE = "\\t\\n\\f\\r "
"""The characters of RE2's ``\\s`` (https://github.com/google/re2/wiki/Syntax)."""

MAX_REPEAT = 1000
"""RE2 refuses a repetition count above this (https://github.com/google/re2/wiki/Syntax,
"implementation restriction"); Go's regexp, which Terraform uses, too."""


class RE2Pattern:
    """A translated pattern that runs only when its backtracking is bounded on the text."""

    def __init__(self, source: str, compiled: re.Pattern[str], shape: "_Shape") -> None:
        self.source = source
        """The RE2 pattern as written."""
        self.compiled = compiled
        self.shape = shape

    @property
    def groups(self) -> int:
        return self.compiled.groups

    @property
    def groupindex(self):
        return self.compiled.groupindex

    def steps(self, text: str) -> int:
        """An upper bound of the steps a backtracking search through ``text`` takes."""
        return self.shape.steps(text)

    def _bounded(self, text: str) -> str:
        if self.steps(text) > MAX_STEPS:
            raise TooSlow(f"the pattern `{self.source}` could backtrack for more than "
                          f"{MAX_STEPS:,} steps on a text of {len(text):,} characters")
        return text

    @property
    def widths(self) -> tuple[int, int | None]:
        """The fewest and most characters a match spans (``None``: no bound)."""
        return _min_width(self.shape.root), _max_width(self.shape.root)

    @property
    def anchored(self) -> bool:
        """Whether the pattern tests a position (``^``, ``$``, ``\\b`` ...): then whether it
        matches depends on text around the match too."""
        return self.shape.has_assertion(self.shape.root)

    def check(self, text: str) -> None:
        """Raises ``TooSlow`` when searching ``text`` could backtrack past the bound."""
        self._bounded(text)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.compiled.finditer(self._bounded(text))

    def search(self, text: str) -> re.Match[str] | None:
        return self.compiled.search(self._bounded(text))

    def sub(self, replacement, text: str) -> str:
        return self.compiled.sub(replacement, self._bounded(text))


def compile_re2(pattern: str) -> RE2Pattern:
    """The Python pattern that matches what the RE2 ``pattern`` matches."""
    shape = _Shape()
    translated, multiline = _translate(pattern, shape)
    flags = re.ASCII | (re.MULTILINE if multiline else 0)
    try:
        compiled = re.compile(translated, flags)
    except re.error as exc:
        raise InvalidPattern(str(exc)) from None
    except (RecursionError, OverflowError):
        raise Unsupported("pattern too complex") from None
    return RE2Pattern(pattern, compiled, shape.finish())


def _translate(pattern: str, shape: "_Shape") -> tuple[str, bool]:
    out: list[str] = []
    multiline = False
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            start = i
            piece, i = _escape(pattern, i, in_class=False)
            out.append(piece)
            if pattern.startswith("\\Q", start):
                for char in pattern[start + 2:i].removesuffix("\\E"):
                    shape.atom(re.escape(char))
            elif piece in ("\\A", "\\Z", "\\b", "\\B"):
                shape.assertion(start=piece == "\\A", end=piece == "\\Z")
            else:
                shape.atom(piece)
            continue
        if ch == "[":
            piece, i = _char_class(pattern, i)
            out.append(piece)
            shape.atom(piece)
            continue
        if ch == "(" and pattern.startswith("(?", i):
            piece, i, flags = _group_opening(pattern, i, at_start=not out)
            multiline = multiline or "m" in flags
            out.append(piece)
            if piece.endswith(":") or piece.startswith("(?P<"):
                shape.open_group(piece)
            else:  # flags for the whole pattern, not a group
                shape.flags(piece)
            continue
        if ch == "$":
            out.append("$" if multiline else r"\Z")
            shape.assertion(end=not multiline)
        elif ch == "{":
            match = _REPETITION.match(pattern, i)
            if match and out:
                low, _, high = match.group()[1:-1].partition(",")
                if int(low) > MAX_REPEAT or (high and int(high) > MAX_REPEAT):
                    raise InvalidPattern(f"repetition count above {MAX_REPEAT}")
                out.append(match.group())
                shape.repeat(int(low), int(high) if high else None if "," in match.group()
                             else int(low))
                i = match.end()
                continue
            out.append(r"\{")
            shape.atom(r"\{")
        else:
            out.append(ch)
            if ch == "(":
                shape.open_group("(")
            elif ch == ")":
                shape.close()
            elif ch == "|":
                shape.alternative()
            elif ch in "*+?":
                shape.repeat(1 if ch == "+" else 0, 1 if ch == "?" else None, token=ch)
            elif ch == "^":
                shape.assertion(start=not multiline)
            else:
                shape.atom("." if ch == "." else re.escape(ch))
        i += 1
    return "".join(out), multiline


def _group_opening(pattern: str, i: int, at_start: bool) -> tuple[str, int, str]:
    """``(?P<n>``, ``(?<n>``, ``(?:``, ``(?flags)`` and ``(?flags:``."""
    rest = pattern[i + 2:]
    if rest.startswith("P<") or (rest.startswith("<") and not rest.startswith(("<=", "<!"))):
        start = i + 2 + (2 if rest.startswith("P<") else 1)
        match = _GROUP_NAME.match(pattern, start)
        if not match or not pattern.startswith(">", match.end()):
            raise InvalidPattern("invalid group name")
        return f"(?P<{match.group()}>", match.end() + 1, ""
    match = re.match(r"([imsU]*)(?:-([imsU]*))?([:)])", rest)
    if not match:
        raise InvalidPattern(f"unsupported group syntax at offset {i}")
    on, off, close = match.group(1), match.group(2) or "", match.group(3)
    if "U" in on + off:
        raise Unsupported("ungreedy flag (?U)")
    end = i + 2 + match.end()
    if close == ":":
        if "m" in on:
            raise Unsupported("scoped multi-line flag (?m:...)")
        flags = on + ("-" + off if off else "")
        return (f"(?{flags}:" if flags else "(?:"), end, ""
    if off or not at_start:
        # Python accepts global flags only at the very start of the pattern.
        raise Unsupported("inline flags after the start of the pattern")
    python_flags = on.replace("m", "")
    return (f"(?{python_flags})" if python_flags else ""), end, on


def _escape(pattern: str, i: int, in_class: bool) -> tuple[str, int]:
    if i + 1 >= len(pattern):
        raise InvalidPattern("trailing backslash")
    ch = pattern[i + 1]
    if ch == "z":
        return r"\Z", i + 2
    if ch == "Z":
        raise InvalidPattern(r"\Z is not RE2")
    if ch == "Q":
        end = pattern.find(r"\E", i + 2)
        literal = pattern[i + 2:] if end < 0 else pattern[i + 2:end]
        return re.escape(literal), len(pattern) if end < 0 else end + 2
    if ch == "x" and pattern.startswith("{", i + 2):
        end = pattern.find("}", i + 3)
        digits = pattern[i + 3:end] if end > 0 else ""
        if not digits or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise InvalidPattern(r"invalid \x{...} escape")
        code = int(digits, 16)
        if code > 0x10FFFF:
            raise InvalidPattern(r"invalid \x{...} escape")
        return f"\\U{code:08x}", end + 1
    if ch in "pPC":
        raise Unsupported(f"\\{ch} classes")
    if ch in "sS":
        # RE2's \s is [\t\n\f\r ]: no vertical tab, which Python's ASCII \s has.
        if ch == "S" and in_class:
            raise Unsupported(r"\S inside a character class")
        return (RE2_SPACE if in_class else f"[{'^' if ch == 'S' else ''}{RE2_SPACE}]"), i + 2
    if ch in "01234567":
        # Go reads up to three octal digits; a lone non-zero digit would be a backreference.
        digits = re.match(r"[0-7]{1,3}", pattern[i + 1:i + 4]).group()
        if len(digits) == 1 and ch != "0":
            raise InvalidPattern("backreferences are not RE2")
        return f"\\u{int(digits, 8):04x}", i + 1 + len(digits)
    if ch in "89":
        raise InvalidPattern("backreferences are not RE2")
    if ch == "x":
        digits = pattern[i + 2:i + 4]
        if len(digits) < 2 or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise InvalidPattern(r"invalid \x escape")
        return pattern[i:i + 4], i + 4
    if ch in "AbBdDsSwWfnrtv\\a" or not ch.isalnum():
        if ch == "b" and in_class:
            raise InvalidPattern(r"\b inside a character class")
        return pattern[i:i + 2], i + 2
    raise InvalidPattern(f"invalid escape \\{ch}")


def _char_class(pattern: str, i: int) -> tuple[str, int]:
    out = ["["]
    j = i + 1
    if pattern.startswith("^", j):
        out.append("^")
        j += 1
    if pattern.startswith("]", j):
        out.append(r"\]")
        j += 1
    while j < len(pattern):
        ch = pattern[j]
        if ch == "]":
            return "".join(out) + "]", j + 1
        if ch == "[" and pattern.startswith("[:", j):
            end = pattern.find(":]", j + 2)
            name = pattern[j + 2:end] if end > 0 else ""
            negated = name.startswith("^")
            name = name.lstrip("^")
            if name not in _POSIX_CLASSES:
                raise InvalidPattern(f"invalid character class [:{name}:]")
            if negated:
                raise Unsupported("negated POSIX class inside a bracket")
            out.append(_POSIX_CLASSES[name])
            j = end + 2
            continue
        if ch == "\\":
            piece, j = _escape(pattern, j, in_class=True)
            out.append(piece)
            continue
        out.append("\\[" if ch == "[" else ch)
        j += 1
    raise InvalidPattern("missing closing ]")


def expand_template(template: str, match: re.Match[str]) -> str:
    """Go's ``Regexp.Expand``: ``$1``, ``${1}``, ``$name``, ``${name}``; ``$$`` is ``$``.

    A ``$name`` takes the longest run of letters, digits and ``_``, and a group that does not
    exist expands to nothing (so ``$1x`` is group ``1x``, empty).
    """
    out: list[str] = []
    i, n = 0, len(template)
    while i < n:
        ch = template[i]
        if ch != "$" or i + 1 >= n:
            out.append(ch)
            i += 1
            continue
        nxt = template[i + 1]
        if nxt == "$":
            out.append("$")
            i += 2
            continue
        if nxt == "{":
            end = template.find("}", i + 2)
            name = template[i + 2:end] if end > 0 else ""
            if end > 0 and _TEMPLATE_NAME.fullmatch(name):
                out.append(_group(match, name))
                i = end + 1
                continue
            out.append("$")
            i += 1
            continue
        named = _TEMPLATE_NAME.match(template, i + 1)
        if named:
            out.append(_group(match, named.group()))
            i = named.end()
            continue
        out.append("$")
        i += 1
    return "".join(out)


def _group(match: re.Match[str], name: str) -> str:
    try:
        value = match.group(int(name) if name.isdigit() else name)
    except IndexError:
        return ""
    return value or ""


# --- how far a backtracking match can go ------------------------------------------------


@dataclass(frozen=True)
class Atom:
    """One character: ``piece`` is its Python pattern, ``flags`` the inline flags in force."""

    piece: str
    flags: frozenset[str]

    @property
    def literal(self) -> str | None:
        """The character the atom stands for; ``None`` for a class (``.``, ``\\d``, ``[...]``).
        Flags are not applied: under ``i`` it matches the other case too."""
        piece = self.piece
        if len(piece) == 1:
            return None if piece == "." else piece
        if len(piece) == 2 and piece[0] == "\\" and not piece[1].isalnum():
            return piece[1]
        if match := _ESCAPED_CHARACTER.fullmatch(piece):
            return chr(int(next(g for g in match.groups() if g), 16))
        return _CONTROL_CHARACTERS.get(piece)


@dataclass(frozen=True)
class Assertion:
    start: bool = False
    """``^`` or ``\\A`` outside multi-line mode: a search tries only the first position."""
    end: bool = False
    """``$`` outside multi-line mode, or ``\\z``: only the end of the text."""


@dataclass
class Group:
    """Alternatives, each a sequence of atoms, assertions, groups and repeats; a whole
    pattern is one (``RE2Pattern.shape.root``)."""

    alternatives: list[list[object]]


@dataclass
class Repeat:
    """``item`` repeated ``low`` to ``high`` times (``None``: no upper bound)."""

    item: object
    low: int
    high: int | None


@dataclass(frozen=True)
class _Tail:
    """What a backtracking matcher faces from some point of the pattern to its end."""

    cost: int
    """At most this many steps, over every way of going on, before it succeeds or fails."""
    first: frozenset[Atom]
    """The characters it can start with."""
    nullable: bool
    """It can also succeed without a character."""
    ways: int
    """At most this many ways of succeeding."""


_END = _Tail(0, frozenset(), True, 1)
_CAP = 10 ** 15  # counts beyond any budget are kept at this, so the arithmetic stays small
# Characters outside Latin-1 that classes tend to hold (negations, `.`, case folding):
# overlap of two classes is tested on Latin-1, these and the characters the pattern names.
_PROBES = "\u0100\u0130\u0131\u017f\u212a\u4e2d\uffff\U0010ffff"
_ESCAPED_CHARACTER = re.compile(r"\\U([0-9a-f]{8})|\\u([0-9a-f]{4})|\\x([0-9a-fA-F]{2})")
_CONTROL_CHARACTERS = {"\\a": "\a", "\\f": "\f", "\\n": "\n", "\\r": "\r", "\\t": "\t", "\\v": "\v"}


class _Shape:
    """A pattern's structure, built as the translator reads it, and the bound on the steps a
    backtracking search through a given text takes with it.

    The bound follows how ``re`` backtracks: a repetition retries what follows it after each
    possible number of iterations, and an alternation tries each branch. Two refinements keep
    ordinary patterns cheap: a repetition whose item cannot start what follows it (``\\d+:``)
    hands over at one count only, and an alternation whose branches start with different
    characters succeeds one way at most. Nested repetitions and ambiguous alternations under
    a repetition multiply, so ``(a+)+`` and ``(a|ab)*`` are bounded by an exponential in the
    text's length, and refused beyond a few characters."""

    def __init__(self) -> None:
        self._open: list[tuple[Group, frozenset[str]]] = [(Group([[]]), frozenset())]
        self._flags: frozenset[str] = frozenset()
        self._after_repeat = False
        self.root = Group([[]])
        self._masks: dict[Atom, int] = {}

    # building, token by token ------------------------------------------------------------

    def _add(self, node: object) -> None:
        self._open[-1][0].alternatives[-1].append(node)
        self._after_repeat = False

    def atom(self, piece: str) -> None:
        self._add(Atom(piece, self._flags))

    def assertion(self, start: bool = False, end: bool = False) -> None:
        self._add(Assertion(start, end))

    def flags(self, piece: str) -> None:
        """``(?is)`` at the start of the pattern."""
        self._flags = self._flags | set(piece.strip("(?)"))

    def open_group(self, piece: str) -> None:
        self._open.append((Group([[]]), self._flags))
        if piece.startswith("(?") and not piece.startswith("(?P<"):
            on, _, off = piece[2:-1].partition("-")
            self._flags = (self._flags | set(on)) - set(off)
        self._after_repeat = False

    def close(self) -> None:
        if len(self._open) > 1:  # an unbalanced `)` is re's error to report
            group, self._flags = self._open.pop()
            self._add(group)

    def alternative(self) -> None:
        self._open[-1][0].alternatives.append([])
        self._after_repeat = False

    def repeat(self, low: int, high: int | None, token: str = "") -> None:
        if token == "?" and self._after_repeat:
            self._after_repeat = False  # `*?`, `+?`, `??`: lazy, the same backtracking
            return
        items = self._open[-1][0].alternatives[-1]
        if items:
            items[-1] = Repeat(items[-1], low, high)
        self._after_repeat = True

    def finish(self) -> "_Shape":
        while len(self._open) > 1:
            self.close()
        self.root = self._open[0][0]
        return self

    @cached_property
    def _universe(self) -> str:
        """The characters two classes' overlap is tested on, found when first needed (reading
        the structure alone does not need them)."""
        named = set()
        for atom in self._atoms(self.root):
            named.update(atom.piece)
            for match in _ESCAPED_CHARACTER.finditer(atom.piece):
                code = int(next(g for g in match.groups() if g), 16)
                named.update(chr(c) for c in (code - 1, code, code + 1) if 0 <= c <= 0x10FFFF)
        return "".join(sorted(set(map(chr, range(256))) | set(_PROBES) | named))

    def has_assertion(self, node: object) -> bool:
        if isinstance(node, Assertion):
            return True
        if isinstance(node, Repeat):
            return self.has_assertion(node.item)
        if isinstance(node, Group):
            return any(self.has_assertion(i) for items in node.alternatives for i in items)
        return False

    def _atoms(self, node: object) -> Iterator[Atom]:
        if isinstance(node, Atom):
            yield node
        elif isinstance(node, Repeat):
            yield from self._atoms(node.item)
        elif isinstance(node, Group):
            for items in node.alternatives:
                for item in items:
                    yield from self._atoms(item)

    # the bound -----------------------------------------------------------------------------

    def steps(self, text: str) -> int:
        """Steps of a search through ``text``: a first estimate from the length alone, and a
        closer one (runs of each repeated class, starting characters) when that is too high."""
        rough = self._search_steps(text, exact=False)
        return rough if rough <= MAX_STEPS else self._search_steps(text, exact=True)

    def _search_steps(self, text: str, exact: bool) -> int:
        runs: dict[Atom, int] = {}

        def iterations(node: Repeat) -> int:
            if isinstance(node.item, Atom):
                if exact and node.item not in runs:
                    runs[node.item] = _longest_run(node.item, text)
                most = runs.get(node.item, len(text))
            else:
                width = _min_width(node.item)
                most = len(text) // width if width else len(text) + 1
            return most if node.high is None else min(most, node.high)

        tail = self._prepend(self.root, _END, iterations)
        first = tail.first
        items = self.root.alternatives
        if len(items) == 1 and items[0] and isinstance(items[0][0], Assertion) \
                and items[0][0].start:
            starts = 1
        elif exact and not tail.nullable:
            starts = _starting(first, text)
        else:
            starts = len(text) + 1
        return min(len(text) + starts * tail.cost, _CAP)

    def _prepend(self, node: object, tail: _Tail, iterations) -> _Tail:
        if isinstance(node, Atom):
            return _Tail(_capped(1 + tail.cost), frozenset((node,)), False, tail.ways)
        if isinstance(node, Assertion):
            return _Tail(_capped(1 + tail.cost), tail.first, tail.nullable, tail.ways)
        if isinstance(node, Group):
            branches = []
            for items in node.alternatives:
                branch = tail
                for item in reversed(items):
                    branch = self._prepend(item, branch, iterations)
                branches.append(branch)
            distinct = not any(b.nullable for b in branches) and self._disjoint(
                [b.first for b in branches])
            return _Tail(_capped(sum(b.cost for b in branches)),
                         frozenset().union(*(b.first for b in branches)),
                         any(b.nullable for b in branches),
                         max(b.ways for b in branches) if distinct
                         else _capped(sum(b.ways for b in branches)))
        assert isinstance(node, Repeat)
        body = self._prepend(node.item, _END, iterations)
        if not body.nullable:
            # An iteration is followed by another one or by the tail: read the item again
            # knowing what can follow it (`[a-z]+` before `[.-]`: one way, not one per count).
            after = _Tail(0, body.first | tail.first, tail.nullable, 1)
            body = self._prepend(node.item, after, iterations)
        count = iterations(node)
        paths = _geometric(body.ways, count)  # ways of making 0 ... count iterations
        hands_over_once = not tail.nullable and not body.nullable and self._disjoint(
            [body.first, tail.first])
        if hands_over_once:
            on = 1 if body.ways == 1 else paths
            cost = paths * (body.cost + 1) + on * tail.cost
            ways = on * tail.ways
        else:
            cost = paths * (body.cost + tail.cost)
            ways = paths * tail.ways
        optional = node.low == 0 or body.nullable
        return _Tail(_capped(cost), body.first | (tail.first if optional else frozenset()),
                     optional and tail.nullable, _capped(ways))

    def _disjoint(self, sets: list[frozenset[Atom]]) -> bool:
        seen = 0
        for atoms in sets:
            mask = 0
            for atom in atoms:
                mask |= self._mask(atom)
            if mask & seen:
                return False
            seen |= mask
        return True

    def _mask(self, atom: Atom) -> int:
        """The characters of the universe the atom matches, as bits."""
        if atom not in self._masks:
            matcher = re.compile(atom.piece, _flags(atom))
            self._masks[atom] = sum(1 << i for i, char in enumerate(self._universe)
                                    if matcher.fullmatch(char))
        return self._masks[atom]


def _flags(atom: Atom) -> int:
    return re.ASCII | (re.IGNORECASE if "i" in atom.flags else 0) | (
        re.DOTALL if "s" in atom.flags else 0)


def _longest_run(atom: Atom, text: str) -> int:
    """The most characters of ``text`` in a row the atom matches (a linear scan)."""
    runs = re.compile(f"(?:{atom.piece})+", _flags(atom)).finditer(text)
    return max((m.end() - m.start() for m in runs), default=0)


def _starting(first: frozenset[Atom], text: str) -> int:
    """Positions of ``text`` whose character can start a match."""
    counts = Counter(text)
    matchers = [re.compile(a.piece, _flags(a)) for a in first]
    return sum(n for char, n in counts.items() if any(m.fullmatch(char) for m in matchers))


def _min_width(node: object) -> int:
    if isinstance(node, Atom):
        return 1
    if isinstance(node, Repeat):
        return node.low * _min_width(node.item)
    if isinstance(node, Group):
        return min((sum(_min_width(i) for i in items) for items in node.alternatives),
                   default=0)
    return 0


def _max_width(node: object) -> int | None:
    if isinstance(node, Atom):
        return 1
    if isinstance(node, Repeat):
        item = _max_width(node.item)
        if item == 0:
            return 0
        return None if item is None or node.high is None else node.high * item
    if isinstance(node, Group):
        widths = [[_max_width(i) for i in items] for items in node.alternatives]
        if any(w is None for branch in widths for w in branch):
            return None
        return max((sum(branch) for branch in widths), default=0)
    return 0


def _geometric(ways: int, count: int) -> int:
    """1 + ways + ways² + ... + ways^count, kept at ``_CAP``."""
    if ways <= 1:
        return _capped(count + 1)
    total, term = 0, 1
    for _ in range(count + 1):
        total += term
        if total >= _CAP:
            return _CAP
        term *= ways
    return total


def _capped(value: int) -> int:
    return min(value, _CAP)
