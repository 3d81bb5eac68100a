"""The top-level blocks of a Terraform file found from its text alone, without parsing it,
and the blocks of a module folder that cannot change what oidclint reports.

Most of a module that deals with web identity is about something else: buckets, alarms,
security groups. python-hcl2 reads about 0.3 MB/s, so those blocks are replaced by a comment
that spans the same lines (whatever follows keeps its line and column) before the file is
parsed. A ``resource`` or ``data`` block is kept when it is of a type the parser reads, when
its text mentions web identity, or when something kept refers to it; a ``variable`` when
something kept refers to it; every other kind of block (``locals``, ``module``, ``output``,
``terraform``, ...) is always kept, except the outputs of a root module, which nothing
reads. Whatever the scanner does not understand keeps the whole file as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from oidclint.markers import WEB_IDENTITY, mentions
from oidclint.source import SourceFile

_TOP = re.compile(r"[ \t\r\n]+|#[^\n]*|//[^\n]*|/\*.*?\*/", re.S)
_HEADER = re.compile(r'([A-Za-z_][\w-]*)((?:[ \t]+(?:[A-Za-z_][\w-]*|"[^"\\$%\n]*"))*)[ \t]*\{')
_LABEL = re.compile(r'[A-Za-z_][\w-]*|"([^"]*)"')
_BODY = re.compile(r'[{}"#/<]')
_IN_TEMPLATE = re.compile(r'[{}"]')
_IN_STRING = re.compile(r'["\\$%\n]')
# Heredocs and escaped templates end where python-hcl2's lexer ends them (HEREDOC_TEMPLATE,
# ESCAPED_INTERPOLATION and ESCAPED_DIRECTIVE in hcl2/hcl2.lark), so a block boundary found
# here is the parser's.
_HEREDOC = re.compile(r"<<-?(?P<marker>[a-zA-Z][a-zA-Z0-9._-]*)\r?\n"
                      r"(?:(?:.|\n)*?\r?\n)??\s*(?P=marker)\r?\n")
_ESCAPED = re.compile(r"(?:\$\$|%%)\{[^}]*\}")
_REFERENCE = re.compile(r"\b(data\.)?([A-Za-z_][\w-]*)\.([A-Za-z_][\w-]*)")



class Unreadable(Exception):
    """The scanner cannot tell where a block ends; the file is then parsed whole."""


@dataclass(frozen=True)
class TopBlock:
    kind: str
    labels: tuple[str, ...]
    start: int
    end: int

    @property
    def address(self) -> str | None:
        """How other blocks refer to this one, for those that only matter when referred to:
        ``type.name`` (``data.type.name``) of a resource or data source, ``var.name`` of a
        variable."""
        if self.kind == "variable" and len(self.labels) == 1:
            return f"var.{self.labels[0]}"
        if self.kind not in ("resource", "data") or len(self.labels) != 2:
            return None
        return ("data." if self.kind == "data" else "") + ".".join(self.labels)


def outline(text: str) -> list[TopBlock]:
    """Every top-level block of ``text``; raises ``Unreadable``."""
    blocks, pos, size = [], 0, len(text)
    while True:
        while (skip := _TOP.match(text, pos)) and skip.end() > pos:
            pos = skip.end()
        if pos >= size:
            return blocks
        header = _HEADER.match(text, pos)
        if header is None:
            raise Unreadable(f"no block at offset {pos}")
        labels = tuple(m.group(1) if m.group(1) is not None else m.group(0)
                       for m in _LABEL.finditer(header.group(2)))
        end = _block_end(text, header.end())
        blocks.append(TopBlock(header.group(1), labels, pos, end))
        pos = end


def _block_end(text: str, pos: int) -> int:
    """The offset just past the ``}`` that closes a body opened before ``pos``."""
    depth = 1
    while depth:
        found = _BODY.search(text, pos)
        if found is None:
            raise Unreadable("a block is not closed")
        at, char = found.start(), found.group()
        pos = at + 1
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == '"':
            pos = _string_end(text, pos)
        elif char == "#" or text.startswith("//", at):
            newline = text.find("\n", at)
            pos = len(text) if newline < 0 else newline
        elif text.startswith("/*", at):
            close = text.find("*/", at + 2)
            if close < 0:
                raise Unreadable("a comment is not closed")
            pos = close + 2
        elif text.startswith("<<", at):
            heredoc = _HEREDOC.match(text, at)
            if heredoc is None:
                raise Unreadable("a heredoc is not closed")
            pos = heredoc.end()
    return pos


def _string_end(text: str, pos: int) -> int:
    """The offset just past the quote that closes a string opened before ``pos``."""
    while True:
        found = _IN_STRING.search(text, pos)
        if found is None or found.group() == "\n":
            raise Unreadable("a string is not closed")
        at, char = found.start(), found.group()
        if char == '"':
            return at + 1
        if char == "\\":
            pos = at + 2
        elif text.startswith(char * 2 + "{", at):  # $${...} and %%{...} are literal
            escaped = _ESCAPED.match(text, at)
            if escaped is None:
                raise Unreadable("an escaped template is not closed")
            pos = escaped.end()
        elif text.startswith("{", at + 1):
            pos = _template_end(text, at + 2)
        else:
            pos = at + 1


def _template_end(text: str, pos: int) -> int:
    """The offset just past the ``}`` that closes ``${`` or ``%{``."""
    depth = 1
    while depth:
        found = _IN_TEMPLATE.search(text, pos)
        if found is None:
            raise Unreadable("an interpolation is not closed")
        pos = found.end()
        if found.group() == '"':
            pos = _string_end(text, pos)
        else:
            depth += 1 if found.group() == "{" else -1
    return pos


def prune(files: list[SourceFile], collected: frozenset[str],
          root: bool = False) -> list[SourceFile]:
    """The ``.tf`` files of one module folder with the resource, data and variable blocks
    that cannot matter blanked out. Kept: resources of the ``collected`` types (those the
    parser turns into roles, providers, policies...), resources and data sources that
    mention web identity, every block that is none of the three, and (repeatedly) whatever a
    kept block refers to. The outputs of a ``root`` module (one no module calls) are blanked
    too, and what only they refer to: nothing reads them."""
    texts = {f.path: f.text for f in files}
    outlines: dict[str, list[TopBlock]] = {}
    kept_text: list[str] = []
    for file in files:
        try:
            if not file.path.endswith(".tf"):
                raise Unreadable("not native syntax")
            outlines[file.path] = outline(file.text)
        except Unreadable:
            kept_text.append(file.text)
    candidates: dict[str, list[tuple[str, TopBlock]]] = {}
    """Address -> the blocks declaring it (more than one when it is declared twice)."""
    keep: set[tuple[str, int]] = set()
    for path, blocks in outlines.items():
        for block in blocks:
            if root and block.kind == "output":
                continue
            body = texts[path][block.start:block.end]
            if block.address is None or block.kind != "variable" and (
                    mentions(body.lower(), WEB_IDENTITY)
                    or block.kind == "resource" and block.labels[0] in collected):
                keep.add((path, block.start))
                kept_text.append(body)
            else:
                candidates.setdefault(block.address, []).append((path, block))
    pending = kept_text
    while pending and candidates:
        named = {f"{m.group(1) or ''}{m.group(2)}.{m.group(3)}"
                 for chunk in pending for m in _REFERENCE.finditer(chunk)}
        pending = []
        for address in named & candidates.keys():
            for path, block in candidates.pop(address):
                keep.add((path, block.start))
                pending.append(texts[path][block.start:block.end])
    pruned = []
    for file in files:
        blocks = outlines.get(file.path)
        if blocks is None or all((file.path, b.start) in keep for b in blocks):
            pruned.append(file)
            continue
        pieces, last = [], 0
        for block in blocks:
            if (file.path, block.start) not in keep:
                pieces.append(file.text[last:block.start])
                pieces.append(_blank(file.text[block.start:block.end]))
                last = block.end
        pieces.append(file.text[last:])
        pruned.append(replace(file, text="".join(pieces), _line_starts=[]))
    return pruned


def without_block(text: str, line: int, column: int) -> tuple[str, TopBlock] | None:
    """``text`` with the top-level block that holds ``line``, ``column`` (1-based) blanked
    out, and that block; ``None`` when the file's blocks cannot be told apart or none holds
    the position.

    A syntax error stays inside its block when the blocks around it can be outlined: the
    outline ends strings, templates and heredocs where the parser does, so the other blocks
    are the ones the parser would read."""
    try:
        blocks = outline(text)
    except Unreadable:
        return None
    offset = 0
    for _ in range(line - 1):
        offset = text.find("\n", offset) + 1
        if not offset:
            return None
    offset += column - 1
    for block in blocks:
        if block.start <= offset < block.end:
            blanked = text[:block.start] + _blank(text[block.start:block.end]) + text[block.end:]
            return blanked, block
    return None


def _blank(text: str) -> str:
    """A comment in place of ``text`` that ends where it ends, so whatever follows keeps
    its line and column; one comment token, where blank lines would each be a token."""
    lines = text.split("\n")
    if len(lines) == 1:
        return "/*" + " " * (len(text) - 4) + "*/" if len(text) >= 4 else " " * len(text)
    if len(lines[-1]) < 2:
        return "/*" + "\n" * (len(lines) - 2) + "*/\n" + " " * len(lines[-1])
    return "/*" + "\n" * (len(lines) - 1) + "*/" + " " * (len(lines[-1]) - 2)
