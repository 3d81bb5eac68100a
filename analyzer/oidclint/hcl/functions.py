"""The Terraform functions seen around trust policies, over located values.

Behaviour follows https://developer.hashicorp.com/terraform/language/functions. A function
given an unknown argument returns ``Unknown`` unless the result is still exactly known:
``concat`` keeps known elements beside the unknown ones, ``format`` and ``join`` build a
``Partial``, ``trimprefix``/``replace`` may work on the known text of a ``Partial``. A function
that is not here is evaluated by the caller to ``Unknown("function NAME")``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from oidclint.hcl import regex
from oidclint.hcl.values import (
    Encoded, EvalError, UnknownElements, derived_unknown, has_unknown, is_unknown, json_text,
    same_value, to_bool, to_number, to_text, type_name, with_span,
)
from oidclint.source import LDict, LList, Partial, Span, Str, Unknown, concat


@dataclass
class Call:
    name: str
    args: list[Any]
    span: Span | None


Function = Callable[[Call], Any]
FUNCTIONS: dict[str, Function] = {}


def _function(name: str, least: int, most: int | None = None):
    """Register a function taking ``least`` to ``most`` arguments (``None``: any number)."""
    def register(fn: Function) -> Function:
        def checked(call: Call) -> Any:
            count = len(call.args)
            if count < least or (most is not None and count > most):
                wanted = str(least) if most == least else f"{least} to {most if most is not None else 'any'}"
                raise EvalError(f"{name}() takes {wanted} arguments, got {count}")
            return fn(call)
        FUNCTIONS[name] = checked
        return fn
    return register


def _unknown(call: Call, args: Any = None) -> Unknown:
    return derived_unknown(f"{call.name}()", call.args if args is None else args, call.span)


def _any_unknown(values: Any) -> bool:
    return any(is_unknown(v) for v in values)


def _string(value: Any, call: Call) -> Any:
    return to_text(value, call.span)


def _list(value: Any, call: Call) -> list:
    if isinstance(value, list):
        return value
    raise EvalError(f"{call.name}() expects a list, got a {type_name(value)}")


def _map(value: Any, call: Call) -> dict:
    if isinstance(value, dict):
        return value
    raise EvalError(f"{call.name}() expects a map, got a {type_name(value)}")


def _integer(value: Any, call: Call) -> int:
    number = to_number(value)
    if not isinstance(number, (int, float)) or float(number) != int(number):
        raise EvalError(f"{call.name}() expects a whole number, got {value!r}")
    return int(number)


def _out(items: Any, call: Call) -> LList:
    return LList(items, span=call.span)


def _length_known(items: list) -> bool:
    return not any(isinstance(v, UnknownElements) for v in items)


# --- strings -----------------------------------------------------------------------------


def _each_known_part(call: Call, transform: Callable[[str], str]) -> Any:
    """Apply a character-wise transform to every known part; unknown parts stay unknown."""
    value = _string(call.args[0], call)
    if isinstance(value, Unknown):
        return _unknown(call)
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
    value = _string(call.args[0], call)
    if is_unknown(value):
        return _unknown(call)
    return Str(re.sub(r"\b[a-z]", lambda m: m.group().upper(), str(value)), call.span)


@_function("trimspace", 1, 1)
def _trimspace(call: Call) -> Any:
    value = _string(call.args[0], call)
    if isinstance(value, Partial):
        first, last = value.parts[0], value.parts[-1]
        # Exact only when the stripping stops inside known text at both ends.
        if isinstance(first, str) and first.strip() and isinstance(last, str) and last.strip():
            parts = list(value.parts)
            parts[0], parts[-1] = first.lstrip(), last.rstrip()
            return concat(parts, call.span)
        return _unknown(call)
    if isinstance(value, Unknown):
        return _unknown(call)
    return Str(str(value).strip(), call.span)


@_function("trim", 2, 2)
def _trim(call: Call) -> Any:
    value, chars = (_string(a, call) for a in call.args)
    if is_unknown(value) or is_unknown(chars):
        return _unknown(call)
    return Str(str(value).strip(str(chars)), call.span)


@_function("trimprefix", 2, 2)
def _trimprefix(call: Call) -> Any:
    value, prefix = (_string(a, call) for a in call.args)
    if is_unknown(prefix) or isinstance(value, Unknown):
        return _unknown(call)
    prefix = str(prefix)
    if isinstance(value, Partial):
        head = value.parts[0]
        if not isinstance(head, str):
            return _unknown(call)
        if head.startswith(prefix):
            return concat((head[len(prefix):],) + value.parts[1:], call.span, value.ref)
        if prefix.startswith(head):
            return _unknown(call)  # whether it matches depends on the unknown part
        return with_span(value, call.span)
    text = str(value)
    return Str(text[len(prefix):] if text.startswith(prefix) else text, call.span,
               getattr(value, "ref", None))


@_function("trimsuffix", 2, 2)
def _trimsuffix(call: Call) -> Any:
    value, suffix = (_string(a, call) for a in call.args)
    if is_unknown(suffix) or isinstance(value, Unknown):
        return _unknown(call)
    suffix = str(suffix)
    if isinstance(value, Partial):
        tail = value.parts[-1]
        if not isinstance(tail, str):
            return _unknown(call)
        if suffix and tail.endswith(suffix):
            return concat(value.parts[:-1] + (tail[: -len(suffix)],), call.span, value.ref)
        if suffix.endswith(tail):
            return _unknown(call)
        return with_span(value, call.span)
    text = str(value)
    return Str(text[: -len(suffix)] if suffix and text.endswith(suffix) else text, call.span,
               getattr(value, "ref", None))


@_function("startswith", 2, 2)
def _startswith(call: Call) -> Any:
    value, prefix = (_string(a, call) for a in call.args)
    if is_unknown(prefix) or isinstance(value, Unknown):
        return _unknown(call)
    known = value.known_prefix if isinstance(value, Partial) else str(value)
    if known.startswith(prefix):
        return True
    if isinstance(value, Partial) and str(prefix).startswith(known):
        return _unknown(call)
    return False


@_function("endswith", 2, 2)
def _endswith(call: Call) -> Any:
    value, suffix = (_string(a, call) for a in call.args)
    if is_unknown(suffix) or isinstance(value, Unknown):
        return _unknown(call)
    known = value.known_suffix if isinstance(value, Partial) else str(value)
    if known.endswith(suffix):
        return True
    if isinstance(value, Partial) and str(suffix).endswith(known):
        return _unknown(call)
    return False


@_function("substr", 3, 3)
def _substr(call: Call) -> Any:
    value = _string(call.args[0], call)
    offset, length = _integer(call.args[1], call), _integer(call.args[2], call)
    if isinstance(value, Partial) and offset >= 0 and length >= 0 \
            and offset + length <= len(value.known_prefix):
        return Str(value.known_prefix[offset:offset + length], call.span)
    if is_unknown(value):
        return _unknown(call)
    text = str(value)
    if offset < 0:
        offset += len(text)
    if offset < 0 or offset > len(text):
        raise EvalError("substr() offset out of range")
    end = len(text) if length < 0 else offset + length
    return Str(text[offset:end], call.span)


@_function("replace", 3, 3)
def _replace(call: Call) -> Any:
    value, search, replacement = (_string(a, call) for a in call.args)
    if is_unknown(search) or is_unknown(replacement) or isinstance(value, Unknown):
        return _unknown(call)
    search, replacement = str(search), str(replacement)
    if len(search) > 1 and search.startswith("/") and search.endswith("/"):
        if is_unknown(value):
            return _unknown(call)
        try:
            pattern = regex.compile_re2(search[1:-1])
        except regex.Unsupported:
            return _unknown(call)
        except regex.InvalidPattern as exc:
            raise EvalError(f"replace(): invalid regular expression: {exc}") from None
        text = pattern.sub(lambda m: regex.expand_template(replacement, m), str(value))
        return Str(text, call.span)
    if isinstance(value, Partial):
        return _replace_in_partial(value, search, replacement, call)
    return Str(str(value).replace(search, replacement) if search else str(value), call.span)


def _replace_in_partial(value: Partial, search: str, replacement: str, call: Call) -> Any:
    """Replace in the known parts when no occurrence can straddle an unknown part.

    Text inside an unknown part is taken not to contain ``search``: the idiomatic case,
    ``replace(<EKS issuer>, "https://", "")``, strips a scheme that region and cluster ids
    never contain.
    """
    if not search:
        return with_span(value, call.span)
    parts = value.parts
    for index, part in enumerate(parts):
        if not isinstance(part, str):
            continue
        before_unknown = index + 1 < len(parts)
        after_unknown = index > 0
        for k in range(1, len(search)):
            if before_unknown and part.endswith(search[:k]):
                return _unknown(call)
            if after_unknown and part.startswith(search[-k:]):
                return _unknown(call)
    replaced = [p.replace(search, replacement) if isinstance(p, str) else p for p in parts]
    return concat(replaced, call.span, value.ref)


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
    return matches if isinstance(matches, Unknown) else _out(matches, call)


def _regex_matches(call: Call) -> Any:
    pattern_text, value = (_string(a, call) for a in call.args)
    if is_unknown(pattern_text) or is_unknown(value):
        return _unknown(call)
    try:
        pattern = regex.compile_re2(str(pattern_text))
    except regex.Unsupported:
        return _unknown(call)
    except regex.InvalidPattern as exc:
        raise EvalError(f"{call.name}(): invalid regular expression: {exc}") from None
    results = []
    for match in pattern.finditer(str(value)):
        if pattern.groupindex:
            results.append(LDict({Str(k): Str(match.group(k) or "", call.span)
                                  for k in pattern.groupindex}, span=call.span))
        elif pattern.groups:
            results.append(_out([Str(g or "", call.span) for g in match.groups()], call))
        else:
            results.append(Str(match.group(), call.span))
    return results


@_function("split", 2, 2)
def _split(call: Call) -> Any:
    separator, value = (_string(a, call) for a in call.args)
    if is_unknown(separator) or is_unknown(value):
        return _unknown(call)
    if not separator:
        return _out([Str(ch, call.span) for ch in str(value)], call)
    return _out([Str(piece, call.span) for piece in str(value).split(str(separator))], call)


@_function("join", 2)
def _join(call: Call) -> Any:
    separator = _string(call.args[0], call)
    if is_unknown(separator):
        return _unknown(call)
    pieces: list[Any] = []
    for items in call.args[1:]:
        if isinstance(items, Unknown):
            return _unknown(call)
        for item in _list(items, call):
            if isinstance(item, UnknownElements):
                return _unknown(call, [item])
            if pieces:
                pieces.append(str(separator))
            pieces.append(_string(item, call))
    return concat(pieces, call.span)


@_function("format", 1)
def _format(call: Call) -> Any:
    spec = _string(call.args[0], call)
    if is_unknown(spec):
        return _unknown(call)
    return concat(_format_pieces(str(spec), call.args[1:], call), call.span)


@_function("formatlist", 1)
def _formatlist(call: Call) -> Any:
    spec = _string(call.args[0], call)
    if is_unknown(spec) or _any_unknown(call.args[1:]):
        return _unknown(call)
    lengths = {len(a) for a in call.args[1:] if isinstance(a, list)}
    if len(lengths) > 1:
        raise EvalError("formatlist(): lists of different lengths")
    if any(not _length_known(a) for a in call.args[1:] if isinstance(a, list)):
        return _unknown(call)
    count = lengths.pop() if lengths else 1
    rows = []
    for i in range(count):
        args = [a[i] if isinstance(a, list) else a for a in call.args[1:]]
        rows.append(concat(_format_pieces(str(spec), args, call), call.span))
    return _out(rows, call)


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
    if isinstance(arg, (Unknown, Partial)):
        if verb in "sv" and not width and precision is None:
            return arg
        return derived_unknown("format()", [arg], call.span)
    if isinstance(arg, (list, dict)) and has_unknown(arg):
        return Unknown(f"format() of a {type_name(arg)} with unknown elements", call.span)
    if verb in "sv":
        if verb == "v" and isinstance(arg, (list, dict)):
            text = json_text(arg)
        elif verb == "v" and "#" in flags:
            text = json_text(arg)
        else:
            if isinstance(arg, (list, dict)):
                raise EvalError("format(): %s needs a string")
            text = str(to_text(arg, call.span))
        if precision:
            text = text[: int(precision)]
    elif verb == "q":
        text = json_text(str(to_text(arg, call.span)))
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
            text = format(float(number), ("+" if "+" in flags else "")
                          + (f".{precision or 0}" if precision is not None else ".6" if verb in "eEf" else "")
                          + verb)
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
        return _unknown(call)
    return to_number(value)


@_function("tobool", 1, 1)
def _tobool(call: Call) -> Any:
    value = call.args[0]
    if value is None:
        return None
    if is_unknown(value):
        return _unknown(call)
    return to_bool(value)


# --- collections -------------------------------------------------------------------------


@_function("length", 1, 1)
def _length(call: Call) -> Any:
    value = call.args[0]
    if is_unknown(value):
        return _unknown(call)
    if isinstance(value, list):
        return len(value) if _length_known(value) else _unknown(call, value)
    if isinstance(value, (dict, str)):
        return len(value)
    raise EvalError(f"length() of a {type_name(value)}")


@_function("concat", 1)
def _concat(call: Call) -> Any:
    items: list[Any] = []
    for arg in call.args:
        if isinstance(arg, Unknown):
            items.append(UnknownElements(arg.origin, arg.span, arg.ref))
        else:
            items.extend(_list(arg, call))
    return _out(items, call)


@_function("flatten", 1, 1)
def _flatten(call: Call) -> Any:
    value = call.args[0]
    if isinstance(value, Unknown):
        return _unknown(call)
    items: list[Any] = []
    stack = [iter(_list(value, call))]
    while stack:
        item = next(stack[-1], _END)
        if item is _END:
            stack.pop()
        elif isinstance(item, list):
            stack.append(iter(item))
        elif isinstance(item, Unknown) and not isinstance(item, UnknownElements):
            # An unknown element may be a list itself: its elements are unknown in number.
            items.append(UnknownElements(item.origin, item.span, item.ref))
        else:
            items.append(item)
    return _out(items, call)


_END = object()


@_function("distinct", 1, 1)
def _distinct(call: Call) -> Any:
    value = call.args[0]
    if isinstance(value, Unknown):
        return _unknown(call)
    return _out(_deduplicate(_list(value, call)), call)


def _deduplicate(items: list) -> list:
    result: list[Any] = []
    for item in items:
        if not any(same_value(item, seen) for seen in result) or is_unknown(item):
            result.append(item)
    return result


@_function("toset", 1, 1)
def _toset(call: Call) -> Any:
    value = call.args[0]
    if isinstance(value, Unknown) or value is None:
        return value
    return _out(_deduplicate(_list(value, call)), call)


@_function("tolist", 1, 1)
def _tolist(call: Call) -> Any:
    value = call.args[0]
    if isinstance(value, Unknown) or value is None:
        return value
    return value if isinstance(value, LList) else _out(_list(value, call), call)


@_function("tomap", 1, 1)
def _tomap(call: Call) -> Any:
    value = call.args[0]
    if isinstance(value, Unknown) or value is None:
        return value
    return _map(value, call)


@_function("contains", 2, 2)
def _contains(call: Call) -> Any:
    items, wanted = call.args
    if isinstance(items, Unknown) or has_unknown(wanted):
        return _unknown(call)
    items = _list(items, call)
    if any(same_value(item, wanted) for item in items):
        return True
    return _unknown(call, items) if has_unknown(items) else False


@_function("element", 2, 2)
def _element(call: Call) -> Any:
    items, index = call.args
    if isinstance(items, Unknown):
        return _unknown(call)
    items = _list(items, call)
    if not items:
        raise EvalError("element() of an empty list")
    if is_unknown(index):
        if _length_known(items) and all(same_value(items[0], i) for i in items):
            return items[0]
        return _unknown(call, [index])
    position = _integer(index, call)
    if not _length_known(items):
        known = next(i for i, v in enumerate(items) if isinstance(v, UnknownElements))
        return items[position] if 0 <= position < known else _unknown(call, items)
    return items[position % len(items)]


@_function("one", 1, 1)
def _one(call: Call) -> Any:
    value = call.args[0]
    if isinstance(value, Unknown):
        return _unknown(call)
    items = _list(value, call)
    if not _length_known(items):
        return _unknown(call, items)
    if len(items) > 1:
        raise EvalError("one() of a list with more than one element")
    return items[0] if items else None


@_function("coalesce", 1)
def _coalesce(call: Call) -> Any:
    for arg in call.args:
        if is_unknown(arg):
            return _unknown(call, [arg])
        if arg is None or (isinstance(arg, str) and arg == ""):
            continue
        return arg
    raise EvalError("coalesce(): no non-null, non-empty argument")


@_function("coalescelist", 1)
def _coalescelist(call: Call) -> Any:
    for arg in call.args:
        if isinstance(arg, Unknown):
            return _unknown(call, [arg])
        if _list(arg, call):
            return arg
    raise EvalError("coalescelist(): no non-empty list")


@_function("compact", 1, 1)
def _compact(call: Call) -> Any:
    value = call.args[0]
    if isinstance(value, Unknown):
        return _unknown(call)
    return _out([v for v in _list(value, call) if v is not None and not (isinstance(v, str) and v == "")],
                call)


@_function("reverse", 1, 1)
def _reverse(call: Call) -> Any:
    value = call.args[0]
    if isinstance(value, Unknown):
        return _unknown(call)
    items = _list(value, call)
    return _out(list(reversed(items)), call) if _length_known(items) else _unknown(call, items)


@_function("sort", 1, 1)
def _sort(call: Call) -> Any:
    value = call.args[0]
    if isinstance(value, Unknown) or has_unknown(value):
        return _unknown(call)
    return _out(sorted((to_text(v, call.span) for v in _list(value, call)), key=str), call)


@_function("slice", 3, 3)
def _slice(call: Call) -> Any:
    value = call.args[0]
    if isinstance(value, Unknown) or _any_unknown(call.args[1:]):
        return _unknown(call)
    items = _list(value, call)
    start, end = _integer(call.args[1], call), _integer(call.args[2], call)
    if not _length_known(items[:end]):
        return _unknown(call, items)
    if not 0 <= start <= end <= len(items):
        raise EvalError("slice() indexes out of range")
    return _out(items[start:end], call)


@_function("keys", 1, 1)
def _keys(call: Call) -> Any:
    value = call.args[0]
    if isinstance(value, Unknown):
        return _unknown(call)
    return _out(sorted(_map(value, call), key=str), call)


@_function("values", 1, 1)
def _values(call: Call) -> Any:
    value = call.args[0]
    if isinstance(value, Unknown):
        return _unknown(call)
    mapping = _map(value, call)
    return _out([mapping[k] for k in sorted(mapping, key=str)], call)


@_function("lookup", 2, 3)
def _lookup(call: Call) -> Any:
    mapping, key = call.args[0], call.args[1]
    if isinstance(mapping, Unknown) or is_unknown(key):
        return _unknown(call)
    mapping = _map(mapping, call)
    for existing, value in mapping.items():
        if same_value(existing, key):
            return value
    if any(is_unknown(k) for k in mapping):
        return _unknown(call, list(mapping))
    if len(call.args) == 3:
        return call.args[2]
    raise EvalError(f"lookup(): no key {str(key)!r}")


@_function("merge", 0)
def _merge(call: Call) -> Any:
    result = LDict(span=call.span)
    for arg in call.args:
        if arg is None:
            continue
        if isinstance(arg, Unknown):
            return _unknown(call, [arg])  # it may set any key
        result.update(_map(arg, call))
    return result


@_function("zipmap", 2, 2)
def _zipmap(call: Call) -> Any:
    keys, values = call.args
    if isinstance(keys, Unknown) or isinstance(values, Unknown) or has_unknown(keys):
        return _unknown(call)
    keys, values = _list(keys, call), _list(values, call)
    if len(keys) != len(values):
        raise EvalError("zipmap(): lists of different lengths")
    return LDict(zip(keys, values), span=call.span)


@_function("max", 1)
def _max(call: Call) -> Any:
    if _any_unknown(call.args):
        return _unknown(call)
    return max(to_number(a) for a in call.args)


@_function("min", 1)
def _min(call: Call) -> Any:
    if _any_unknown(call.args):
        return _unknown(call)
    return min(to_number(a) for a in call.args)


# --- encoding ----------------------------------------------------------------------------


@_function("jsonencode", 1, 1)
def _jsonencode(call: Call) -> Any:
    value = call.args[0]
    if isinstance(value, Unknown):
        return _unknown(call)
    try:
        text = json_text(value)
    except (TypeError, ValueError) as exc:
        raise EvalError(f"jsonencode(): {exc}") from None
    return Encoded(text, call.span, decoded=value)

