"""What the tests of Terraform expressions share: a module made from text, the value of one
local in it, a function called on values, and the shape of a list known only in part."""

from __future__ import annotations

from oidclint.hcl.functions import FUNCTIONS, Call
from oidclint.hcl.module import Module
from oidclint.hcl.syntax import parse_file
from oidclint.hcl.values import UnknownElements
from oidclint.source import Partial, Span, Unknown


def module(text: str, path: str = "main.tf", folder: str = ".") -> Module:
    return Module(folder, parse_file(text, path))


def local(expression: str, declarations: str = "") -> object:
    """The value of ``local.x = <expression>`` next to ``declarations``."""
    mod = module(f"{declarations}\nlocals {{\n  x = {expression}\n}}\n")
    return mod.local("x", Span("main.tf", 1))


def call(name: str, *args: object) -> object:
    return FUNCTIONS[name](Call(name, list(args), Span("main.tf", 1)))


def shape(value: object) -> object:
    """A value with ``UnknownElements`` written ``each(<element>)`` and unknown pieces ``?``."""
    if isinstance(value, UnknownElements):
        return ("each", shape(value.element))
    if isinstance(value, Partial):
        return "".join("?" if isinstance(p, Unknown) else p for p in value.parts)
    if isinstance(value, Unknown):
        return "?"
    if isinstance(value, dict):
        return {shape(k) if not isinstance(k, UnknownElements) else ("keys", shape(k.element)):
                shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value]
    return value
