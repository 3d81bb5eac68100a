"""Terraform's collection, type conversion and encoding functions
(https://developer.hashicorp.com/terraform/language/functions).

A list may hold ``UnknownElements`` (an unknown list concatenated in, the elements of a
``for`` expression over a collection not known): its length is then not known, but its known
elements still are, and so is what each of the unknown ones is known to be (their
``element``), which functions carry through (``flatten``, ``setunion``, ``values`` ...).
"""

from __future__ import annotations

from typing import Any

import yaml

from oidclint.hcl.calls import (
    Call, Function, any_unknown, length_known, list_arg, map_arg, new_list, registry, text_arg,
    unknown_result, whole_number,
)
from oidclint.hcl.types import set_elements
from oidclint.hcl.values import (
    Encoded, EvalError, UnknownElements, has_unknown, is_unknown, json_text, may_equal,
    may_meet, plain, same_value, to_number, to_text, type_name,
)
from oidclint.limits import MAX_ELEMENTS, json_length, reserve_elements, reserve_text
from oidclint.source import LDict, LList, Partial, Unknown

COLLECTION_FUNCTIONS: dict[str, Function] = {}
_function = registry(COLLECTION_FUNCTIONS)


@_function("length", 1, 1)
def _length(call: Call) -> Any:
    value = call.args[0]
    if is_unknown(value):
        return unknown_result(call)
    if isinstance(value, list):
        return len(value) if length_known(value) else unknown_result(call, value)
    if isinstance(value, (dict, str)):
        return len(value)
    raise EvalError(f"length() of a {type_name(value)}")


@_function("concat", 1)
def _concat(call: Call) -> Any:
    reserve_elements(sum(len(a) if isinstance(a, list) else 1 for a in call.args), "concat()")
    items: list[Any] = []
    for arg in call.args:
        if isinstance(arg, Unknown):
            items.append(UnknownElements(arg.origin, arg.span, arg.ref))
        else:
            items.extend(list_arg(arg, call))
    return new_list(items, call)


@_function("flatten", 1, 1)
def _flatten(call: Call) -> Any:
    value = call.args[0]
    if isinstance(value, Unknown):
        return unknown_result(call)
    return new_list(_flat(list_arg(value, call)), call)


def _flat(values: list) -> list:
    items: list[Any] = []
    stack = [iter(values)]
    while stack:
        item = next(stack[-1], _END)
        if item is _END:
            stack.pop()
        elif isinstance(item, list):
            stack.append(iter(item))
        elif isinstance(item, UnknownElements) and isinstance(item.element, list):
            # Any number of lists alike: any number of each of their elements.
            items.extend(v if isinstance(v, UnknownElements) else item.each(v)
                         for v in _flat(item.element))
        elif isinstance(item, UnknownElements) and isinstance(item.element, Unknown):
            items.append(item.each(None))  # each may be a list: nothing known of theirs
        elif isinstance(item, Unknown) and not isinstance(item, UnknownElements):
            # An unknown element may be a list itself: its elements are unknown in number.
            items.append(UnknownElements(item.origin, item.span, item.ref))
        else:
            items.append(item)
    return items


_END = object()


@_function("distinct", 1, 1)
def _distinct(call: Call) -> Any:
    value = call.args[0]
    if isinstance(value, Unknown):
        return unknown_result(call)
    return new_list(_deduplicate(list_arg(value, call)), call)


@_function("setunion", 1)
def _setunion(call: Call) -> Any:
    # https://developer.hashicorp.com/terraform/language/functions/setunion
    items: list[Any] = []
    for arg in _alike(call.args, call):
        if isinstance(arg, Unknown):
            items.append(UnknownElements(arg.origin, arg.span, arg.ref))
        else:
            items.extend(arg)
    return new_list(set_elements(items), call)


@_function("setintersection", 1)
def _setintersection(call: Call) -> Any:
    # https://developer.hashicorp.com/terraform/language/functions/setintersection
    first, *others = _alike(call.args, call)
    if isinstance(first, Unknown):
        return unknown_result(call)
    kept = first
    for other in others:
        kept = _kept(kept, other, call, wanted=True)
    return new_list(set_elements(kept), call)


