"""Terraform's string functions (https://developer.hashicorp.com/terraform/language/functions).

Where a ``Partial`` string still gives an exact answer it is used: ``lower`` keeps the known
parts, ``trimprefix``/``startswith`` read the known beginning, ``replace`` and ``split`` find
the matches the known text decides (``oidclint.hcl.partial_text``).
"""

from __future__ import annotations

import posixpath
import re
from typing import Any, Callable

from oidclint.hcl import partial_text
from oidclint.iam import re2 as regex
from oidclint.hcl.calls import (
    Call, Function, any_unknown, length_known, list_arg, new_list, registry, text_arg,
    unknown_result, whole_number,
)
from oidclint.hcl.values import (
    Encoded, EvalError, UnknownElements, derived_unknown, has_unknown, is_unknown, json_text,
    to_bool, to_number, to_text, type_name, with_span,
)
from oidclint.limits import (
    MAX_ELEMENTS, MAX_STRING_LENGTH, MAX_VALUE_TEXT, TooLarge, reserve_elements, reserve_text,
)
from oidclint.source import LDict, Partial, Pieces, Str, Unknown, concat

STRING_FUNCTIONS: dict[str, Function] = {}
_function = registry(STRING_FUNCTIONS)


def _each_known_part(call: Call, transform: Callable[[str], str]) -> Any:
    """Apply a character-wise transform to every known part; unknown parts stay unknown."""
    value = text_arg(call.args[0], call)
    if isinstance(value, Unknown):
        return unknown_result(call)
    reserve_text(_length(value), f"{call.name}()")
    if isinstance(value, Partial):
        parts = [transform(p) if isinstance(p, str)
                 else Unknown(f"{call.name}() of {p.origin}", p.span) for p in value.parts]
        return concat(parts, call.span)
    return Str(transform(str(value)), call.span)


@_function("lower", 1, 1)
def _lower(call: Call) -> Any:
    return _each_known_part(call, str.lower)


@_function("upper", 1, 1)
def _upper(call: Call) -> Any:
    return _each_known_part(call, str.upper)


@_function("title", 1, 1)
def _title(call: Call) -> Any:
    value = text_arg(call.args[0], call)
    if is_unknown(value):
        return unknown_result(call)
    reserve_text(len(value), "title()")
    return Str(re.sub(r"\b[a-z]", lambda m: m.group().upper(), str(value)), call.span)


@_function("trimspace", 1, 1)
def _trimspace(call: Call) -> Any:
    value = text_arg(call.args[0], call)
    if isinstance(value, Partial):
        first, last = value.parts[0], value.parts[-1]
        # Exact only when the stripping stops inside known text at both ends.
        if isinstance(first, str) and first.strip() and isinstance(last, str) and last.strip():
            parts = list(value.parts)
            parts[0], parts[-1] = first.lstrip(), last.rstrip()
            return concat(parts, call.span)
        return unknown_result(call)
    if isinstance(value, Unknown):
        return unknown_result(call)
    reserve_text(len(value), "trimspace()")
    return Str(str(value).strip(), call.span)


@_function("trim", 2, 2)
def _trim(call: Call) -> Any:
    value, chars = (text_arg(a, call) for a in call.args)
    if is_unknown(value) or is_unknown(chars):
        return unknown_result(call)
    reserve_text(len(value), "trim()")
    return Str(str(value).strip(str(chars)), call.span)


@_function("trimprefix", 2, 2)
def _trimprefix(call: Call) -> Any:
    value, prefix = (text_arg(a, call) for a in call.args)
    if is_unknown(prefix) or isinstance(value, Unknown):
        return unknown_result(call)
    prefix = str(prefix)
    if isinstance(value, Partial):
        head = value.parts[0]
        if not isinstance(head, str):
            return unknown_result(call)
        if head.startswith(prefix):
            return concat((head[len(prefix):],) + value.parts[1:], call.span, value.ref)
        if prefix.startswith(head):
            return unknown_result(call)  # whether it matches depends on the unknown part
        return with_span(value, call.span)
    text = str(value)
    return Str(text[len(prefix):] if text.startswith(prefix) else text, call.span,
               getattr(value, "ref", None))


@_function("trimsuffix", 2, 2)
def _trimsuffix(call: Call) -> Any:
    value, suffix = (text_arg(a, call) for a in call.args)
    if is_unknown(suffix) or isinstance(value, Unknown):
        return unknown_result(call)
    suffix = str(suffix)
    if isinstance(value, Partial):
        tail = value.parts[-1]
        if not isinstance(tail, str):
            return unknown_result(call)
        if suffix and tail.endswith(suffix):
            return concat(value.parts[:-1] + (tail[: -len(suffix)],), call.span, value.ref)
        if suffix.endswith(tail):
            return unknown_result(call)
        return with_span(value, call.span)
    text = str(value)
    return Str(text[: -len(suffix)] if suffix and text.endswith(suffix) else text, call.span,
               getattr(value, "ref", None))


