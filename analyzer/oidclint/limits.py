"""How large a value an evaluation may build: Terraform expressions and templates,
CloudFormation intrinsics, workflow expressions.

Every builder of a string or a list asks here *before* it builds: a width of 800,000,000 in
``format()``, a ``join`` over a list of shared megabyte strings or a template ``for``
directive repeating one would otherwise take gigabytes before any check could see the
result. ``reserve_text`` and ``reserve_elements`` refuse a string or a list over its limit
and charge what is built to the ``allowance`` of the evaluation under way (a root module, a
template), so that many values each under the limits cannot add up to one over them either.
What is refused raises ``TooLarge``, which the reader reports with the file and the reason.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Iterator

MAX_STRING_LENGTH = 1_000_000
"""The longest string an evaluation builds, in characters."""
MAX_ELEMENTS = 200_000
"""The most elements one value holds, shared ones counted at every use."""
MAX_VALUE_TEXT = 10 * MAX_STRING_LENGTH
"""The most characters the strings of one value hold together, shared ones counted at every
use: a ``for`` expression building a fresh string each time stops there."""
ALLOWED_CHARACTERS = 64 * MAX_STRING_LENGTH
"""Characters of strings one evaluation may build in all (a root module with its calls, a
template, the workflows)."""
ALLOWED_ELEMENTS = 10 * MAX_ELEMENTS
"""List and map elements one evaluation may build in all."""


class TooLarge(Exception):
    """A value an evaluation would build is over a limit; the message says which. Not an
    error of the code evaluated (Terraform would build it): ``try()`` and ``can()`` do not
    catch it, and whoever evaluates reports it, unless it is ``repeated``: the allowance
    was spent already, and that was reported."""

    def __init__(self, message: str, repeated: bool = False) -> None:
        super().__init__(message)
        self.repeated = repeated


@dataclass
class Allowance:
    characters: int = ALLOWED_CHARACTERS
    elements: int = ALLOWED_ELEMENTS
    spent_out: bool = False
    """Refused once already: what is refused after that is the same cause."""


_allowance: ContextVar[Allowance | None] = ContextVar("oidclint_allowance", default=None)


@contextmanager
def allowance(characters: int = ALLOWED_CHARACTERS,
              elements: int = ALLOWED_ELEMENTS) -> Iterator[Allowance]:
    """What the evaluation inside the block may build in all."""
    current = Allowance(characters, elements)
    token = _allowance.set(current)
    try:
        yield current
    finally:
        _allowance.reset(token)


def reserve_text(length: int, what: str) -> None:
    """A string of ``length`` characters is about to be built by ``what`` (``format()``)."""
    if length > MAX_STRING_LENGTH:
        raise TooLarge(f"{what} would build a string longer than the "
                       f"{MAX_STRING_LENGTH:,}-character limit")
    current = _allowance.get()
    if current is not None:
        current.characters -= length
        if current.characters < 0:
            _spend_out(current, f"the evaluation built more than {ALLOWED_CHARACTERS:,} "
                                "characters of strings in all")


def reserve_elements(count: int, what: str) -> None:
    """A list or map of ``count`` elements is about to be built by ``what``."""
    if count > MAX_ELEMENTS:
        raise TooLarge(f"{what} would build a value of more than {MAX_ELEMENTS:,} elements")
    current = _allowance.get()
    if current is not None:
        current.elements -= count
        if current.elements < 0:
            _spend_out(current, f"the evaluation built more than {ALLOWED_ELEMENTS:,} "
                                "list and map elements in all")


def _spend_out(current: Allowance, message: str) -> None:
    repeated, current.spent_out = current.spent_out, True
    raise TooLarge(message, repeated)


def json_length(value: Any, what: str, limit: int = MAX_STRING_LENGTH) -> int:
    """The length of the compact JSON text of a plain value (dicts, lists, strings, numbers,
    booleans, null; anything else as its ``str``), found without building it; raises
    ``TooLarge`` once it passes ``limit``. A value shared many times is measured once and
    counted at every use."""
    known: dict[int, tuple[Any, int]] = {}

    def measure(item: Any) -> int:
        container = isinstance(item, (dict, list, str))
        if container:
            seen = known.get(id(item))
            if seen is not None and seen[0] is item:
                return seen[1]
        if item is None or isinstance(item, bool):
            size = 5 if item is False else 4
        elif isinstance(item, (int, float)):
            size = len(json.dumps(item))
        elif isinstance(item, dict):
            size = 1 + max(len(item), 1)  # the braces and the commas between entries
            for key, entry in item.items():
                size += measure(str(key)) + 1 + measure(entry)
                if size > limit:
                    break
        elif isinstance(item, list):
            size = 1 + max(len(item), 1)
            for entry in item:
                size += measure(entry)
                if size > limit:
                    break
        else:
            text = str(item)
            size = len(text) + 2 + _escapes(text)
        if size > limit:
            raise TooLarge(f"{what} would build a string longer than the {limit:,}-character "
                           "limit")
        if container:
            known[id(item)] = (item, size)
        return size

    return measure(value)


_SHORT_ESCAPES = frozenset("\b\f\n\r\t")


def _escapes(text: str) -> int:
    """The characters ``json.dumps`` adds escaping ``text`` (without ``ensure_ascii``):
    one for a quote, a backslash or a short escape (``\\n``), five for another control
    character (``\\u0001``)."""
    extra = text.count('"') + text.count("\\")
    if not text.isprintable():
        for code in range(0x20):
            count = text.count(chr(code))
            if count:
                extra += count * (1 if chr(code) in _SHORT_ESCAPES else 5)
    return extra