@_function("setsubtract", 2, 2)
def _setsubtract(call: Call) -> Any:
    # https://developer.hashicorp.com/terraform/language/functions/setsubtract
    first, other = _alike(call.args, call)
    if isinstance(first, Unknown):
        return unknown_result(call)
    return new_list(set_elements(_kept(first, other, call, wanted=False)), call)


def _alike(sets: list[Any], call: Call) -> list[Any]:
    """The arguments of a set function as lists of one element type: strings mixed with
    numbers or bools are all strings (`3` and `"3"` are one element), as Terraform converts
    them to the most general type."""
    lists = [s if isinstance(s, Unknown) else list_arg(s, call) for s in sets]
    elements = [e for s in lists if not isinstance(s, Unknown) for e in s]
    if not any(isinstance(e, (str, Partial)) for e in elements):
        return lists
    return [s if isinstance(s, Unknown) else
            [to_text(e, call.span) if isinstance(e, (bool, int, float)) else e for e in s]
            for s in lists]


def _kept(items: list, other: Any, call: Call, wanted: bool) -> list:
    """The elements of ``items`` that are in ``other`` (``wanted``) or are not: an element
    whose membership is not known may be kept, one of any number (none or one) of
    elements alike."""
    members = None if isinstance(other, Unknown) else list_arg(other, call)
    origin = other.origin if isinstance(other, Unknown) else f"{call.name}()"
    kept = []
    for item in items:
        inside = members is not None and _known(item) and any(
            _known(m) and same_value(item, m) for m in members)
        possible = members is None or any(may_meet(item, m) for m in members)
        if inside or not possible:
            if inside == wanted:
                kept.append(item)
        elif isinstance(item, UnknownElements):
            kept.append(item)
        else:
            kept.append(UnknownElements(origin, call.span, None, item))
    return kept


def _known(value: Any) -> bool:
    return not is_unknown(value) and not has_unknown(value)


def _deduplicate(items: list) -> list:
    result: list[Any] = []
    strings: set[str] = set()  # a string equals only a string: looked up, not compared
    others: list[Any] = []
    for item in items:
        if is_unknown(item):
            result.append(item)
        elif isinstance(item, str):
            if str(item) not in strings:
                strings.add(str(item))
                result.append(item)
        elif not any(same_value(item, seen) for seen in others):
            others.append(item)
            result.append(item)
    return result


@_function("toset", 1, 1)
def _toset(call: Call) -> Any:
    value = call.args[0]
    if isinstance(value, Unknown) or value is None:
        return value
    return new_list(set_elements(_alike([value], call)[0]), call)


@_function("tolist", 1, 1)
def _tolist(call: Call) -> Any:
    value = call.args[0]
    if isinstance(value, Unknown) or value is None:
        return value
    return value if isinstance(value, LList) else new_list(list_arg(value, call), call)


@_function("tomap", 1, 1)
def _tomap(call: Call) -> Any:
    value = call.args[0]
    if isinstance(value, Unknown) or value is None:
        return value
    return map_arg(value, call)


@_function("contains", 2, 2)
def _contains(call: Call) -> Any:
    items, wanted = call.args
    if isinstance(items, Unknown) or has_unknown(wanted):
        return unknown_result(call)
    items = list_arg(items, call)
    if any(same_value(item, wanted) for item in items if not isinstance(item, UnknownElements)):
        return True
    # An element not known may be the one: unless what is known of it rules that out.
    return unknown_result(call, items) if any(
        may_equal(item, wanted) for item in items if is_unknown(item) or has_unknown(item)) \
        else False


@_function("element", 2, 2)
def _element(call: Call) -> Any:
    items, index = call.args
    if isinstance(items, Unknown):
        return unknown_result(call)
    items = list_arg(items, call)
    if not items:
        raise EvalError("element() of an empty list")
    if is_unknown(index):
        if length_known(items) and all(same_value(items[0], i) for i in items):
            return items[0]
        return unknown_result(call, [index])
    position = whole_number(index, call)
    if not length_known(items):
        known = next(i for i, v in enumerate(items) if isinstance(v, UnknownElements))
        return items[position] if 0 <= position < known else unknown_result(call, items)
    return items[position % len(items)]


@_function("one", 1, 1)
def _one(call: Call) -> Any:
    value = call.args[0]
    if isinstance(value, Unknown):
        return unknown_result(call)
    items = list_arg(value, call)
    if not length_known(items):
        return unknown_result(call, items)
    if len(items) > 1:
        raise EvalError("one() of a list with more than one element")
    return items[0] if items else None