@_function("startswith", 2, 2)
def _startswith(call: Call) -> Any:
    value, prefix = (text_arg(a, call) for a in call.args)
    if is_unknown(prefix) or isinstance(value, Unknown):
        return unknown_result(call)
    known = value.known_prefix if isinstance(value, Partial) else str(value)
    if known.startswith(prefix):
        return True
    if isinstance(value, Partial) and str(prefix).startswith(known):
        return unknown_result(call)
    return False


@_function("endswith", 2, 2)
def _endswith(call: Call) -> Any:
    value, suffix = (text_arg(a, call) for a in call.args)
    if is_unknown(suffix) or isinstance(value, Unknown):
        return unknown_result(call)
    known = value.known_suffix if isinstance(value, Partial) else str(value)
    if known.endswith(suffix):
        return True
    if isinstance(value, Partial) and str(suffix).endswith(known):
        return unknown_result(call)
    return False


@_function("substr", 3, 3)
def _substr(call: Call) -> Any:
    value = text_arg(call.args[0], call)
    offset, length = whole_number(call.args[1], call), whole_number(call.args[2], call)
    if isinstance(value, Partial) and offset >= 0 and length >= 0 \
            and offset + length <= len(value.known_prefix):
        return Str(value.known_prefix[offset:offset + length], call.span)
    if is_unknown(value):
        return unknown_result(call)
    text = str(value)
    if offset < 0:
        offset += len(text)
    if offset < 0 or offset > len(text):
        raise EvalError("substr() offset out of range")
    end = len(text) if length < 0 else offset + length
    return Str(text[offset:end], call.span)


@_function("replace", 3, 3)
def _replace(call: Call) -> Any:
    # A substring in slashes is a regular expression, and `$1` in the replacement names its
    # groups (https://developer.hashicorp.com/terraform/language/functions/replace).
    value, search, replacement = (text_arg(a, call) for a in call.args)
    if is_unknown(search) or isinstance(value, Unknown):
        return unknown_result(call)
    search = str(search)
    if len(search) > 1 and search.startswith("/") and search.endswith("/"):
        if is_unknown(replacement):
            return unknown_result(call)
        try:
            pattern = regex.compile_re2(search[1:-1])
        except regex.Unsupported:
            return unknown_result(call)
        except regex.InvalidPattern as exc:
            if is_unknown(value):  # Terraform evaluates nothing with an unknown argument
                return unknown_result(call)
            raise EvalError(f"replace(): invalid regular expression: {exc}") from None
        if isinstance(value, Partial):
            return _replace_in_partial(value, partial_text.Expression.of(pattern), replacement,
                                       call)
        return Str(_replace_matches(pattern, str(replacement), str(value)), call.span)
    if isinstance(value, Partial):
        if not search:  # inserted between every two characters: how many is not known
            return with_span(value, call.span) if replacement == "" else unknown_result(call)
        return _replace_in_partial(value, partial_text.Literal(search), replacement, call)
    text = str(value)
    if is_unknown(replacement):
        return concat(_joined(text.split(search) if search else list(text), replacement,
                              ends=not search), call.span, what="replace()")
    # Go's strings.Replace, as Python's: an empty substring matches before every character
    # and at the end (https://pkg.go.dev/strings#Replace).
    reserve_text(_replaced_length(text, search, str(replacement)), "replace()")
    return Str(text.replace(search, str(replacement)), call.span)


def _joined(pieces: list[str], separator: Any, *, ends: bool) -> Pieces:
    """``pieces`` with ``separator`` between them, and before and after them when ``ends``."""
    joined = Pieces("replace()")
    if ends:
        joined.add(separator)
    for index, piece in enumerate(pieces):
        if index:
            joined.add(separator)
        joined.add(piece)
    if ends:
        joined.add(separator)
    return joined


def _replaced_length(text: str, search: str, replacement: str) -> int:
    """The length of ``text`` with every ``search`` replaced, without replacing."""
    return len(text) + text.count(search) * (len(replacement) - len(search))


