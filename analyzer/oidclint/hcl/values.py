"""Terraform values as the evaluator produces them.

Strings are ``Str`` (or ``Partial``/``Unknown``), lists and tuples ``LList``, maps and objects
``LDict``; numbers, bools and null are plain Python values. ``Encoded`` is the JSON text that
``jsonencode`` or ``aws_iam_policy_document`` produce, carrying the located value it encodes.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from oidclint.limits import TooLarge, json_length, reserve_text
from oidclint.source import MAX_OPTIONS, OneOf, Partial, Span, Str, Unknown, UnknownElements

_REFERENCE_PATH = re.compile(r'^[A-Za-z_][\w\-]*(?:\.[\w\-*]+|\[[^\]\s]*\])*$')


class EvalError(Exception):
    """An expression Terraform itself would reject (missing key, bad index, wrong type)."""


class LimitError(TooLarge):
    """An expression past one of oidclint's own limits (nesting, a number's digits), which
    Terraform may well accept: its value is unknown, and the scan says so. Like every
    ``TooLarge``, not an ``EvalError``: ``try()`` does not catch it, since Terraform would not
    have taken the fallback."""


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()
"""An argument that is not set (as opposed to one set to ``null``)."""


class Encoded(Str):
    """JSON text that also remembers the located value it encodes (``decoded``)."""

    def __new__(cls, value: str, span: Span | None = None, ref: str | None = None,
                decoded: Any = None) -> "Encoded":
        obj = super().__new__(cls, value, span, ref)
        obj.decoded = decoded
        return obj

    def __reduce__(self):
        return (Encoded, (str(self), self.span, self.ref, self.decoded))


@dataclass(frozen=True, slots=True)
class ResourceObject(Unknown):
    """A whole resource or data source used as a value (``data.aws_iam_policy_document.x``
    without ``.json``): an object of its attributes, never a string. ``instance`` (the
    evaluator's reference to it) gives its attributes, as far as they are known: the
    iterator of a ``dynamic`` block over a resource's instances reads ``.value.arn``."""

    instance: Any = field(default=None, compare=False)

    def __reduce__(self):
        # The instance (and the module behind it) stays with the evaluator: a result that
        # travels between processes or into the cache keeps what the value says, not that.
        return (ResourceObject, (self.origin, self.span, self.ref))


@dataclass(frozen=True, slots=True)
class IndexRange(Unknown):
    """A whole number known only to lie in ``low..high``: the ``count.index`` of instances
    evaluated together (past ``instances.MAX_INSTANCES``). A comparison that comes out the
    same for every number in the range is decided (``count.index >= 1000``)."""

    low: int = 0
    high: int = 0


@dataclass(frozen=True, slots=True)
class KeyAmong(Unknown):
    """A string known only to be one of ``keys``: the ``each.key`` of instances evaluated
    together. ``each.key == "web"`` is decided when ``web`` is not among them."""

    keys: frozenset[str] = frozenset()


_ORDER = {"<": lambda a, b: a < b, ">": lambda a, b: a > b,
          "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b}
_MIRRORED = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}


def decided_comparison(operator: str, left: Any, right: Any) -> bool | None:
    """``left operator right`` where one side stands for several values (``IndexRange``,
    ``KeyAmong``) and the other is known: the answer when all of them give the same one,
    else ``None``."""
    if isinstance(right, (IndexRange, KeyAmong)) and not isinstance(left, Unknown):
        left, right, operator = right, left, _MIRRORED.get(operator, operator)
    if isinstance(left, IndexRange) and isinstance(right, (int, float)) \
            and not isinstance(right, bool):
        if operator in _ORDER:  # monotone: both ends agree, so does everything between
            at_low, at_high = (_ORDER[operator](end, right) for end in (left.low, left.high))
            return at_low if at_low == at_high else None
        if operator in ("==", "!="):
            outside = not float(right).is_integer() or not left.low <= right <= left.high
            equal = False if outside else True if left.low == left.high else None
            return None if equal is None else equal == (operator == "==")
    if isinstance(left, KeyAmong) and isinstance(right, str) \
            and not isinstance(right, (Partial, Unknown)) and operator in ("==", "!="):
        equal = False if right not in left.keys else True if len(left.keys) == 1 else None
        return None if equal is None else equal == (operator == "==")
    return None


def shifted_range(operator: str, left: Any, right: Any) -> IndexRange | None:
    """``count.index + 1`` (or ``- 1``) of a range: the range moved."""
    if operator not in ("+", "-"):
        return None
    if isinstance(right, IndexRange) and operator == "+":
        left, right = right, left
    if not isinstance(left, IndexRange) or not isinstance(right, int) or isinstance(right, bool):
        return None
    step = right if operator == "+" else -right
    origin = f"{left.origin} {operator} {right}"
    return IndexRange(origin, left.span, None, left.low + step, left.high + step)


@dataclass
class TextOrigin:
    """Where the text of a heredoc or file value is written, so JSON parsed from it can be
    located there."""

    line_offset: int
    """Lines of the file before the text's first line."""
    trimmed: list[int] = field(default_factory=list)
    """Columns ``<<-`` removed from each line of the text."""
    refs: dict[str, str] = field(default_factory=dict)
    """Interpolated values that named a resource (their text -> the resource address)."""


def is_unknown(value: Any) -> bool:
    return isinstance(value, (Unknown, Partial))


def first_unknown(values: Any) -> Unknown | None:
    """The first unknown piece among values (not looking inside containers)."""
    for value in values:
        if isinstance(value, Unknown):
            return value
        if isinstance(value, Partial):
            return value.unknowns[0]
    return None


def derived_unknown(what: str, args: Any, span: Span | None) -> Unknown:
    """An unknown computed from unknown inputs: ``lower() of var.org (no default)``."""
    cause = first_unknown(args)
    return Unknown(f"{what} of {cause.origin}" if cause else what, span)


def element_origin(origin: str) -> str:
    """What an element of a collection not known is called: ``var.repos[*] (no default)``
    for ``var.repos (no default)``, ``an element of ...`` for a computed collection."""
    path, sep, note = origin.partition(" (")
    if _REFERENCE_PATH.match(path):
        return f"{path}[*]{sep}{note}"
    return f"an element of {origin}"


def extend_origin(unknown: Unknown, step: str, span: Span | None) -> Unknown:
    """``module.iam`` + ``.role_arn`` is ``module.iam.role_arn``; descriptions stay as they are."""
    if _REFERENCE_PATH.match(unknown.origin):
        return Unknown(unknown.origin + step, span or unknown.span, unknown.ref)
    return unknown


def with_ref(value: Any, ref: str) -> Any:
    """The same string value, naming the resource it belongs to."""
    if isinstance(value, OneOf):
        return OneOf(value.origin, value.span, ref, tuple(with_ref(o, ref) for o in value.options))
    if isinstance(value, Encoded):
        return Encoded(str(value), value.span, ref, value.decoded)
    if isinstance(value, str):
        return Str(str(value), getattr(value, "span", None), ref)
    if isinstance(value, Partial):
        return Partial(value.parts, value.span, ref)
    if isinstance(value, Unknown):
        return Unknown(value.origin, value.span, ref)
    return value


def with_span(value: Any, span: Span | None) -> Any:
    """The same value located elsewhere (computed values carry the computing expression)."""
    if isinstance(value, Encoded):
        return Encoded(str(value), span, value.ref, value.decoded)
    if isinstance(value, str):
        return Str(str(value), span, getattr(value, "ref", None))
    if isinstance(value, Partial):
        return Partial(value.parts, span, value.ref)
    return value


def number_text(value: int | float) -> str:
    """A number as Terraform renders it in a string (``2500``, not ``2500.0``)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e17:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def to_text(value: Any, span: Span | None) -> Any:
    """Terraform's automatic conversion to string (templates, string arguments)."""
    if isinstance(value, (str, Partial, Unknown)):
        return value
    if isinstance(value, bool):
        return Str("true" if value else "false", span)
    if isinstance(value, (int, float)):
        return Str(number_text(value), span)
    if value is None:
        raise EvalError("a null value cannot be used as a string")
    raise EvalError(f"a {type_name(value)} cannot be used as a string")


def to_number(value: Any) -> Any:
    if isinstance(value, bool):
        raise EvalError("a bool cannot be used as a number")
    if isinstance(value, (int, float)) or isinstance(value, (Unknown, Partial)):
        return value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            raise EvalError(f"{value!r} is not a number") from None
        whole = number.is_integer() and "." not in value and "e" not in value.lower()
        return int(number) if whole else number
    raise EvalError(f"a {type_name(value)} cannot be used as a number")


def to_bool(value: Any) -> Any:
    if isinstance(value, bool) or isinstance(value, (Unknown, Partial)):
        return value
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    raise EvalError(f"a {type_name(value)} cannot be used as a bool")


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, (str, Partial)):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "map"
    return type(value).__name__