@_function("coalesce", 1)
def _coalesce(call: Call) -> Any:
    for arg in call.args:
        if is_unknown(arg):
            return unknown_result(call, [arg])
        if arg is None or (isinstance(arg, str) and arg == ""):
            continue
        return arg
    raise EvalError("coalesce(): no non-null, non-empty argument")


@_function("coalescelist", 1)
def _coalescelist(call: Call) -> Any:
    for arg in call.args:
        if isinstance(arg, Unknown):
            return unknown_result(call, [arg])
        items = list_arg(arg, call)
        if not length_known(items) and all(isinstance(i, UnknownElements) for i in items):
            return unknown_result(call, items)  # it may be empty
        if items:
            return arg
    raise EvalError("coalescelist(): no non-empty list")


@_function("compact", 1, 1)
def _compact(call: Call) -> Any:
    value = call.args[0]
    if isinstance(value, Unknown):
        return unknown_result(call)
    kept = []
    for item in list_arg(value, call):
        if item is None or isinstance(item, str) and item == "":
            continue
        if isinstance(item, UnknownElements):
            if not (isinstance(item.element, str) and item.element == ""):
                kept.append(item)
        elif isinstance(item, Unknown):  # it may be null or "": none or one element
            kept.append(UnknownElements(item.origin, item.span, item.ref))
        else:
            kept.append(item)
    return new_list(kept, call)


@_function("reverse", 1, 1)
def _reverse(call: Call) -> Any:
    value = call.args[0]
    if isinstance(value, Unknown):
        return unknown_result(call)
    return new_list(list(reversed(list_arg(value, call))), call)


@_function("sort", 1, 1)
def _sort(call: Call) -> Any:
    value = call.args[0]
    if isinstance(value, Unknown):
        return unknown_result(call)
    items = list_arg(value, call)
    others = [v for v in items if not isinstance(v, UnknownElements)]
    if has_unknown(others):
        return unknown_result(call)
    # Elements not known go first: where they sort is not known, so neither is any index.
    unknown = [v.each(None if v.element is None or isinstance(v.element, Unknown)
                      else to_text(v.element, call.span))
               for v in items if isinstance(v, UnknownElements)]
    return new_list(unknown + sorted((to_text(v, call.span) for v in others), key=str), call)


@_function("slice", 3, 3)
def _slice(call: Call) -> Any:
    value = call.args[0]
    if isinstance(value, Unknown) or any_unknown(call.args[1:]):
        return unknown_result(call)
    items = list_arg(value, call)
    start, end = whole_number(call.args[1], call), whole_number(call.args[2], call)
    if not length_known(items[:end]):
        return unknown_result(call, items)
    if not 0 <= start <= end <= len(items):
        raise EvalError("slice() indexes out of range")
    return new_list(items[start:end], call)


@_function("keys", 1, 1)
def _keys(call: Call) -> Any:
    value = call.args[0]
    if isinstance(value, Unknown):
        return unknown_result(call)
    mapping = map_arg(value, call)
    return new_list(_unknown_keys(mapping) + _known_keys(mapping), call)


@_function("values", 1, 1)
def _values(call: Call) -> Any:
    value = call.args[0]
    if isinstance(value, Unknown):
        return unknown_result(call)
    mapping = map_arg(value, call)
    return new_list([k.each(mapping[k]) for k in _unknown_keys(mapping)]
                    + [mapping[k] for k in _known_keys(mapping)], call)


def _unknown_keys(mapping: dict) -> list[UnknownElements]:
    """Keys a ``for`` expression made for elements not known, as many as they are: first,
    since where they sort is not known."""
    return [k for k in mapping if isinstance(k, UnknownElements)]


def _known_keys(mapping: dict) -> list[Any]:
    return sorted((k for k in mapping if not isinstance(k, UnknownElements)), key=str)


@_function("lookup", 2, 3)
def _lookup(call: Call) -> Any:
    mapping, key = call.args[0], call.args[1]
    if isinstance(mapping, Unknown) or is_unknown(key):
        return unknown_result(call)
    mapping = map_arg(mapping, call)
    for existing, value in mapping.items():
        if same_value(existing, key):
            return value
    if any(is_unknown(k) for k in mapping):
        return unknown_result(call, list(mapping))
    if len(call.args) == 3:
        return call.args[2]
    raise EvalError(f"lookup(): no key {str(key)!r}")


