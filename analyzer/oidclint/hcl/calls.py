"""Calling Terraform functions: the call, argument checks and conversions they share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from oidclint.hcl.values import (
    EvalError, UnknownElements, derived_unknown, is_unknown, to_number, to_text, type_name,
)
from oidclint.limits import reserve_elements
from oidclint.source import LList, Span, Unknown


@dataclass
class Call:
    name: str
    args: list[Any]
    span: Span | None


Function = Callable[[Call], Any]


class _NotKnown(Exception):
    """An argument that must be a known number (an offset, a count) is not: the function's
    result is unknown (it is not an error: the value exists, the scan cannot see it)."""


def registry(table: dict[str, Function]):
    """A decorator adding a function to ``table``: ``@function("lower", 1, 1)``."""
    def function(name: str, least: int, most: int | None = None):
        """Takes ``least`` to ``most`` arguments (``None``: any number)."""
        return _register(table, name, least, most)
    return function


def _register(table: dict[str, Function], name: str, least: int, most: int | None):
    def register(fn: Function) -> Function:
        def checked(call: Call) -> Any:
            count = len(call.args)
            if count < least or (most is not None and count > most):
                upper = "any number of" if most is None else str(most)
                wanted = str(least) if most == least else f"{least} to {upper}"
                raise EvalError(f"{name}() takes {wanted} arguments, got {count}")
            try:
                return fn(call)
            except _NotKnown:
                return unknown_result(call)
        table[name] = checked
        return fn
    return register


def unknown_result(call: Call, args: Any = None) -> Unknown:
    return derived_unknown(f"{call.name}()", call.args if args is None else args, call.span)


def any_unknown(values: Any) -> bool:
    return any(is_unknown(v) for v in values)


def text_arg(value: Any, call: Call) -> Any:
    return to_text(value, call.span)


def list_arg(value: Any, call: Call) -> list:
    if isinstance(value, list):
        return value
    raise EvalError(f"{call.name}() expects a list, got a {type_name(value)}")


def map_arg(value: Any, call: Call) -> dict:
    if isinstance(value, dict):
        return value
    raise EvalError(f"{call.name}() expects a map, got a {type_name(value)}")


def whole_number(value: Any, call: Call) -> int:
    if is_unknown(value):
        raise _NotKnown
    number = to_number(value)
    whole = isinstance(number, int) or isinstance(number, float) and number.is_integer()
    if not whole:
        raise EvalError(f"{call.name}() expects a whole number, got {number}")
    return int(number)


def new_list(items: Any, call: Call) -> LList:
    items = items if isinstance(items, list) else list(items)
    reserve_elements(len(items), f"{call.name}()")
    return LList(items, span=call.span)


def length_known(items: list) -> bool:
    return not any(isinstance(v, UnknownElements) for v in items)
