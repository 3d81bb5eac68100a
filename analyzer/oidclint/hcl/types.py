"""Type constraints of input variables, and Terraform's conversion of a value to one.

A module's variable receives its value converted to the variable's ``type``: a bool passed
to a ``string`` variable becomes ``"true"``, a ``"5"`` passed to a ``number`` becomes ``5``,
each element of a ``list(string)`` is converted alike, an ``object({...})`` keeps only its
attributes and fills the ``optional`` ones; a value that cannot be converted is an error
(https://developer.hashicorp.com/terraform/language/expressions/type-constraints#conversion-of-primitive-types,
https://developer.hashicorp.com/terraform/language/values/variables#type-constraints).
Only strings ``"true"``/``"false"`` become bools, only decimal numbers in a string become
numbers, and only the primitive types become strings
(https://developer.hashicorp.com/terraform/language/functions/tobool, .../tonumber,
.../tostring). ``==`` converts nothing: values of different types are never equal
(https://developer.hashicorp.com/terraform/language/expressions/operators#equality-operators),
so the conversion at the variable is what makes ``var.flag == "true"`` hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from lark import Tree

from oidclint.hcl.syntax import is_tree, name_of, subtrees
from oidclint.hcl.values import (
    MISSING, EvalError, UnknownElements, is_unknown, same_value, to_bool, to_number, to_text,
    type_name,
)
from oidclint.source import LDict, LList, Partial, Span, Unknown

PRIMITIVES = ("string", "number", "bool")


@dataclass(frozen=True)
class Type:
    """``kind`` is ``string``, ``number``, ``bool``, ``any``, ``list``, ``set``, ``map``,
    ``tuple`` or ``object``."""

    kind: str
    element: "Type | None" = None
    """Of a list, set or map."""
    elements: tuple["Type", ...] = ()
    """Of a tuple."""
    attributes: dict[str, "Attribute"] = field(default_factory=dict)
    """Of an object."""


@dataclass(frozen=True)
class Attribute:
    type: Type
    optional: bool = False
    default: Any = None


ANY = Type("any")


def type_constraint(tree: Tree, evaluate: Callable[[Tree], Any]) -> Type:
    """The constraint a ``type`` expression writes; raises ``EvalError`` for one Terraform
    rejects. ``evaluate`` gives the value of an ``optional`` default."""
    node = _inner(tree)
    if is_tree(node, "identifier"):
        name = name_of(node)
        if name in (*PRIMITIVES, "any"):
            return Type(name)
        if name in ("list", "set", "map"):  # a bare collection keyword: of any
            return Type(name, ANY)
        raise EvalError(f"unknown type {name!r}")
    if is_tree(node, "string"):  # the quoted forms of Terraform 0.11: "string", "list", "map"
        name = name_of(node)
        if name in ("string", "list", "map"):
            return Type(name, None if name == "string" else ANY)
        raise EvalError(f"unknown type {name!r}")
    if is_tree(node, "function_call"):
        name = name_of(next(c for c in node.children if is_tree(c, "identifier")))
        arguments = next((c for c in node.children if is_tree(c, "arguments")), None)
        args = subtrees(arguments) if arguments is not None else []
        if name in ("list", "set", "map") and len(args) == 1:
            return Type(name, type_constraint(args[0], evaluate))
        if name == "tuple" and len(args) == 1 and is_tree(_inner(args[0]), "tuple"):
            return Type("tuple", elements=tuple(type_constraint(t, evaluate)
                                                for t in subtrees(_inner(args[0]))))
        if name == "object" and len(args) == 1 and is_tree(_inner(args[0]), "object"):
            return Type("object", attributes=_attributes(_inner(args[0]), evaluate))
    raise EvalError("not a type constraint")


def _inner(tree: Tree) -> Tree:
    while is_tree(tree, "expression", "expr_term") and len(subtrees(tree)) == 1:
        tree = subtrees(tree)[0]
    return tree


def _attributes(tree: Tree, evaluate: Callable[[Tree], Any]) -> dict[str, Attribute]:
    found = {}
    for elem in subtrees(tree):
        key, value = elem.children[0], _inner(elem.children[-1])
        name = name_of(_inner(subtrees(key)[0]) if is_tree(key, "object_elem_key") else key)
        optional = is_tree(value, "function_call") and name_of(
            next(c for c in value.children if is_tree(c, "identifier"))) == "optional"
        if not optional:
            found[name] = Attribute(type_constraint(value, evaluate))
            continue
        arguments = next((c for c in value.children if is_tree(c, "arguments")), None)
        args = subtrees(arguments) if arguments is not None else []
        if not 1 <= len(args) <= 2:
            raise EvalError("optional() takes a type and a default")
        kind = type_constraint(args[0], evaluate)
        default = convert(evaluate(args[1]), kind) if len(args) == 2 else None
        found[name] = Attribute(kind, True, default)
    return found


def convert(value: Any, kind: Type, span: Span | None = None) -> Any:
    """``value`` as a variable of type ``kind`` receives it; raises ``EvalError`` when
    Terraform cannot convert it. ``null`` stays ``null``; what is unknown stays unknown."""
    if kind.kind == "any" or value is None or value is MISSING or isinstance(value, Unknown):
        return value
    if kind.kind == "string":
        return to_text(value, span or getattr(value, "span", None))
    if kind.kind in ("number", "bool"):
        if isinstance(value, Partial):
            return Unknown(f"{value} as a {kind.kind}", value.span, value.ref)
        if isinstance(value, (list, dict)):
            raise EvalError(f"a {type_name(value)} cannot be used as a {kind.kind}")
        return to_number(value) if kind.kind == "number" else to_bool(value)
    if kind.kind in ("list", "set", "tuple"):
        if not isinstance(value, list):
            raise EvalError(f"a {type_name(value)} cannot be used as a {kind.kind}")
        if kind.kind == "tuple":
            if len(value) != len(kind.elements) or any(
                    isinstance(v, UnknownElements) for v in value):
                raise EvalError(f"a tuple of {len(kind.elements)} elements is required")
            items = [convert(v, t, span) for v, t in zip(value, kind.elements)]
        else:
            items = [_each_converted(v, kind.element, span) if isinstance(v, UnknownElements)
                     else convert(v, kind.element, span) for v in value]
        if kind.kind == "set":
            items = set_elements(items)
        return LList(items, span=getattr(value, "span", None))
    if not isinstance(value, dict):
        raise EvalError(f"a {type_name(value)} cannot be used as a {kind.kind}")
    if kind.kind == "map":
        return LDict({k: convert(v, kind.element, span) for k, v in value.items()},
                     span=getattr(value, "span", None))
    if any(is_unknown(k) for k in value):
        return Unknown("an object with unknown attribute names", span)
    result = LDict(span=getattr(value, "span", None))
    for name, attribute in kind.attributes.items():
        present = next((k for k in value if str(k) == name), None)
        if present is not None:
            result[present] = convert(value[present], attribute.type, span)
        elif attribute.optional:
            result[name] = attribute.default
        else:
            raise EvalError(f"attribute {name!r} is required")
    return result  # attributes the type does not name are dropped


def _each_converted(elements: UnknownElements, kind: Type, span: Span | None) -> Any:
    """Elements not known, each converted to ``kind`` as far as what is known of it allows."""
    if elements.element is None:
        return elements
    try:
        return elements.each(convert(elements.element, kind, span))
    except EvalError:
        return elements.each(None)


def set_elements(items: list[Any]) -> list[Any]:
    """A set's elements once each; strings in lexical order, as Terraform iterates them.
    Elements not known go first: where they sort is not known, so neither is any index."""
    unknown = [i for i in items if isinstance(i, UnknownElements)]
    unique: list[Any] = []
    strings: set[str] = set()  # a string equals only a string: looked up, not compared
    for item in items:
        if isinstance(item, UnknownElements):
            continue
        if isinstance(item, str):
            if str(item) not in strings:
                strings.add(str(item))
                unique.append(item)
        elif is_unknown(item) or not any(same_value(item, u) for u in unique):
            unique.append(item)
    if all(isinstance(u, str) for u in unique):
        unique.sort(key=str)
    return unknown + unique