@_function("merge", 0)
def _merge(call: Call) -> Any:
    result = LDict(span=call.span)
    reserve_elements(sum(len(a) for a in call.args if isinstance(a, dict)), "merge()")
    for arg in call.args:
        if arg is None:
            continue
        if isinstance(arg, Unknown):
            return unknown_result(call, [arg])  # it may set any key
        result.update(map_arg(arg, call))
    return result


@_function("zipmap", 2, 2)
def _zipmap(call: Call) -> Any:
    keys, values = call.args
    if isinstance(keys, Unknown) or isinstance(values, Unknown) or has_unknown(keys):
        return unknown_result(call)
    keys, values = list_arg(keys, call), list_arg(values, call)
    if len(keys) != len(values):
        raise EvalError("zipmap(): lists of different lengths")
    reserve_elements(len(keys), "zipmap()")
    # Keys are strings (numbers and bools converted); a list or map is an error.
    return LDict(zip((text_arg(k, call) for k in keys), values), span=call.span)


@_function("max", 1)
def _max(call: Call) -> Any:
    if any_unknown(call.args):
        return unknown_result(call)
    return max(to_number(a) for a in call.args)


@_function("min", 1)
def _min(call: Call) -> Any:
    if any_unknown(call.args):
        return unknown_result(call)
    return min(to_number(a) for a in call.args)




RANGE_LIMIT = 1024
"""Terraform refuses a ``range`` of more numbers
(https://developer.hashicorp.com/terraform/language/functions/range)."""


@_function("range", 1, 3)
def _range(call: Call) -> Any:
    if any_unknown(call.args):
        return unknown_result(call)
    numbers = [to_number(a) for a in call.args]
    if len(numbers) == 1:
        start, limit, step = 0, numbers[0], None
    else:
        start, limit, step = numbers[0], numbers[1], numbers[2] if len(numbers) == 3 else None
    if step is None:
        step = 1 if limit >= start else -1
    if step == 0 or (step > 0) != (limit >= start) and start != limit:
        return unknown_result(call, [Unknown("range() stepping away from its limit")])
    result, number = [], start
    while (number < limit) if step > 0 else (number > limit):
        if len(result) == RANGE_LIMIT:
            raise EvalError(f"range(): more than {RANGE_LIMIT} numbers")
        result.append(number)
        number += step
    return new_list(result, call)


@_function("setproduct", 1)
def _setproduct(call: Call) -> Any:
    # https://developer.hashicorp.com/terraform/language/functions/setproduct
    if any(isinstance(a, Unknown) for a in call.args):
        return unknown_result(call)
    sets = [list_arg(a, call) for a in call.args]
    if not all(length_known(items) for items in sets):
        return unknown_result(call, [i for items in sets for i in items])
    combinations = 1
    for items in sets:
        combinations *= len(items)
        if combinations > MAX_ELEMENTS:
            break  # the count alone would be a huge number to carry on multiplying
    # Every combination is a list of one element per set.
    reserve_elements(combinations * (len(sets) + 1), "setproduct()")
    rows: list[list[Any]] = [[]]
    for items in sets:
        rows = [row + [item] for row in rows for item in items]
    return new_list([LList(row, span=call.span) for row in rows], call)


@_function("jsonencode", 1, 1)
def _jsonencode(call: Call) -> Any:
    value = call.args[0]
    if isinstance(value, Unknown):
        return unknown_result(call)
    try:
        text = json_text(value)
    except (TypeError, ValueError) as exc:
        raise EvalError(f"jsonencode(): {exc}") from None
    return Encoded(text, call.span, decoded=value)


@_function("yamlencode", 1, 1)
def _yamlencode(call: Call) -> Any:
    """The value as YAML text, remembering the value (a Helm release's ``values``). The text
    is YAML as PyYAML writes it, not Terraform's own spelling: what is read is the value."""
    value = call.args[0]
    if isinstance(value, Unknown):
        return unknown_result(call)
    reserve_text(json_length(value, "yamlencode()"), "yamlencode()")
    text = yaml.safe_dump(plain(value), sort_keys=True, allow_unicode=True,
                          default_flow_style=False)
    return Encoded(text, call.span, decoded=value)