def _replace_matches(pattern: Any, template: str, text: str) -> str:
    """``text`` with every match of ``pattern`` replaced by the expanded ``template``; the
    length is checked as each match is replaced, so that a replacement repeated a million
    times stops at the limit."""
    length = len(text)

    def expand(match: Any) -> str:
        nonlocal length
        expanded = regex.expand_template(template, match)
        length += len(expanded) - (match.end() - match.start())
        if length > MAX_STRING_LENGTH:
            reserve_text(length, "replace()")
        return expanded

    result = pattern.sub(expand, text)
    reserve_text(len(result), "replace()")
    return result


def _replace_in_partial(value: Partial, matcher: partial_text.Matcher | None,
                        replacement: Any, call: Call) -> Any:
    """Replace the matches the known text decides (``oidclint.hcl.partial_text``): the
    unknown pieces, and known text next to them that a match may take part of, become
    unknown pieces of the result. ``replace(<EKS issuer>, "https://", "")`` strips the
    scheme and keeps the rest of the issuer as known as it was."""
    if matcher is None:  # a pattern whose matches may be empty, unbounded or anchored
        return unknown_result(call)
    pieces = Pieces("replace()")
    for piece in partial_text.search(value, matcher):
        if isinstance(piece, partial_text.Unsettled):
            pieces.add(Unknown(f"replace() of {piece.origin}", call.span))
        elif isinstance(matcher, partial_text.Expression):
            pieces.add(_replace_matches(matcher.pattern, str(replacement), piece))
        elif is_unknown(replacement):
            pieces.extend(_joined(piece.split(matcher.search), replacement, ends=False))
        else:
            reserve_text(pieces.length + _replaced_length(piece, matcher.search,
                                                          str(replacement)), "replace()")
            pieces.add(piece.replace(matcher.search, str(replacement)))
    return concat(pieces, call.span, value.ref, what="replace()")


@_function("regex", 2, 2)
def _regex(call: Call) -> Any:
    matches = _regex_matches(call)
    if isinstance(matches, Unknown):
        return matches
    if not matches:
        raise EvalError("regex(): the pattern did not match")
    return matches[0]


@_function("regexall", 2, 2)
def _regexall(call: Call) -> Any:
    matches = _regex_matches(call)
    return matches if isinstance(matches, Unknown) else new_list(matches, call)


def _regex_matches(call: Call) -> Any:
    pattern_text, value = (text_arg(a, call) for a in call.args)
    if is_unknown(pattern_text) or is_unknown(value):
        return unknown_result(call)
    try:
        pattern = regex.compile_re2(str(pattern_text))
        matches = pattern.finditer(str(value))  # the backtracking bound is checked here
    except regex.Unsupported:
        return unknown_result(call)
    except regex.InvalidPattern as exc:
        raise EvalError(f"{call.name}(): invalid regular expression: {exc}") from None
    results = []
    for match in matches:
        if len(results) >= MAX_ELEMENTS:
            reserve_elements(len(results) + 1, f"{call.name}()")
        if pattern.groupindex:
            results.append(LDict({Str(k): Str(match.group(k) or "", call.span)
                                  for k in pattern.groupindex}, span=call.span))
        elif pattern.groups:
            results.append(new_list([Str(g or "", call.span) for g in match.groups()], call))
        else:
            results.append(Str(match.group(), call.span))
    return results


@_function("split", 2, 2)
def _split(call: Call) -> Any:
    separator, value = (text_arg(a, call) for a in call.args)
    if isinstance(value, Partial) and isinstance(separator, str) \
            and not is_unknown(separator) and separator:
        return _split_partial(value, str(separator), call)
    if is_unknown(separator) or is_unknown(value):
        return unknown_result(call)
    text = str(value)
    reserve_elements(text.count(str(separator)) + 1 if separator else len(text), "split()")
    if not separator:
        return new_list([Str(ch, call.span) for ch in text], call)
    return new_list([Str(piece, call.span) for piece in text.split(str(separator))], call)


def _split_partial(value: Partial, separator: str, call: Call) -> list:
    """The elements the known text decides; where an unknown piece (which may hold any
    number of separators) falls, any number of elements not known."""
    elements: list[Any] = []
    current, unsettled = Pieces("split()"), None

    def close() -> None:
        if unsettled is not None:
            elements.append(UnknownElements(f"split() of {unsettled.origin}", call.span))
        else:
            elements.append(concat(current, call.span, what="split()"))

    for piece in partial_text.search(value, partial_text.Literal(separator)):
        if isinstance(piece, partial_text.Unsettled):
            unsettled = unsettled or piece
            continue
        reserve_elements(len(elements) + piece.count(separator) + 1, "split()")
        first, *rest = piece.split(separator)
        current.add(first)
        for text in rest:
            close()
            current, unsettled = Pieces("split()"), None
            current.add(text)
    close()
    return new_list(elements, call)


