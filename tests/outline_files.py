"""What the tests of ``oidclint.hcl.outline`` share: Terraform source files made from text,
the resource types the Terraform reader collects, and a file's blocks as the parser reads them
(with their spans), to compare before and after pruning."""

from __future__ import annotations

from pathlib import Path

from oidclint.hcl.syntax import parse_file
from oidclint.readers.terraform.reader import COLLECTED as _COLLECTED
from oidclint.source import SourceFile


COLLECTED = frozenset(_COLLECTED)


def _file(path: str, text: str) -> SourceFile:
    return SourceFile(path, Path("/nonexistent") / path, text, "terraform")


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _blocks(text: str) -> list[tuple[str, tuple[str, ...], object, list]]:
    return [(b.type, tuple(b.labels), b.span,
             [(name, a.span, a.value_span) for name, a in b.attributes.items()])
            for b in parse_file(text, "main.tf")]
