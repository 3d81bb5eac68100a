"""A Terraform file that does not parse, as the user reads it: ``HCL syntax error: line L,
column C: <reason>`` (or ``Terraform JSON syntax error``), with the token named as written."""

from __future__ import annotations

from typing import Any

from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from oidclint.hcl.json_syntax import JsonSyntaxError
from oidclint.model import Diagnostic
from oidclint.source import SourceFile, Span


def syntax_error(file: SourceFile, exc: BaseException) -> Diagnostic:
    """``HCL syntax error: line L, column C: <reason>`` for a file that does not parse."""
    line, column = 1, 1
    if isinstance(exc, JsonSyntaxError):
        return Diagnostic(file.path, f"Terraform JSON syntax error: line {exc.line}, column "
                                     f"{exc.column}: {exc.reason}",
                          span=Span(file.path, exc.line, exc.column))
    if isinstance(exc, UnexpectedInput):
        where = getattr(exc, "line", -1), getattr(exc, "column", -1)
        if isinstance(where[0], int) and where[0] > 0:
            line, column = where[0], max(where[1], 1)
        else:  # the end of the file
            line = file.text.count("\n") + 1
            column = len(file.text.rsplit("\n", 1)[-1]) + 1
    if isinstance(exc, UnexpectedToken):
        reason = ("unexpected end of file" if exc.token.type == "$END"
                  else f"unexpected {_token_text(exc.token)}")
    elif isinstance(exc, UnexpectedCharacters):
        reason = f"unexpected character {exc.char!r}"
    elif isinstance(exc, UnexpectedEOF):
        reason = "unexpected end of file"
    elif isinstance(exc, RecursionError):
        reason = "nested too deeply to parse"
    else:
        reason = f"{type(exc).__name__}: {str(exc)[:200]}"
    return Diagnostic(file.path, f"HCL syntax error: line {line}, column {column}: {reason}",
                      span=Span(file.path, line, column))


def _token_text(token: Any) -> str:
    text = str(token).strip()
    if not text:
        return "new line" if "\n" in str(token) else token.type
    return repr(text[:40])
