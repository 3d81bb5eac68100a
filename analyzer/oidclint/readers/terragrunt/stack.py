"""A ``terragrunt.stack.hcl`` read as the units it generates.

A stack file declares ``unit`` and ``stack`` blocks (with ``locals``), each with a
``source``, a ``path`` and ``values``. ``terragrunt stack generate`` copies each source
folder to ``.terragrunt-stack/<path>`` beside the stack file (``<path>`` itself with
``no_dot_terragrunt_stack = true``) and writes the block's ``values`` next to it, which the
unit reads as ``values.NAME``; a nested ``stack`` is generated the same way, its own blocks
seeing the values the outer one gives it
(https://terragrunt.gruntwork.io/docs/features/stacks/,
https://terragrunt.gruntwork.io/docs/reference/cli/commands/stack/generate/).

Each unit is read as Terragrunt would read its generated copy: at the generated place
(parent folders, ``get_terragrunt_dir()``), from the source folder of the tree it copies
(``Files.generates``), with the block's values. A source is found as a unit's module source
is (``oidclint.readers.terragrunt.sources``): a local path, relative to the stack file, or a
URL naming this repository with a ``//subfolder``. A generated copy already in the tree is
not read a second time: ``stack run`` generates the stack again before it runs
(https://terragrunt.gruntwork.io/docs/reference/cli/commands/stack/run/), so the stack file
and the sources are what runs; the copy is read only when the source is not in the tree.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any

from oidclint.hcl.syntax import Block
from oidclint.hcl.values import first_unknown
from oidclint.model import Diagnostic, Related
from oidclint.readers.terragrunt.config import MAX_DEPTH, Config, Files, Reading
from oidclint.readers.terragrunt.sources import STACK_FILE, UNIT_FILE, find_folder
from oidclint.source import LDict, Partial, Str

GENERATED_FOLDER = ".terragrunt-stack"


@dataclass
class StackUnit:
    """One unit a stack generates."""

    path: str
    """Its generated ``terragrunt.hcl`` (where Terragrunt reads it)."""
    source: str
    """The ``terragrunt.hcl`` of the tree it is a copy of."""
    values: Any
    origins: list[Related]
    """The ``unit`` block, and the ``stack`` blocks that generate it, innermost first."""


@dataclass
class Stack:
    """What a stack file generates, what reading it reported, and the files of the tree it
    uses as sources (those are not units or stacks of their own)."""

    path: str
    units: list[StackUnit] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: set[str] = field(default_factory=set)
    generated: set[str] = field(default_factory=set)
    """The files it generates (``.../.terragrunt-stack/x/terragrunt.hcl``)."""
    read: dict[str, str | None] = field(default_factory=dict)
    """The files read for it, with their hashes (set by whoever records them): what each
    of its units depends on too."""


def read_stack(files: Files, path: str) -> Stack:
    """The units the stack file at ``path`` generates, its nested stacks' included."""
    stack = Stack(path)
    reading = Reading()
    _generate(files, reading, stack, path, path, None, (), ())
    stack.diagnostics = reading.diagnostics
    return stack


def _generate(files: Files, reading: Reading, stack: Stack, path: str, at: str, values: Any,
              origins: tuple[Related, ...], chain: tuple[str, ...]) -> None:
    """The units of the stack file written at ``path``, generated at ``at``."""
    parsed, why = reading.parsed(files, path)
    if parsed is None:
        if why:
            reading.add(Diagnostic(path, f"{why}; the stack is not read"))
        return
    config = Config(files, reading, path, parsed, terragrunt_path=at, chain=(*chain, path),
                    at=at, values=values)
    folder = posixpath.dirname(at) or "."
    for block in parsed.blocks:
        if block.type not in ("unit", "stack") or len(block.labels) != 1:
            continue
        what = f"{block.type} {block.labels[0]}"
        target = _generated_folder(config, block, folder, what)
        source = _source_folder(config, block, folder, target, what) if target else None
        if target is None or source is None:
            continue
        name = UNIT_FILE if block.type == "unit" else STACK_FILE
        origin = Related(block.span, f"Terragrunt stack {path}: {what} (generated at "
                                     f"{target})")
        block_values = config.argument(block, "values", LDict(span=block.span))
        stack.generated.add(f"{target}/{name}")
        if source != target:
            stack.sources.add(f"{source}/{name}")
            files.generates(target, source)
        if block.type == "unit":
            stack.units.append(StackUnit(f"{target}/{UNIT_FILE}", f"{source}/{UNIT_FILE}",
                                         block_values, [origin, *origins]))
            continue
        nested = f"{source}/{STACK_FILE}"
        if nested in chain or nested == path:
            reading.warn(block.span, f"{what}: a cycle ({' -> '.join([*chain, path, nested])})"
                                     "; not followed")
        elif len(chain) + 1 >= MAX_DEPTH:
            reading.warn(block.span, f"{what}: more than {MAX_DEPTH} stacks generated one "
                                     "inside another; not followed")
        else:
            _generate(files, reading, stack, nested, f"{target}/{STACK_FILE}", block_values,
                      (origin, *origins), (*chain, path))


def _generated_folder(config: Config, block: Block, folder: str, what: str) -> str | None:
    """Where the block's copy is generated: ``.terragrunt-stack/<path>`` beside the stack."""
    written = config.argument(block, "path")
    if not isinstance(written, str):
        cause = first_unknown([written])
        why = cause.origin if cause is not None else "not a string"
        config.reading.warn(block.span, f"{what}: its path is not known ({why}); not read")
        return None
    flat = config.argument(block, "no_dot_terragrunt_stack") is True
    base = folder if flat else posixpath.join(folder, GENERATED_FOLDER)
    target = posixpath.normpath(posixpath.join(base, str(written)))
    if posixpath.isabs(str(written)) or target == ".." or target.startswith("../"):
        config.reading.warn(block.span, f"{what}: its path {written} leads out of the scanned "
                                        "tree; not read")
        return None
    return target


def _source_folder(config: Config, block: Block, folder: str, target: str,
                   what: str) -> str | None:
    """The folder of the tree the block's ``source`` copies; else the copy already
    generated; else ``None``, with a note saying why."""
    source = config.argument(block, "source")
    span = block.attributes["source"].value_span if "source" in block.attributes \
        else block.span
    name = UNIT_FILE if block.type == "unit" else STACK_FILE
    if isinstance(source, Partial) and "?" in source.known_prefix:
        # Only the query (`?ref=${values.version}`) is unknown: which folder is still known.
        source = Str(source.known_prefix.split("?", 1)[0], source.span)
    if not isinstance(source, str):
        cause = first_unknown([source])
        why = cause.origin if cause is not None else "not a string"
        found, note = None, f"{what}: its source is not known ({why})"
    else:
        found, why = find_folder(config.files, str(source), folder,
                                 lambda f: config.files.exists(f"{f}/{name}"), name)
        note = f"{what}: {why}"
    if found is not None:
        return found
    if config.files.exists(f"{target}/{name}"):
        config.reading.note(span, f"{note}; the copy generated at {target} is read for it")
        return target
    config.reading.note(span, f"{note}; not read")
    return None
