"""The values of GitHub Actions expressions, decided as far as what is known decides them.

https://docs.github.com/en/actions/reference/workflows-and-actions/expressions
``&&`` and ``||`` give one of their operands; a condition takes ``false``, ``0``, ``''`` and
``null`` as false. Strings are compared ignoring case, and values of different types are
compared as numbers (``null`` is 0, ``true`` 1, a string its JSON number or NaN; arrays and
objects are equal only to themselves). ``contains``, ``startsWith`` and ``endsWith`` ignore
case too; ``success()`` and ``always()`` are true for a job or step that runs at all.

A value known only in part evaluates to ``Undecided`` (with what it depends on, and whether
it is true when that is known anyway), or to a ``Partly`` value that answers comparisons
from what is known of it (one ref of many, one option of a choice).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from oidclint.readers.workloads.github_expressions import (
    NUMBER, Binary, Call, Literal, Member, Name, Not, lookup, number, reference, text_of,
)

@dataclass(frozen=True, slots=True)
class Undecided:
    """A value not known before the run."""

    origins: tuple[str, ...]
    """What it depends on, as written (``steps.plan.outputs.changed``)."""
    truthy: bool | None = None
    """Whether it is true as a condition, when that is known all the same."""


class Partly:
    """A value known in part, which answers what it can: one ref of many (a push to any
    branch), one option of a choice. Each answer is True, False or None (not known)."""

    truthy: bool | None = None
    origin: str = ""

    def equals(self, other: Any) -> bool | None:
        return None

    def starts_with(self, prefix: str) -> bool | None:
        return None

    def ends_with(self, suffix: str) -> bool | None:
        return None

    def contains(self, text: str) -> bool | None:
        return None


class OneOf(Partly):
    """One of several known values (a ``workflow_dispatch`` choice input)."""

    def __init__(self, options: Iterable[Any], origin: str) -> None:
        self.options = tuple(options)
        self.origin = origin
        self.truthy = _all([truthy(o) for o in self.options])

    def equals(self, other: Any) -> bool | None:
        return _all([loose_equals(o, other) for o in self.options])

    def starts_with(self, prefix: str) -> bool | None:
        return _all([_text_test(o, prefix, str.startswith) for o in self.options])

    def ends_with(self, suffix: str) -> bool | None:
        return _all([_text_test(o, suffix, str.endswith) for o in self.options])

    def contains(self, text: str) -> bool | None:
        return _all([_text_test(o, text, str.__contains__) for o in self.options])


def _all(answers: list[bool | None]) -> bool | None:
    """The same answer for every option, or None."""
    return answers[0] if answers and all(a is answers[0] for a in answers) else None


def _text_test(value: Any, other: str, test: Callable[[str, str], bool]) -> bool | None:
    text = text_of(value)
    return None if text is None else test(text.casefold(), other.casefold())


Resolver = Callable[[tuple[str, ...], str], Any]
"""The value of a reference (its names lower-cased, and its text), or ``Undecided``."""


def evaluate(node: Any, resolve: Resolver) -> Any:
    """The value of an expression: a literal, a list or mapping (``fromJSON``), a ``Partly``
    value or ``Undecided``."""
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, (Name, Member)):
        path = reference(node)
        if path is not None:
            return resolve(tuple(n.lower() for n in path), node.text)
        if isinstance(node, Member) and isinstance(node.key, (str, Literal)):
            return _index(evaluate(node.target, resolve), node.key, node.text)
        return Undecided((node.text,))
    if isinstance(node, Not):
        operand = evaluate(node.operand, resolve)
        value = truthy(operand)
        return Undecided(depends_on(operand)) if value is None else not value
    if isinstance(node, Binary):
        return _binary(node, resolve)
    if isinstance(node, Call):
        return _call(node, resolve)
    return Undecided((getattr(node, "text", ""),))


def _index(target: Any, key: Any, text: str) -> Any:
    key = key.value if isinstance(key, Literal) else key
    if isinstance(target, (Undecided, Partly)):
        return Undecided((text,))
    if isinstance(target, dict) and isinstance(key, str):
        found = lookup(target, key)
        return target[found] if found is not None else None
    if isinstance(target, list) and isinstance(key, (int, float)) and not isinstance(key, bool):
        return target[int(key)] if 0 <= key < len(target) else None
    return None  # GitHub gives null for a property of anything else


def _binary(node: Binary, resolve: Resolver) -> Any:
    left = evaluate(node.left, resolve)
    if node.operator in ("&&", "||"):
        decided = truthy(left)
        if decided is not None:
            # `a && b` is a when a is false, else b; `a || b` is a when a is true, else b.
            return left if decided == (node.operator == "||") else evaluate(node.right, resolve)
        right = evaluate(node.right, resolve)
        other = truthy(right)
        origins = depends_on(left) + depends_on(right)
        if node.operator == "&&":
            return Undecided(origins, False if other is False else None)
        return Undecided(origins, True if other is True else None)
    right = evaluate(node.right, resolve)
    if node.operator in ("==", "!="):
        same = loose_equals(left, right)
        if same is None:
            return Undecided(depends_on(left) + depends_on(right))
        return same if node.operator == "==" else not same
    order = _compare(left, right)
    if order is None:
        return Undecided(depends_on(left) + depends_on(right))
    if math.isnan(order):
        return False
    return {"<": order < 0, "<=": order <= 0, ">": order > 0, ">=": order >= 0}[node.operator]


def depends_on(value: Any) -> tuple[str, ...]:
    """What an undecided value depends on, as written."""
    if isinstance(value, Undecided):
        return value.origins
    if isinstance(value, Partly) and value.origin:
        return (value.origin,)
    return ()


def _call(node: Call, resolve: Resolver) -> Any:
    name = node.function
    if name in ("success", "always"):
        return True  # the job or step runs when the ones before it succeed, or always
    if name in ("failure", "cancelled", "hashfiles", "tojson"):
        return Undecided((node.text,))
    args = [evaluate(a, resolve) for a in node.args]
    if name == "contains":
        found = _contains(args[0], args[1])
    elif name in ("startswith", "endswith"):
        found = _affix(args[0], args[1], name == "startswith")
    elif name == "format":
        found = _format(args)
    elif name == "join":
        found = _join(args)
    else:  # fromjson
        found = _from_json(args[0])
    if found is None:
        origins = tuple(o for a in args for o in depends_on(a)) or (node.text,)
        return Undecided(origins)
    return found


def _contains(search: Any, item: Any) -> Any:
    if isinstance(search, list):
        answers = [loose_equals(element, item) for element in search]
        if any(a is True for a in answers):
            return True
        return False if all(a is False for a in answers) else None
    needle = text_of(item)
    if isinstance(search, Partly):
        return search.contains(needle) if needle is not None else None
    haystack = text_of(search)
    if haystack is None or needle is None:
        return None
    return needle.casefold() in haystack.casefold()


def _affix(value: Any, affix: Any, start: bool) -> Any:
    text = text_of(affix)
    if text is None:
        return None
    if isinstance(value, Partly):
        return value.starts_with(text) if start else value.ends_with(text)
    whole = text_of(value)
    if whole is None:
        return None
    return (str.startswith if start else str.endswith)(whole.casefold(), text.casefold())


def _format(args: list[Any]) -> Any:
    texts = [text_of(a) for a in args]
    if any(t is None for t in texts):
        return None
    out, template, index = [], texts[0], 0
    while index < len(template):
        char = template[index]
        if template.startswith(("{{", "}}"), index):
            out.append(char)
            index += 2
            continue
        if char == "{":
            end = template.find("}", index)
            number = template[index + 1:end] if end > 0 else ""
            if not number.isdigit() or int(number) + 1 >= len(texts):
                return None  # GitHub rejects the format string
            out.append(texts[int(number) + 1])
            index = end + 1
            continue
        out.append(char)
        index += 1
    return "".join(out)


def _join(args: list[Any]) -> Any:
    separator = text_of(args[1]) if len(args) > 1 else ","
    if separator is None:
        return None
    if isinstance(args[0], list):
        texts = [text_of(a) for a in args[0]]
        return None if any(t is None for t in texts) else separator.join(texts)
    return text_of(args[0])


def _from_json(value: Any) -> Any:
    if not isinstance(value, str):
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def truthy(value: Any) -> bool | None:
    """Whether a value is true as a condition: ``false``, ``0``, ``''``, ``null`` are not."""
    if isinstance(value, (Undecided, Partly)):
        return value.truthy
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0 and not math.isnan(value)
    if isinstance(value, str):
        return value != ""
    return True  # an array or an object


def loose_equals(a: Any, b: Any) -> bool | None:
    """GitHub's ``==``: None when it depends on what is not known."""
    if isinstance(a, Undecided) or isinstance(b, Undecided):
        return None
    if isinstance(a, Partly) or isinstance(b, Partly):
        partly, other = (a, b) if isinstance(a, Partly) else (b, a)
        return None if isinstance(other, Partly) else partly.equals(other)
    if isinstance(a, (list, dict)) or isinstance(b, (list, dict)):
        return a is b  # arrays and objects are equal only to themselves
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    if type(a) is type(b) or (_isnumber(a) and _isnumber(b)):
        return a == b
    x, y = _asnumber(a), _asnumber(b)
    return not (math.isnan(x) or math.isnan(y)) and x == y


def _compare(a: Any, b: Any) -> float | None:
    """Negative, zero or positive as ``a`` is below, at or above ``b``; NaN when GitHub's
    order says neither; None when not known."""
    if isinstance(a, (Undecided, Partly)) or isinstance(b, (Undecided, Partly)):
        return None
    if isinstance(a, str) and isinstance(b, str):
        x, y = a.casefold(), b.casefold()
        return (x > y) - (x < y)
    x, y = _asnumber(a), _asnumber(b)
    if math.isnan(x) or math.isnan(y):
        return math.nan
    return (x > y) - (x < y)


def _isnumber(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _asnumber(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if _isnumber(value):
        return float(value)
    if isinstance(value, str):
        stripped = value.strip()
        if stripped == "":
            return 0.0
        return float(number(stripped)) if re.fullmatch(NUMBER, stripped) else math.nan
    return math.nan