@_function("join", 2)
def _join(call: Call) -> Any:
    separator = text_arg(call.args[0], call)
    if is_unknown(separator):
        return unknown_result(call)
    separator = str(separator)  # once: every piece between two items is this one string
    items = [i for arg in call.args[1:] if not isinstance(arg, Unknown)
             for i in list_arg(arg, call)]
    if len(items) == 1 and isinstance(items[0], Encoded) \
            and not any(isinstance(a, Unknown) for a in call.args[1:]):
        # One document's JSON joined alone (`join("", data.x[*].json)` over one instance) is
        # that text: it keeps the located value it encodes.
        return items[0]
    pieces = Pieces("join()")
    joined = False  # an item is in: the next one comes after a separator
    for items in call.args[1:]:
        if isinstance(items, Unknown):
            return unknown_result(call)
        for item in list_arg(items, call):
            if isinstance(item, UnknownElements):
                # Any number of items with their separators: `,x,y` after an item, `x,y,`
                # before the first (which then adds no separator of its own).
                pieces.add(Unknown(f"join() of {item.origin}", call.span))
                continue
            if joined:
                pieces.add(separator)
            pieces.add(text_arg(item, call))
            joined = True
    return concat(pieces, call.span, what="join()")


@_function("format", 1)
def _format(call: Call) -> Any:
    spec = text_arg(call.args[0], call)
    if is_unknown(spec):
        return unknown_result(call)
    return concat(_format_pieces(str(spec), call.args[1:], call), call.span, what="format()")


@_function("formatlist", 1)
def _formatlist(call: Call) -> Any:
    spec = text_arg(call.args[0], call)
    if is_unknown(spec) or any_unknown(call.args[1:]):
        return unknown_result(call)
    lengths = {len(a) for a in call.args[1:] if isinstance(a, list)}
    if len(lengths) > 1:
        raise EvalError("formatlist(): lists of different lengths")
    if any(not length_known(a) for a in call.args[1:] if isinstance(a, list)):
        return unknown_result(call)
    count = lengths.pop() if lengths else 1
    reserve_elements(count, "formatlist()")
    rows, characters = [], 0
    for i in range(count):
        args = [a[i] if isinstance(a, list) else a for a in call.args[1:]]
        rows.append(concat(_format_pieces(str(spec), args, call), call.span,
                           what="formatlist()"))
        characters += _length(rows[-1])
        if characters > MAX_VALUE_TEXT:
            raise TooLarge(f"formatlist() would build a list holding more than "
                           f"{MAX_VALUE_TEXT:,} characters")
    return new_list(rows, call)


_VERB = re.compile(r"%([+\- #0]*)(?:\[(\d+)\])?(\d+)?(?:\.(\d*))?([a-zA-Z%])")


def _format_pieces(spec: str, args: list[Any], call: Call) -> list[Any]:
    """Terraform's ``format`` verbs (%s %v %q %d %t %f %e %g %x %X %o %b, flags, width,
    precision, ``%[n]``)."""
    pieces: list[Any] = []
    position, used = 0, set()
    last = 0
    for match in _VERB.finditer(spec):
        pieces.append(spec[last:match.start()])
        last = match.end()
        flags, index, width, precision, verb = match.groups()
        if verb == "%":
            pieces.append("%")
            continue
        if index:
            position = int(index) - 1
        if position >= len(args) or position < 0:
            raise EvalError("format(): not enough arguments for the format string")
        arg = args[position]
        used.add(position)
        position += 1
        pieces.append(_format_one(arg, flags, width, precision, verb, call))
    pieces.append(spec[last:])
    if len(used) < len(args) and not any(m.group(2) for m in _VERB.finditer(spec)):
        raise EvalError(f"format(): too many arguments; only {len(used)} used by the format string")
    return pieces