def plain(value: Any) -> Any:
    """The value as plain JSON-able Python; unknown pieces render as ``${origin}``."""
    if isinstance(value, (Unknown, Partial)):
        return str(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return {str(plain(k)): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def json_text(value: Any, what: str = "jsonencode()") -> str:
    """Terraform's ``jsonencode`` output: compact, keys in lexical order. Its length is
    checked before it is built (a list of one long string repeated is short to hold and long
    to encode)."""
    reserve_text(json_length(value, what), what)
    return json.dumps(plain(value), separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def same_value(a: Any, b: Any) -> bool:
    """Equal as Terraform values (spans and refs do not matter)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, OneOf) or isinstance(b, OneOf):  # the same options, whatever the order
        return isinstance(a, OneOf) and isinstance(b, OneOf) and len(a.options) == len(
            b.options) and all(any(same_value(x, y) for y in b.options) for x in a.options)
    if isinstance(a, Partial) and isinstance(b, Partial):  # a piece may be a OneOf
        return len(a.parts) == len(b.parts) and all(
            same_value(x, y) for x, y in zip(a.parts, b.parts))
    if isinstance(a, (Unknown, Partial)) or isinstance(b, (Unknown, Partial)):
        return type(a) is type(b) and str(a) == str(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return False
    return a == b


def may_equal(value: Any, wanted: Any) -> bool:
    """Whether ``value`` (an element of a list, maybe partly known) can be ``wanted``, a
    known value: ``repo:acme/${var.repo}`` can be no string outside ``repo:acme/...``, and
    ``UnknownElements`` hold it only if their ``element`` can be it."""
    if isinstance(value, UnknownElements):
        return value.element is None or may_equal(value.element, wanted)
    if isinstance(value, OneOf):
        return any(may_equal(option, wanted) for option in value.options)
    if isinstance(value, Partial):
        if not isinstance(wanted, str):
            return False
        prefix, suffix = value.known_prefix, value.known_suffix
        return len(wanted) >= len(prefix) + len(suffix) and wanted.startswith(prefix) \
            and wanted.endswith(suffix)
    if isinstance(value, Unknown) or has_unknown(value):
        return True
    return same_value(value, wanted)


def may_meet(a: Any, b: Any) -> bool:
    """Whether two values, either maybe partly known, can be equal."""
    if not has_unknown(b):
        return may_equal(a, b)
    return may_equal(b, a) if not has_unknown(a) else True


def has_unknown(value: Any) -> bool:
    """True when the value holds an unknown piece at any depth."""
    if isinstance(value, (Unknown, Partial)):
        return True
    if isinstance(value, dict):
        return any(has_unknown(k) or has_unknown(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    return False


def one_of(options: Any, origin: str, span: Span | None) -> Any:
    """The value that is one of ``options`` (a conditional whose condition is not known):
    the single value when they are all the same, else a ``OneOf`` of the distinct ones.
    ``None`` when one of them is not known at all (then nothing is gained over ``Unknown``)
    or when there are more than ``MAX_OPTIONS``."""
    distinct: list[Any] = []
    for option in options:
        for each in option.options if isinstance(option, OneOf) else (option,):
            if isinstance(each, Unknown):
                return None  # wholly unknown (an input, a resource as a value, a key among many)
            if not any(same_value(each, kept) for kept in distinct):
                distinct.append(each)
    if len(distinct) > MAX_OPTIONS:
        return None
    return distinct[0] if len(distinct) == 1 else OneOf(origin, span, None, tuple(distinct))


def each_option(compute: Any, args: list[Any], span: Span | None) -> Any:
    """``compute(args)`` for each combination of the options of the ``OneOf`` arguments, as
    one value (``one_of``): a function of one of several values is one of its results.
    ``None`` (the caller then goes on as with any unknown) when there are more than
    ``MAX_OPTIONS`` combinations, or the function fails for an option (a mistake, but only
    if that option is taken: what the others give is not what the value is)."""
    positions = [i for i, arg in enumerate(args) if isinstance(arg, OneOf)]
    if not positions:
        return None
    if math.prod(len(args[i].options) for i in positions) > MAX_OPTIONS:
        return None
    results = []
    for picked in itertools.product(*(args[i].options for i in positions)):
        chosen = list(args)
        for position, option in zip(positions, picked):
            chosen[position] = option
        try:
            results.append(compute(chosen))
        except EvalError:
            return None
    return one_of(results, args[positions[0]].origin, span)
