"""Applying the fixes of a report's findings to the scanned tree (``scan --fix``, ``--diff``).

Only the findings a report shows (not suppressed, not in the baseline) are fixed. Each file is
read again and every edit checked against the text it expects at its span: a file that changed
since the scan read it is not written. Edits that overlap an earlier one are left for the next
run. A file is written whole and at once (a temporary file renamed over it, with the mode it
had), only inside the scan root and never through a symbolic link.
"""

from __future__ import annotations

import codecs
import difflib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from oidclint.model import Report, TextEdit
from oidclint.reading import read_bytes
from oidclint.writing import replace_file


@dataclass(slots=True)
class FileFix:
    """One file's text before and after its edits."""

    path: str
    """Relative to the scan root, with forward slashes."""
    absolute: str
    data: bytes
    """The file's bytes as read, to tell whether it changed before it is written."""
    before: str
    after: str
    bom: bytes = b""
    edits: list[TextEdit] = field(default_factory=list)
    skipped: int = 0
    """Edits left out because they overlap an earlier one."""


@dataclass(slots=True)
class FixPlan:
    files: list[FileFix] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    """Why a file that has fixes is not written, one sentence each, naming the file."""

    @property
    def changed(self) -> list[FileFix]:
        return [f for f in self.files if f.after != f.before]

    def diff(self) -> str:
        """A unified diff of every change, as ``git apply`` takes it."""
        out: list[str] = []
        for fix in self.changed:
            out += difflib.unified_diff(fix.before.splitlines(keepends=True),
                                        fix.after.splitlines(keepends=True),
                                        f"a/{fix.path}", f"b/{fix.path}")
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                       for line in out)


class Unfixable(Exception):
    """A file the fixes cannot be written to; the message names why."""


def plan(report: Report) -> FixPlan:
    """What the fixes of the findings ``report`` shows would change, file by file."""
    by_path: dict[str, list[TextEdit]] = {}
    for finding in sorted(report.active, key=lambda f: f.sort_key):
        if finding.autofix is not None:
            for edit in finding.autofix.edits:
                by_path.setdefault(edit.span.path, []).append(edit)
    result = FixPlan()
    for path, edits in sorted(by_path.items()):
        try:
            result.files.append(_fix_file(report.root, path, edits))
        except Unfixable as exc:
            result.refused.append(f"{path}: {exc}; not fixed")
    return result


def write(fixes: FixPlan) -> list[FileFix]:
    """Write the changed files; the ones written. Why any other was not is added to
    ``fixes.refused``."""
    written = []
    for fix in fixes.changed:
        try:
            _write(fix)
        except (Unfixable, OSError, ValueError) as exc:
            fixes.refused.append(f"{fix.path}: {exc}; not fixed")
        else:
            written.append(fix)
    return written


def _fix_file(root: str, path: str, edits: list[TextEdit]) -> FileFix:
    absolute = _confined(root, path)
    real_root = os.path.realpath(root)
    try:
        data = read_bytes(absolute, root=Path(real_root))
    except (OSError, ValueError) as exc:
        raise Unfixable(f"cannot be read ({exc})") from None
    bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
    try:
        before = data[len(bom):].decode("utf-8")
    except UnicodeDecodeError:
        raise Unfixable("is not UTF-8 text") from None
    starts = [0] + [i + 1 for i, ch in enumerate(before) if ch == "\n"]
    placed: list[tuple[int, int, TextEdit]] = []
    skipped = 0
    for edit in dict.fromkeys(edits):  # the same edit from two findings is made once
        start = _offset(before, starts, edit.span.line, edit.span.column)
        end = _offset(before, starts, edit.span.end_line, edit.span.end_column)
        if start is None or end is None or before[start:end] != edit.expected:
            raise Unfixable("changed since it was read")
        if any(_overlap((start, end), (s, e)) for s, e, _ in placed):
            skipped += 1
            continue
        placed.append((start, end, edit))
    after = before
    for start, end, edit in sorted(placed, key=lambda p: (p[0], p[1]), reverse=True):
        after = after[:start] + edit.replacement + after[end:]
    return FileFix(path, absolute, data, before, after, bom, [p[2] for p in placed], skipped)


def _confined(root: str, path: str) -> str:
    """The file's absolute path, when it is a regular file inside the root reached through
    no symbolic link."""
    posix = PurePosixPath(path)
    if not path or posix.is_absolute() or ".." in posix.parts:
        raise Unfixable("is outside the scanned tree")
    real_root = os.path.realpath(root)
    absolute = os.path.join(real_root, *posix.parts)
    if os.path.realpath(absolute) != absolute:
        raise Unfixable("is reached through a symbolic link")
    try:
        info = os.lstat(absolute)
    except OSError as exc:
        raise Unfixable(f"cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise Unfixable("is not a regular file")
    return absolute


def _offset(text: str, starts: list[int], line: int, column: int) -> int | None:
    """The character offset of a 1-based line and column, if the text has it."""
    if not 1 <= line <= len(starts) or column < 1:
        return None
    offset = starts[line - 1] + column - 1
    line_end = starts[line] - 1 if line < len(starts) else len(text)
    return offset if offset <= line_end else None


def _overlap(one: tuple[int, int], other: tuple[int, int]) -> bool:
    """Whether two edits touch the same text; two insertions at one place overlap too (which
    goes first is not known)."""
    (a, b), (c, d) = one, other
    if a == b or c == d:
        return c <= a <= d if a == b else a <= c <= b
    return a < d and c < b


def _write(fix: FileFix) -> None:
    """Replace the file at once, keeping its mode; only if it still holds what was read."""
    info = os.lstat(fix.absolute)
    if not stat.S_ISREG(info.st_mode):
        raise Unfixable("is no longer a regular file")

    def unchanged() -> None:
        if read_bytes(fix.absolute, root=Path(os.path.dirname(fix.absolute))) != fix.data:
            raise Unfixable("changed since it was read")

    replace_file(Path(fix.absolute), fix.bom + fix.after.encode("utf-8"),
                 stat.S_IMODE(info.st_mode), unchanged)