def _format_one(arg: Any, flags: str, width: str | None, precision: str | None, verb: str,
                call: Call) -> Any:
    # A width or precision is a length the verb builds before anything else can see it.
    for length in (width, precision):
        if length and int(length) > MAX_STRING_LENGTH:
            reserve_text(int(length), f"{call.name}()")
    if isinstance(arg, (Unknown, Partial)):
        if verb in "sv" and not width and precision is None:
            return arg
        return derived_unknown("format()", [arg], call.span)
    if isinstance(arg, (list, dict)) and has_unknown(arg):
        return Unknown(f"format() of a {type_name(arg)} with unknown elements", call.span)
    if verb in "sv":
        if verb == "v" and isinstance(arg, (list, dict)):
            text = json_text(arg, f"{call.name}()")
        elif verb == "v" and "#" in flags:
            text = json_text(arg, f"{call.name}()")
        else:
            if isinstance(arg, (list, dict)):
                raise EvalError("format(): %s needs a string")
            text = str(to_text(arg, call.span))
        if precision:
            text = text[: int(precision)]
    elif verb == "q":
        text = json_text(str(to_text(arg, call.span)), f"{call.name}()")
    elif verb == "t":
        value = to_bool(arg)
        text = "true" if value else "false"
    elif verb in "dboxXeEfgG":
        number = to_number(arg)
        if verb in "dboxX":
            if float(number) != int(number):
                raise EvalError(f"format(): %{verb} needs a whole number")
            python = {"d": "d", "b": "b", "o": "o", "x": "x", "X": "X"}[verb]
            text = format(int(number), ("+" if "+" in flags else "") + python)
        else:
            default = ".6" if verb in "eEf" else ""
            digits = f".{precision or 0}" if precision is not None else default
            text = format(float(number), ("+" if "+" in flags else "") + digits + verb)
    else:
        raise EvalError(f"format(): unsupported verb %{verb}")
    if width:
        if "-" in flags:
            text = text.ljust(int(width))
        elif "0" in flags and verb in "dboxXeEfgG":
            sign = text[0] if text[:1] in "+-" else ""
            text = sign + text[len(sign):].rjust(int(width) - len(sign), "0")
        else:
            text = text.rjust(int(width))
    return text


@_function("strrev", 1, 1)
def _strrev(call: Call) -> Any:
    value = text_arg(call.args[0], call)
    if is_unknown(value):
        return unknown_result(call)
    text = str(value)
    # Terraform reverses grapheme clusters, not code points (https://developer.hashicorp.com/
    # terraform/language/functions/strrev): only ASCII text, where the two are the same, is
    # reversed here.
    if not text.isascii():
        return unknown_result(call, [Unknown("strrev() of text beyond ASCII", call.span)])
    reserve_text(len(text), "strrev()")
    return Str(text[::-1], call.span)


@_function("indent", 2, 2)
def _indent(call: Call) -> Any:
    # Every line but the first gets the spaces, a line after a final newline too
    # (https://developer.hashicorp.com/terraform/language/functions/indent).
    spaces, value = call.args
    if is_unknown(spaces):
        return unknown_result(call)
    count = whole_number(spaces, call)
    if count < 0:
        raise EvalError("indent() needs a number of spaces that is not negative")
    value = text_arg(value, call)
    if isinstance(value, Unknown):
        return unknown_result(call)
    if isinstance(value, Partial):
        lines = sum(p.count("\n") for p in value.parts if isinstance(p, str))
    else:
        lines = str(value).count("\n")
    reserve_text(_length(value) + lines * count, "indent()")
    pad = "\n" + " " * count
    if isinstance(value, Partial):
        return concat([p.replace("\n", pad) if isinstance(p, str) else p for p in value.parts],
                      call.span, what="indent()")
    return Str(str(value).replace("\n", pad), call.span)


def _length(value: Any) -> int:
    """The characters of a string, or of the known parts of a ``Partial``."""
    if isinstance(value, Partial):
        return sum(len(p) for p in value.parts if isinstance(p, str))
    return len(value) if isinstance(value, str) else 0


@_function("tostring", 1, 1)
def _tostring(call: Call) -> Any:
    value = call.args[0]
    if value is None or is_unknown(value):
        return value
    if isinstance(value, str):
        return value
    return to_text(value, call.span)


@_function("tonumber", 1, 1)
def _tonumber(call: Call) -> Any:
    value = call.args[0]
    if value is None:
        return None
    if is_unknown(value):
        return unknown_result(call)
    return to_number(value)


@_function("tobool", 1, 1)
def _tobool(call: Call) -> Any:
    value = call.args[0]
    if value is None:
        return None
    if is_unknown(value):
        return unknown_result(call)
    return to_bool(value)


# Filesystem paths as text, as Go's path/filepath takes them on Linux
# (https://developer.hashicorp.com/terraform/language/functions/dirname, .../basename).

@_function("dirname", 1, 1)
def _dirname(call: Call) -> Any:
    value = text_arg(call.args[0], call)
    if is_unknown(value):
        return unknown_result(call)
    text = str(value)
    return Str(posixpath.normpath(text[:text.rfind("/") + 1]) if "/" in text else ".",
               call.span)


@_function("basename", 1, 1)
def _basename(call: Call) -> Any:
    value = text_arg(call.args[0], call)
    if is_unknown(value):
        return unknown_result(call)
    text = str(value).rstrip("/")
    if not text:
        return Str("/" if str(value) else ".", call.span)
    return Str(text.rsplit("/", 1)[-1], call.span)
