"""Terraform regular expressions (RE2 syntax) as Python ``re`` patterns.

Terraform's ``replace``, ``regex`` and ``regexall`` use Go's RE2 syntax
(https://developer.hashicorp.com/terraform/language/functions/regex,
https://github.com/google/re2/wiki/Syntax). Most of it means the same in Python; the
differences handled here: ``$`` is end of text unless ``(?m)``, ``\\z``, ``\\Q...\\E``,
``\\x{...}``, POSIX classes ``[[:alpha:]]``, ``(?<name>...)``, a ``{`` that does not start a
repetition is literal, and the Perl classes are ASCII. What RE2 has and Python has not
(``\\pL``, ungreedy ``(?U)``, flags in mid-pattern) raises ``Unsupported``: the caller then
treats the result as unknown instead of guessing. Python-only syntax (lookaround,
backreferences) is invalid RE2 and raises ``InvalidPattern``.
"""

from __future__ import annotations

import re

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


def compile_re2(pattern: str) -> re.Pattern[str]:
    """The Python pattern that matches what the RE2 ``pattern`` matches."""
    translated, multiline = _translate(pattern)
    flags = re.ASCII | (re.MULTILINE if multiline else 0)
    try:
        return re.compile(translated, flags)
    except re.error as exc:
        raise InvalidPattern(str(exc)) from None
    except (RecursionError, OverflowError):
        raise Unsupported("pattern too complex") from None


def _translate(pattern: str) -> tuple[str, bool]:
    out: list[str] = []
    multiline = False
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            piece, i = _escape(pattern, i, in_class=False)
            out.append(piece)
            continue
        if ch == "[":
            piece, i = _char_class(pattern, i)
            out.append(piece)
            continue
        if ch == "(" and pattern.startswith("(?", i):
            piece, i, flags = _group_opening(pattern, i, at_start=not out)
            multiline = multiline or "m" in flags
            out.append(piece)
            continue
        if ch == "$":
            out.append("$" if multiline else r"\Z")
        elif ch == "{":
            match = _REPETITION.match(pattern, i)
            if match and out:
                out.append(match.group())
                i = match.end()
                continue
            out.append(r"\{")
        else:
            out.append(ch)
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
    if ch in "01234567":
        # Go reads up to three octal digits; a lone non-zero digit would be a backreference.
        digits = re.match(r"[0-7]{1,3}", pattern[i + 1:i + 4]).group()
        if len(digits) == 1 and ch != "0":
            raise InvalidPattern("backreferences are not RE2")
        return f"\\u{int(digits, 8):04x}", i + 1 + len(digits)
    if ch in "89":
        raise InvalidPattern("backreferences are not RE2")
    if ch in "AbBdDsSwWfnrtv\\ax" or not ch.isalnum():
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
