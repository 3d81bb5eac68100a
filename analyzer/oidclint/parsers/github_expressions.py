"""GitHub Actions expressions (``${{ ... }}``) in the values a workflow gives: what
``env.X`` and ``inputs.X`` refer to where the value is written.

Expressions: https://docs.github.com/en/actions/reference/workflows-and-actions/expressions
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from oidclint.source import Choice, Partial, Pieces, Span, Str, Unknown, concat, span_of

EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
REFERENCE = re.compile(r"^([A-Za-z_][\w-]*)\.([A-Za-z_][\w-]*)$")
QUOTED = re.compile(r"^'((?:[^']|'')*)'$")


@dataclass(frozen=True, slots=True)
class Scope:
    """What ``${{ env.X }}`` and ``${{ inputs.X }}`` mean where a value is written.

    Expressions: https://docs.github.com/en/actions/reference/workflows-and-actions/expressions
    Context names are case-insensitive there, as are input names.
    """

    env: tuple[Any, ...]
    """``env`` blocks from the innermost (step) to the outermost (workflow)."""
    inputs: dict[str, Any] | None
    """Inputs passed by a caller; ``None`` for a workflow that runs on its own."""

    def resolve(self, value: Any) -> Any:
        """The value with its expressions resolved: a literal, ``Unknown`` or ``Partial``."""
        if not isinstance(value, str) or "${{" not in value:
            return value
        span = span_of(value)
        matches = list(EXPRESSION.finditer(value))
        if not matches:
            return value
        if len(matches) == 1 and matches[0].span() == (0, len(value)):
            return self._expression(matches[0][1], span)
        pieces = Pieces("an expression")
        end = 0
        for match in matches:
            pieces.add(value[end:match.start()])
            piece = self._expression(match[1], span)
            if isinstance(piece, (str, Partial, Unknown)):
                pieces.add(piece)
            elif piece is None:
                pieces.add("")
            elif isinstance(piece, bool):
                pieces.add("true" if piece else "false")
            elif isinstance(piece, (int, float)):
                pieces.add(str(piece))
            else:
                pieces.add(Unknown(origin(match[1]), span))
            end = match.end()
        pieces.add(value[end:])
        return concat(pieces, span, what="an expression")

    def _expression(self, text: str, span: Span | None) -> Any:
        written = origin(text)
        quoted = QUOTED.match(written)
        if quoted:
            return Str(quoted[1].replace("''", "'"), span)
        reference = REFERENCE.match(written)
        if reference is None:
            return Unknown(written, span)
        context, name = reference[1].lower(), reference[2]
        if context == "env":
            return self._env(name, written, span)
        if context == "inputs" and self.inputs is not None:
            value = self.inputs.get(name.lower())
            # A Choice (one of a dispatch input's options) is one value not known here.
            if value is not None and not isinstance(value, (dict, list, Choice)):
                return value
        return Unknown(written, span)

    def _env(self, name: str, written: str, span: Span | None) -> Any:
        for depth, block in enumerate(self.env):
            if not isinstance(block, dict):
                continue
            key = lookup(block, name)
            if key is None:
                continue
            value = block[key]
            if value is None or isinstance(value, (dict, list)):
                break
            # An env value can refer to the levels outside its own.
            return Scope(self.env[depth + 1:], self.inputs).resolve(value)
        return Unknown(written, span)


def origin(expression: str) -> str:
    return " ".join(expression.split())


def lookup(block: dict, name: str) -> Any:
    if name in block:
        return name
    folded = name.casefold()
    return next((k for k in block if isinstance(k, str) and k.casefold() == folded), None)
